// Host wiring of -fsdev/-virtfs: open each shared folder with its security model (the local back
// end) and make the virtio-9p devices that serve them.
import { optError } from '../qemu/error.js';
import type { SystemConfig } from '../system/vl.js';
import type { VirtDevice } from '../hw/riscv/virt.js';
import { V9fsState } from '../9pfs/9p.js';
import { LocalFsDriver } from '../host/node/9p-local.js';
import type { QDevExtra } from '../hw/riscv/virt-qdev.js';
import { plugVirtioPci } from '../hw/core/qdev-devices.js';
import { VirtIO9P } from '../hw/virtio/virtio-9p.js';

/** A device the board realizes with the -device ones (a PCI function), at `seq` among them
 * (undefined: after all of them, as -nic's NICs). */
export type QDevRealizer = QDevExtra;

export async function openV9fsDevices(cfg: SystemConfig, warn: (m: string) => void): Promise<{ devices: VirtDevice[]; pci: QDevRealizer[]; close(): Promise<void> }> {
  const drivers: LocalFsDriver[] = [];
  const trace = process.env.TSQEMU_9P_TRACE ? (l: string) => process.stderr.write(`${l}\n`) : undefined;
  const devices: VirtDevice[] = [];
  const pci: QDevRealizer[] = [];
  for (const d of cfg.v9fsDevices) {
    const f = cfg.fsdevs.find((x) => x.id === d.fsdev);
    if (!f) continue; // vl.ts checked
    let driver: LocalFsDriver;
    try {
      driver = await LocalFsDriver.open({ path: f.path, securityModel: f.securityModel, readonly: f.readonly, fmode: f.fmode, dmode: f.dmode });
    } catch (e) {
      const why = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'No such file or directory' : (e as Error).message;
      throw optError(f.opt, f.text, `cannot initialize fsdev '${f.id}': failed to open '${f.path}': ${why}`);
    }
    drivers.push(driver);
    const server = new V9fsState({ driver, multidevs: f.multidevs, warn, trace });
    if (d.transport === 'mmio') { devices.push({ type: 'virtio-9p-device', mountTag: d.mountTag, server, place: d.place }); continue; }
    // QEMU's virtio-9p-pci: class 0x0002 (unclassified), 2 MSI-X vectors.
    pci.push({ seq: d.seq, realize: (ctx) => plugVirtioPci(ctx, 'virtio-9p-pci', d.props, new VirtIO9P(ctx.as, server, d.mountTag),
      { classCode: 0x000200, configSize: 2 + new TextEncoder().encode(d.mountTag).length, vectors: 2 }) });
  }
  return { devices, pci, close: async () => { await Promise.all(drivers.map((x) => x.close())); } };
}
