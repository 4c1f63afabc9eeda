// The virt board's flash banks on the command line: -drive if=pflash and -machine
// pflash0=/pflash1= (a -blockdev node) attached to cfi.pflash01 devices before the board is built.
import { QemuError, optError } from '../qemu/error.js';
import type { SystemConfig } from '../system/vl.js';
import { PFLASH_UNITS, pflashUnit } from '../system/vl-pflash.js';
import type { DriveRef } from '../hw/core/qdev.js';
import type { PFlashCFI01 } from '../hw/block/pflash_cfi01.js';
import { createVirtFlash } from '../hw/riscv/virt-flash.js';

export async function createPflash(cfg: SystemConfig, takeDrive: (id: string, what: string, owner: boolean) => DriveRef,
  warn: (m: string) => void): Promise<PFlashCFI01[]> {
  const flash = createVirtFlash();
  for (const f of flash) f.onError = warn;
  const byUnit: Array<{ ref: DriveRef; fail: (m: string) => QemuError } | undefined> = [];
  for (let u = 0; u < PFLASH_UNITS; u++) {
    const node = cfg.extras.pflashNodes[u];
    if (node === undefined) continue;
    byUnit[u] = { ref: takeDrive(node, 'cfi.pflash01', false), fail: (m) => new QemuError(m) };
  }
  for (const d of cfg.drives) {
    if (d.if !== 'pflash') continue;
    const u = pflashUnit(d.opts);
    if (byUnit[u]) throw optError('-drive', d.text, 'clashes with -machine');
    byUnit[u] = { ref: takeDrive(d.id, 'cfi.pflash01', true), fail: (m) => new QemuError(m) };
  }
  for (let u = 0; u < PFLASH_UNITS; u++) {
    const b = byUnit[u];
    if (!b) continue;
    try {
      await flash[u].attach(b.ref.blk);
    } catch (e) {
      if (e instanceof QemuError) throw b.fail(e.message);
      throw e;
    }
  }
  return flash;
}
