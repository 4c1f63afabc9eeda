// The load/store slow path behind the inline soft-TLB check (QEMU's cputlb.c role): TLB fill
// (page walk, PMP) through riscvTlbFill, MMIO dispatch, misaligned and page-crossing accesses
// (split into bytes after both pages are translated, so a fault leaves memory untouched), and
// the instruction fetch slow path (a 4-byte instruction may straddle two pages).
// Values cross the wasm boundary in state.scratch[0]; addresses as two i32 halves.
import { type CPURISCVState, STATE, TlbKind, tlbEntryOffset, tlbSlot, tlbVictimSlot } from './cpu-state.js';
import { riscvRaiseException } from './cpu_helper.js';
import { riscvHighTlbProbe, riscvTlbFill } from './mmu.js';
import { riscvHighRamWindow } from './hiram-window.js';

const SCRATCH = STATE.scratch.offset;
/** riscvXlate's answer for a device page: the caller does the access through slowLoad/slowStore. */
export const MMIO_HOST = -2;
/** slowLoad memop flag: the load half of an AMO/SC on a device page; translate for a store and
 * report faults as store/AMO ones. */
export const MEMOP_AMO = 8;
const EXCP_LOAD_ACCESS = 5, EXCP_STORE_ACCESS = 7, EXCP_FETCH_ACCESS = 1;

/** Where one byte range of one page lives: host offset (RAM) or physical address (MMIO). */
interface Target { host: number; mmioPa: number }

function translate(env: CPURISCVState, va: bigint, kind: TlbKind, size: number, out: Target): boolean {
  const idx = env.get32(kind === TlbKind.FETCH ? 'mmu_idx_fetch' : 'mmu_idx_data');
  const host = tlbProbe(env, va, kind, idx);
  if (host >= 0) { out.host = host; out.mmioPa = -1; return true; }
  const pa = riscvHighTlbProbe(env, Number(va & 0xffffffffn) | 0, Number(BigInt.asIntN(32, va >> 32n)), kind, idx);
  if (pa >= 0) { out.host = -1; out.mmioPa = pa; return true; }
  const r = riscvTlbFill(env, va, kind, size, idx);
  if (!r) return false;
  if ('hostOffset' in r) { out.host = r.hostOffset; out.mmioPa = -1; } else { out.host = -1; out.mmioPa = r.mmioPa; }
  return true;
}

/**
 * Host offset of va when the soft TLB already maps its page (the entries the inline fast path
 * reads: RAM the access may touch), else -1. Slow-path accesses that only cross a page or an
 * instruction straddling two pages then need no page walk each time.
 */
function tlbProbe(env: CPURISCVState, va: bigint, kind: TlbKind, idx: number): number {
  return tlbProbeHalves(env, Number(va & 0xffffffffn) | 0, Number(BigInt.asIntN(32, va >> 32n)), kind, idx);
}

function tlbProbeHalves(env: CPURISCVState, lo: number, hi: number, kind: TlbKind, idx: number): number {
  const v = env.view;
  const page = lo & ~0xfff;
  for (let k = 0; k < (kind === TlbKind.FETCH ? 1 : 2); k++) {
    const e = env.base + tlbEntryOffset(idx, kind, k === 0 ? tlbSlot(lo) : tlbVictimSlot(lo));
    if (v.getInt32(e, true) === page && v.getInt32(e + 4, true) === hi) return (lo + v.getInt32(e + 8, true)) >>> 0;
  }
  return -1;
}

const vaOf = (lo: number, hi: number) => (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
const t0: Target = { host: 0, mmioPa: 0 };
const t1: Target = { host: 0, mmioPa: 0 };

/** Translate [va, va+size) as at most two pieces; returns bytes in the first piece, or -1.
 * `lo` is va's low 32 bits (page offset and alignment without BigInt arithmetic). */
function translateRange(env: CPURISCVState, va: bigint, lo: number, kind: TlbKind, size: number): number {
  const inPage = 4096 - (lo & 0xfff);
  const aligned = (lo & (size - 1)) === 0;
  const first = Math.min(size, inPage);
  if (!translate(env, va, kind, aligned ? size : 1, t0)) return -1;
  if (first < size) {
    // Bringing the second page into the high-RAM window may have evicted the first one's slot.
    const w = env.as.highRamWindow ? riscvHighRamWindow(env) : undefined;
    for (let n = w ? w.evictions : 0; ;) {
      if (!translate(env, va + BigInt(first), kind, 1, t1)) return -1;
      if (!w || w.evictions === n) break;
      n = w.evictions;
      if (!translate(env, va, kind, aligned ? size : 1, t0)) return -1;
    }
  }
  return first;
}

function accessFault(env: CPURISCVState, kind: TlbKind, va: bigint): number {
  riscvRaiseException(env, kind === TlbKind.STORE ? EXCP_STORE_ACCESS : kind === TlbKind.LOAD ? EXCP_LOAD_ACCESS : EXCP_FETCH_ACCESS, va);
  return 1;
}

let i64Bytes: Uint8Array | null = null;
let i64: BigInt64Array = new BigInt64Array(0);

/** Copy n bytes between two host offsets of guest memory that do not overlap (RAM and the
 * scratch slot). A naturally aligned 1/2/4/8-byte piece is one access, as single-copy atomic for
 * the other harts' threads as the memmove it replaces; copyWithin is a call into C++ that costs
 * more than such a copy (a boot takes ~25k slow stores and ~60k slow loads and fetches). */
function copyHost(env: CPURISCVState, to: number, from: number, n: number): void {
  const bytes = env.as.bytes;
  if (n > 8 || (n & (n - 1)) !== 0 || ((to | from) & (n - 1)) !== 0) { bytes.copyWithin(to, from, from + n); return; }
  if (n === 1) { bytes[to] = bytes[from]; return; }
  const v = env.view;
  if (n === 2) { v.setUint16(to, v.getUint16(from, true), true); return; }
  if (n === 4) { v.setInt32(to, v.getInt32(from, true), true); return; }
  if (i64Bytes !== bytes) { i64Bytes = bytes; i64 = new BigInt64Array(bytes.buffer, 0, Math.floor(bytes.buffer.byteLength / 8)); } // 4 GiB: not >>>
  i64[to >>> 3] = i64[from >>> 3];
}

/** Copy piece `t` ([from, from+n) of a `size`-byte access) to dst + from; 0 ok, 1 fault raised. */
function readPiece(env: CPURISCVState, t: Target, from: number, n: number, size: number, dst: number, va: bigint, kind: TlbKind): number {
  if (n === 0) return 0;
  const bytes = env.as.bytes;
  if (t.host >= 0) { copyHost(env, dst + from, t.host, n); return 0; }
  if (env.as.copyHostRam(t.mmioPa, n, dst + from, false)) return 0; // RAM beyond the wasm memory
  if (n === size && (size & (size - 1)) === 0) {
    const v = env.as.load(t.mmioPa, size);
    if (v === undefined) return accessFault(env, kind, va);
    env.view.setBigUint64(dst, v, true);
    return 0;
  }
  for (let i = 0; i < n; i++) {
    const v = env.as.load(t.mmioPa + i, 1);
    if (v === undefined) return accessFault(env, kind, va);
    bytes[dst + from + i] = Number(v);
  }
  return 0;
}

/** Read `size` bytes at va into `dst` (host offset); 0 ok, 1 exception raised. */
function readBytes(env: CPURISCVState, va: bigint, lo: number, kind: TlbKind, size: number, dst: number): number {
  const first = translateRange(env, va, lo, kind, size);
  if (first < 0) return 1;
  return readPiece(env, t0, 0, first, size, dst, va, kind) || readPiece(env, t1, first, size - first, size, dst, va, kind);
}

/** Store piece `t` from src + from; 0 ok, 1 fault raised. */
function writePiece(env: CPURISCVState, t: Target, from: number, n: number, size: number, src: number, va: bigint): number {
  if (n === 0) return 0;
  const bytes = env.as.bytes;
  if (t.host >= 0) { copyHost(env, t.host, src + from, n); return 0; }
  if (env.as.copyHostRam(t.mmioPa, n, src + from, true)) return 0; // RAM beyond the wasm memory
  if (n === size && (size & (size - 1)) === 0) {
    return env.as.store(t.mmioPa, size, env.view.getBigUint64(src, true)) ? 0 : accessFault(env, TlbKind.STORE, va);
  }
  for (let i = 0; i < n; i++) {
    if (!env.as.store(t.mmioPa + i, 1, BigInt(bytes[src + from + i]))) return accessFault(env, TlbKind.STORE, va);
  }
  return 0;
}

/** An aligned access to a page of RAM beyond the wasm memory that the slow path's TLB already
 * maps: copied without BigInts or a walk (pages the high-RAM window cannot take: a PMP region
 * boundary inside the page, DMA in flight; the others have ordinary TLB entries). */
function highRamFast(env: CPURISCVState, lo: number, hi: number, kind: TlbKind, size: number, at: number, toRam: boolean): boolean {
  if (!env.as.hasHostRam || (lo & (size - 1))) return false;
  const pa = riscvHighTlbProbe(env, lo, hi, kind, env.get32('mmu_idx_data'));
  return pa >= 0 && env.as.copyHostRam(pa, size, at, toRam);
}

export function riscvSlowLoad(env: CPURISCVState, lo: number, hi: number, memop: number): number {
  const size = 1 << (memop & 3);
  const dst = env.base + SCRATCH;
  if (highRamFast(env, lo, hi, memop & MEMOP_AMO ? TlbKind.STORE : TlbKind.LOAD, size, dst, false)) {
    // read: extend below
  } else if (readBytes(env, vaOf(lo, hi), lo, memop & MEMOP_AMO ? TlbKind.STORE : TlbKind.LOAD, size, dst)) return 1;
  const bytes = env.as.bytes;
  const fill = (memop & 4) && (bytes[dst + size - 1] & 0x80) ? 0xff : 0;
  for (let i = size; i < 8; i++) bytes[dst + i] = fill;
  return 0;
}

/** Host offsets of the last riscvSlowStore's pieces (-1: none, a device, high RAM): MTTCG's code
 * invalidation takes the page from here, not from the STORE TLB entry, which another thread's
 * claim() (tb-share.ts) may drop between the fill and the write. */
export const riscvLastStore = { host0: -1, host1: -1 };

export function riscvSlowStore(env: CPURISCVState, lo: number, hi: number, memop: number): number {
  const size = 1 << (memop & 3);
  const src = env.base + SCRATCH;
  riscvLastStore.host0 = riscvLastStore.host1 = -1;
  if (highRamFast(env, lo, hi, TlbKind.STORE, size, src, true)) return 0;
  const va = vaOf(lo, hi);
  const first = translateRange(env, va, lo, TlbKind.STORE, size);
  if (first < 0) return 1;
  riscvLastStore.host0 = t0.host;
  if (first < size) riscvLastStore.host1 = t1.host;
  return writePiece(env, t0, 0, first, size, src, va) || writePiece(env, t1, first, size - first, size, src, va);
}

/** Host offset for an aligned atomic access (AMO/LR/SC), -1 after raising the fault, or
 * MMIO_HOST for a device page (or nothing at all there), which trans_rva.ts then accesses
 * through the slow path as QEMU does (unmapped addresses fault there, with the right cause). */
export function riscvXlate(env: CPURISCVState, lo: number, hi: number, kind: TlbKind, size: number): number {
  const va = vaOf(lo, hi);
  if (!translate(env, va, kind, size, t0)) return -1;
  return t0.host < 0 ? MMIO_HOST : t0.host;
}

/** Fetch the instruction at state.pc into scratch (low 32 bits): 0 ok, 1 exception raised. */
export function riscvFetchSlow(env: CPURISCVState): number {
  // A page's last halfword (two thirds of a boot's slow fetches: the inline fetch reads whole
  // words): a compressed instruction there is read from the page the FETCH TLB maps, as the
  // inline path would, without BigInts.
  const pcLo = env.get32('pc') | 0;
  if ((pcLo & 0xfff) === 0xffe) {
    const host = tlbProbeHalves(env, pcLo, env.get32('pc', 1) | 0, TlbKind.FETCH, env.get32('mmu_idx_fetch'));
    const b = env.as.bytes;
    if (host >= 0 && (b[host] & 3) !== 3) {
      const at = env.base + SCRATCH;
      b[at] = b[host]; b[at + 1] = b[host + 1]; b[at + 2] = 0; b[at + 3] = 0;
      return 0;
    }
  }
  // Code in RAM beyond the wasm memory on a page the high-RAM window could not take (see
  // highRamFast): a page the slow path's TLB maps is read at once, without BigInts or a walk.
  if (env.as.hasHostRam) {
    const lo = env.get32('pc') | 0;
    if ((lo & 0xfff) <= 0xffc) {
      const pa = riscvHighTlbProbe(env, lo, env.get32('pc', 1) | 0, TlbKind.FETCH, env.get32('mmu_idx_fetch'));
      const at = env.base + SCRATCH;
      if (pa >= 0 && env.as.copyHostRam(pa, 4, at, false)) {
        const b = env.as.bytes;
        if ((b[at] & 3) !== 3) { b[at + 2] = 0; b[at + 3] = 0; }
        return 0;
      }
    }
  }
  const pc = env.pc;
  const lo = Number(pc & 0xffffffffn);
  const dst = env.base + SCRATCH;
  if (readBytes(env, pc, lo, TlbKind.FETCH, 2, dst)) return 1;
  const bytes = env.as.bytes;
  if ((bytes[dst] & 3) === 3) {
    // The upper half may sit on the next page: a fault there reports that page's address.
    if (readBytes(env, pc + 2n, (lo + 2) | 0, TlbKind.FETCH, 2, dst + 2)) return 1;
  } else {
    bytes[dst + 2] = 0; bytes[dst + 3] = 0;
  }
  return 0;
}
