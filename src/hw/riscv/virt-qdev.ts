// Realizing the registry's -device types on the virt board (QEMU's qdev_device_add loop): the
// context a device's realize() gets (address space, PCI host, drives, entropy, SD buses), and
// QEMU's "-device TEXT: what is wrong" errors.
import { QemuError, optError } from '../../qemu/error.js';
import { qemuOnlyDevice } from '../../system/vl-unsupported.js';
import { type DriveRef, type QDevContext, findDevice } from '../core/qdev.js';
import '../core/qdev-devices.js';
import type { RISCVVirtMachine } from './virt.js';
import type { VirtIOBalloon } from '../virtio/virtio-balloon.js';

export interface QDevSpec {
  /** The -device text (for errors). */
  text: string;
  driver: string;
  props: ReadonlyMap<string, string>;
  /** -drive if=virtio's own device: it may take the drive its -drive reserved. */
  ownsDrive?: boolean;
  /** Position among the -device options (undefined: -drive if=virtio's, after all of them). */
  seq?: number;
}

/** What devices may take from the front end: chardevs (virtio-serial ports) and QMP events. */
export interface QDevHost {
  /** virtio-serial buses the board already has (virtio-mmio virtio-serial-device). */
  serialBuses?: QDevContext['serialBuses'];
  chardev?: QDevContext['chardev'];
  emitEvent?: QDevContext['emitEvent'];
}

/** A PCI function the front end builds from other options, at `seq` among the -device ones. */
export interface QDevExtra { seq?: number; realize(ctx: QDevContext): void }

/**
 * Realize the -device list with `extra` (devices whose back ends the front end built: -device
 * virtio-net-pci, virtio-9p-pci and -virtfs's in their places on the command line, as QEMU's
 * qdev_device_add loop does, so PCI slots follow the command line), then -drive if=virtio's
 * devices, then the extras without a place (-nic's NICs).
 */
export function realizeQdevDevices(m: RISCVVirtMachine, specs: readonly QDevSpec[], takeDrive: (id: string, what: string, owner: boolean) => DriveRef,
  extra: readonly QDevExtra[] = [], onBalloon?: (b: VirtIOBalloon, id: string | undefined) => void, host: QDevHost = {}): void {
  const ctx: QDevContext = {
    as: m.as,
    pci: m.pci,
    entropy: m.opts.entropy,
    takeDrive: () => { throw new Error('unreachable'); },
    addVirtio: (vdev) => { m.vdevs.push(vdev); },
    sdBuses: [],
    serialBuses: host.serialBuses ?? [],
    chardev: host.chardev ?? ((id, prop) => { throw new QemuError(`Property '${prop}' can't find value '${id}'`); }),
    emitEvent: host.emitEvent ?? (() => {}),
    smp: m.opts.smp,
    ramSize: m.opts.ramSize,
    onBalloon,
    onIoErrorStop: m.opts.onIoErrorStop,
    onBlockResetInFlight: (p) => m.opts.onBlockResetInFlight?.(p),
  };
  const LATE = Number.MAX_SAFE_INTEGER;
  const order = [...specs.map((s, i) => ({ k: s.seq ?? LATE - 1, i, s, e: undefined })),
    ...extra.map((e, i) => ({ k: e.seq ?? LATE, i: specs.length + i, s: undefined, e }))].sort((a, b) => a.k - b.k || a.i - b.i);
  for (const { s, e } of order) {
    if (e) { e.realize(ctx); continue; }
    if (!s) continue;
    const dc = findDevice(s.driver);
    if (!dc) throw optError('-device', s.text, qemuOnlyDevice(s.driver) ? `device '${s.driver}' is not supported by tsqemu` : `'${s.driver}' is not a valid device model name`);
    ctx.takeDrive = (id, what) => takeDrive(id, what, s.ownsDrive === true);
    try {
      dc.realize(ctx, s.props, s.props.get('id'));
    } catch (e) {
      if (e instanceof QemuError) throw optError('-device', s.text, e.message);
      throw e;
    }
  }
}
