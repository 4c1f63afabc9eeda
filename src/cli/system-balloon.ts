// The virtio balloon's monitor side (QEMU's hw/virtio/virtio-balloon.c + monitor): QMP `balloon`
// sets the guest's target size, `query-balloon` reports the RAM outside the balloon, and the
// driver's updates are BALLOON_CHANGE events. Without a balloon: DeviceNotActive, as QEMU.
import { QmpError, registerCommand, registerInfo } from '../monitor/monitor.js';
import type { VirtDevice } from '../hw/riscv/virt.js';
import { VirtIOBalloon } from '../hw/virtio/virtio-balloon.js';
import type { MonitorEvents } from '../monitor/vm.js';

let balloon: VirtIOBalloon | undefined;
let events: MonitorEvents | undefined;

const notActive = () => new QmpError('DeviceNotActive', 'No balloon device has been activated');

registerCommand({
  name: 'balloon', args: [{ name: 'value', type: 'int' }],
  run: (a, ctx) => {
    if (!balloon) throw notActive();
    const v = Number(a.value);
    if (v <= 0) throw new QmpError('GenericError', "Parameter 'target' expects a size");
    events = ctx.events;
    balloon.setTarget(v);
    return undefined;
  },
});

registerCommand({
  name: 'query-balloon', returns: 'any',
  run: (_a, ctx) => {
    if (!balloon) throw notActive();
    events = ctx.events;
    return { actual: balloon.actualBytes };
  },
});

registerInfo({
  name: 'balloon', help: 'show balloon information',
  run: () => (balloon ? `balloon: actual=${Math.floor(balloon.actualBytes / 2 ** 20)}\n` : 'Error: No balloon device has been activated\n'),
});

/** A balloon the board realized (virtio-balloon-pci): the monitor's, if it is the first. */
export function adoptBalloon(b: VirtIOBalloon): void {
  b.onActualChange = (actual) => events?.emit('BALLOON_CHANGE', { actual });
  balloon ??= b;
}

/** The -device virtio-balloon-device of the command line (one per machine, as QEMU's monitor uses). */
export function balloonDevice(ramSize: number): VirtDevice {
  return {
    type: 'virtio-balloon-device',
    create: (as) => {
      const b = new VirtIOBalloon(as, ramSize);
      adoptBalloon(b);
      return b;
    },
  };
}
