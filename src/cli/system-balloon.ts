// The virtio balloon's monitor side (QEMU's hw/virtio/virtio-balloon.c + monitor): QMP `balloon`
// sets the guest's target size, `query-balloon` reports the RAM outside the balloon, and the
// driver's updates are BALLOON_CHANGE events. Without a balloon: DeviceNotActive, as QEMU.
import { QmpError, registerCommand, registerInfo } from '../monitor/monitor.js';
import type { VirtDevice } from '../hw/riscv/virt.js';
import { VirtIOBalloon } from '../hw/virtio/virtio-balloon.js';
import type { MonitorEvents } from '../monitor/vm.js';
import type { JsonValue } from '../monitor/json-stream.js';
import { registerQomPeripheral } from '../monitor/qom.js';

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

/** A balloon the board realized: the monitor's, if it is the first; with an id, QOM's
 * /machine/peripheral/ID (guest-stats, guest-stats-polling-interval: libvirt's dommemstat). */
export function adoptBalloon(b: VirtIOBalloon, id: string | undefined, type = 'virtio-balloon-pci'): void {
  b.onActualChange = (actual) => events?.emit('BALLOON_CHANGE', { actual });
  balloon ??= b;
  if (!id) return;
  registerQomPeripheral({
    id, type,
    props: [{ name: 'guest-stats', type: 'guest statistics' }, { name: 'guest-stats-polling-interval', type: 'int' }],
    get: (prop) => {
      if (prop === 'guest-stats') return b.guestStats() as unknown as JsonValue; // bigint values: QEMU's uint64
      if (prop === 'guest-stats-polling-interval') return b.pollInterval;
      return undefined;
    },
    set: (prop, value) => {
      if (prop === 'guest-stats') throw new Error("Property 'virtio-balloon-device.guest-stats' is not writable");
      if (typeof value !== 'number' || !Number.isInteger(value)) throw new Error(`Invalid parameter type for 'value', expected: integer`);
      b.setPollInterval(value);
      return true;
    },
  });
}

/** The -device virtio-balloon-device of the command line (one per machine, as QEMU's monitor uses). */
export function balloonDevice(ramSize: number, id?: string): VirtDevice {
  return {
    type: 'virtio-balloon-device',
    create: (as) => {
      const b = new VirtIOBalloon(as, ramSize);
      adoptBalloon(b, id, 'virtio-balloon-device');
      return b;
    },
  };
}
