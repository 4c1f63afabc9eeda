// Realizing the registry's -device types on the virt board (QEMU's qdev_device_add loop): the
// context a device's realize() gets (address space, PCI host, drives, entropy, SD buses), and
// QEMU's "-device TEXT: what is wrong" errors.
import { QemuError, optError } from '../../qemu/error.js';
import { qemuOnlyDevice } from '../../system/vl-unsupported.js';
import { type DriveRef, type QDevContext, findDevice } from '../core/qdev.js';
import '../core/qdev-devices.js';
import type { RISCVVirtMachine } from './virt.js';

export interface QDevSpec {
  /** The -device text (for errors). */
  text: string;
  driver: string;
  props: ReadonlyMap<string, string>;
  /** -drive if=virtio's own device: it may take the drive its -drive reserved. */
  ownsDrive?: boolean;
}

/**
 * Realize the -device list, then `extra`: devices whose back ends the front end built from other
 * options (-virtfs's and -nic's PCI functions), in that order as QEMU's default devices.
 */
export function realizeQdevDevices(m: RISCVVirtMachine, specs: readonly QDevSpec[], takeDrive: (id: string, what: string, owner: boolean) => DriveRef,
  extra: ReadonlyArray<(ctx: QDevContext) => void> = []): void {
  const ctx: QDevContext = {
    as: m.as,
    pci: m.pci,
    entropy: m.opts.entropy,
    takeDrive: () => { throw new Error('unreachable'); },
    addVirtio: (vdev) => { m.vdevs.push(vdev); },
    sdBuses: [],
    onIoErrorStop: m.opts.onIoErrorStop,
    onBlockResetInFlight: (p) => m.opts.onBlockResetInFlight?.(p),
  };
  for (const s of specs) {
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
  for (const realize of extra) realize(ctx);
}
