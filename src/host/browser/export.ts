// "Download disk": a drive's image with the guest's writes merged (overlay over its base),
// written into a fresh qcow2 in memory with the block layer's qcow2 driver (what tsqemu-img
// convert -O qcow2 does on the node host), zero ranges left unallocated.
import type { BlockBackend } from '../../block/block-backend.js';
import { defaultOpenFlags } from '../../block/block_int.js';
import { bdrvFindFormat, bdrvOpen } from '../../block/block.js';
import { bdrvPwrite, bufferIsZero } from '../../block/io.js';
import { blockInit, createContext } from './block.js';
import { memFileBytes } from './block-protocols.js';

const STEP = 1024 * 1024;

export async function exportDrive(blk: BlockBackend): Promise<Uint8Array> {
  blockInit();
  const size = blk.getLength();
  const name = `mem:export-${Date.now()}.qcow2`;
  const qcow2 = bdrvFindFormat('qcow2');
  if (!qcow2?.create) throw new Error('no qcow2 driver');
  await qcow2.create(createContext(name, size, new Map(), () => {}));
  const out = await bdrvOpen(new Map([['driver', 'qcow2'], ['file', name]]), defaultOpenFlags(), { warn: () => {} });
  try {
    const buf = new Uint8Array(STEP);
    for (let off = 0; off < size; off += STEP) {
      const n = Math.min(STEP, size - off);
      const b = n === STEP ? buf : buf.subarray(0, n);
      await blk.pread(off, b);
      if (!bufferIsZero(b)) await bdrvPwrite(out, off, b);
    }
    await out.flush();
  } finally {
    await out.close();
  }
  return memFileBytes(name.slice(4), true);
}
