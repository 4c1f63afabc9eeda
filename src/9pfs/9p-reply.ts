// Marshalling of the larger 9P2000.L replies (Rgetattr, Rstatfs, Rreaddir), with QEMU's
// adjustments of sizes to the negotiated msize (v9fs_fill_statfs, stat_to_iounit).
import { P9Writer, type Qid, QidType } from './9p-proto.js';
import type { FsDirEntry, FsStat, FsStatfs } from './fsdriver.js';

const split = (ns: bigint): [bigint, bigint] => {
  const s = ns / 1_000_000_000n;
  const r = ns - s * 1_000_000_000n;
  return r < 0n ? [s - 1n, r + 1_000_000_000n] : [s, r];
};

export function v9fsGetattrReply(w: P9Writer, valid: bigint, qid: Qid, st: FsStat, blksize: number): void {
  w.u64(valid).qid(qid).u32(st.mode).u32(st.uid).u32(st.gid).u64(st.nlink).u64(st.rdev).u64(st.size)
    .u64(blksize).u64(st.blocks);
  for (const t of [st.atimeNs, st.mtimeNs, st.ctimeNs]) {
    const [s, ns] = split(t);
    w.u64(s).u64(ns);
  }
  w.u64(0).u64(0).u64(0).u64(0); // btime, gen, data_version: not reported (QEMU neither)
}

/** Rstatfs with the block size scaled up to what one message carries (as QEMU does for df). */
export function v9fsStatfsReply(w: P9Writer, s: FsStatfs, room: number): void {
  const factor = Math.max(1, Math.floor(room / (s.bsize || 1)));
  w.u32(s.type).u32(s.bsize * factor).u64(Math.floor(s.blocks / factor)).u64(Math.floor(s.bfree / factor))
    .u64(Math.floor(s.bavail / factor)).u64(s.files).u64(s.ffree).u64(s.fsid).u32(s.namelen);
}

/**
 * Rreaddir entries from index `off` (an entry's offset field is the index of the next one) that
 * fit in `room` bytes. `qidPath` maps (dev, ino) as the server's multidevs setting says.
 */
export function v9fsReaddirReply(w: P9Writer, ents: readonly FsDirEntry[], off: number, room: number,
  qidPath: (e: FsDirEntry) => bigint): void {
  const countAt = w.pos;
  w.u32(0);
  let used = 0;
  for (let i = off; i < ents.length; i++) {
    const e = ents[i];
    const n = 22 + P9Writer.strSize(e.name); // qid[13] offset[8] type[1] name[s]
    if (used + n > room) break;
    let path: bigint;
    try {
      path = qidPath(e);
    } catch {
      continue; // multidevs=forbid: the entry is left out
    }
    const type = e.type === 4 ? QidType.DIR : e.type === 10 ? QidType.SYMLINK : QidType.FILE;
    w.qid({ type, version: 0, path }).u64(i + 1).u8(e.type).str(e.name);
    used += n;
  }
  const end = w.pos;
  w.pos = countAt;
  w.u32(used);
  w.pos = end;
}
