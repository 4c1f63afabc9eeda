// CPURISCVState: one hart's architectural state at fixed offsets inside the shared
// WebAssembly.Memory. This table is the only place an offset is written: the wasm emitters
// (tcg/, target/riscv/trans_*.ts) take offsets from STATE, the TypeScript slow paths read the
// same bytes through CPURISCVState's accessors, and snapshots will walk the table.
//
// Per hart, laid out in order (all little-endian):
//   gpr[32] i64, fpr[32] i64 (raw bits, singles NaN-boxed), pc i64, scalars, CSRs, pmp,
//   then the soft TLB: tlb[MMU_IDX_COUNT][TLB_KIND_COUNT][TLB_ENTRIES] of {tag i64, addend i64}.
import type { AddressSpace } from '../../exec/memory.js';

type FieldType = 'i64' | 'i32';
interface FieldSpec { name: string; type: FieldType; count?: number }

/** Number of soft-TLB entries per (mmu index, access kind): direct-mapped by tlbSlot(), and for
 * loads and stores a second chance in tlbVictimSlot() (QEMU's victim TLB role). */
export const TLB_BITS = 10;
export const TLB_ENTRIES = 1 << TLB_BITS;
export const TLB_ENTRY_BYTES = 16; // tag i64 + addend i64
/** Soft-TLB slot of a virtual address (from its low 32 bits): vpn & (N-1). */
export function tlbSlot(lo: number): number {
  return (lo >>> 12) & (TLB_ENTRIES - 1);
}
/** Where a LOAD/STORE entry evicted from its slot moves: vpn bits 0-9 xor vpn bits 10-19, so
 * pages a multiple of 4 MiB apart (two big buffers walked together) both stay cached. */
export function tlbVictimSlot(lo: number): number {
  return ((lo >>> 12) ^ (lo >>> (12 + TLB_BITS))) & (TLB_ENTRIES - 1);
}
/** Block-compiler tables in the state block (see the tb_* fields). */
export const TB_HOT_MAX = 32;
/** call_pred entries (a power of two): the interpreter's last target of each `jalr ra` site. */
export const CALL_PRED_ENTRIES = 256;
export const TB_JMP_ENTRIES = 4096;
/** tb_jmp set of pc: ((pc >> 1) ^ (pc >> TB_JMP_HASH_SHIFT)) & (TB_JMP_ENTRIES - 1). */
export const TB_JMP_HASH_SHIFT = 15;
/** Byte distance from a set's way 0 entry to its way 1 entry (tb_jmp is 2-way: see the field). */
export const TB_JMP_WAY1 = TB_JMP_ENTRIES * 16;
/** tb_l2 entries (a power of two, >= TB_JMP_ENTRIES: its slot of pc is tb_jmp's hash with more bits). */
export const TB_L2_ENTRIES = 16384;

/** Access kinds, one TLB each (TinyEMU/QEMU style). */
export const enum TlbKind { LOAD = 0, STORE = 1, FETCH = 2 }
export const TLB_KIND_COUNT = 3;
/** MMU indexes: which translation regime an access uses (QEMU's mmu_idx).
 * U: user; S: supervisor; S_SUM: supervisor with sstatus.SUM=1 (may touch U pages);
 * M: machine (bare, PMP only). MXR changes flush all. With the H extension, VU/VS/VS_SUM are
 * the same with V=1 (two-stage translation, guest virtual -> host physical), so V=0 and V=1
 * never share a TLB entry. */
export const enum MmuIdx { U = 0, S = 1, S_SUM = 2, M = 3, VU = 4, VS = 5, VS_SUM = 6 }
export const MMU_IDX_COUNT = 7;
/** A tag that never matches: page-aligned tags have their low 12 bits clear. */
export const TLB_INVALID_TAG = -1n;

const FIELDS: FieldSpec[] = [
  { name: 'gpr', type: 'i64', count: 32 },
  { name: 'fpr', type: 'i64', count: 32 },
  { name: 'pc', type: 'i64' },
  /** Scratch for slow-path load/store values crossing the wasm/JS boundary (no BigInt). */
  { name: 'scratch', type: 'i64', count: 2 },
  /** LR/SC reservation: address, and valid flag below. */
  { name: 'load_res', type: 'i64' },
  { name: 'load_val', type: 'i64' },
  /** Instructions retired (minstret; mcycle reads the same). */
  { name: 'instret', type: 'i64' },
  // CSRs held as full 64-bit values (spec names).
  { name: 'mstatus', type: 'i64' },
  { name: 'misa', type: 'i64' },
  { name: 'medeleg', type: 'i64' },
  { name: 'mideleg', type: 'i64' },
  { name: 'mie', type: 'i64' },
  { name: 'mip', type: 'i64' },
  { name: 'mtvec', type: 'i64' },
  { name: 'mepc', type: 'i64' },
  { name: 'mcause', type: 'i64' },
  { name: 'mtval', type: 'i64' },
  { name: 'mscratch', type: 'i64' },
  { name: 'stvec', type: 'i64' },
  { name: 'sepc', type: 'i64' },
  { name: 'scause', type: 'i64' },
  { name: 'stval', type: 'i64' },
  { name: 'sscratch', type: 'i64' },
  { name: 'satp', type: 'i64' },
  { name: 'menvcfg', type: 'i64' },
  { name: 'senvcfg', type: 'i64' },
  { name: 'mseccfg', type: 'i64' },
  { name: 'mhartid', type: 'i64' },
  { name: 'mcycle_offset', type: 'i64' },
  /** minstret = instret + minstret_offset (written by csrw minstret; priv owns it). */
  { name: 'minstret_offset', type: 'i64' },
  // Privileged extensions (priv-ext.ts): Sstc's stimecmp, Smstateen, Sscofpmf's mhpmevent3..31.
  { name: 'stimecmp', type: 'i64' },
  { name: 'mstateen', type: 'i64', count: 4 },
  { name: 'sstateen', type: 'i64', count: 4 },
  // H with Sstc/Smstateen (hyp-sstc.ts): hstateen0-3, vstimecmp, the VS timer's line and the
  // VSTIP that software wrote to hvip (mip.VSTIP is the OR of the two).
  { name: 'hstateen', type: 'i64', count: 4 },
  { name: 'vstimecmp', type: 'i64' },
  { name: 'vstime_irq', type: 'i32' },
  { name: 'hvip_vstip', type: 'i32' },
  { name: 'mhpmevent', type: 'i64', count: 32 },
  // PMU (pmu.ts): mhpmcounter3..31's value and, while one counts, the base it started from.
  { name: 'hpm_val', type: 'i64', count: 32 },
  { name: 'hpm_prev', type: 'i64', count: 32 },
  // Sdtrig (debug.ts): the two triggers, tselect and mcontext.
  { name: 'tdata1', type: 'i64', count: 2 },
  { name: 'tdata2', type: 'i64', count: 2 },
  { name: 'tdata3', type: 'i64', count: 2 },
  { name: 'mcontext', type: 'i64' },
  { name: 'trigger_cur', type: 'i32' },
  { name: 'pmpaddr', type: 'i64', count: 16 },
  { name: 'pmpcfg', type: 'i32', count: 4 }, // 16 one-byte entries, packed 4 per i32
  { name: 'mcounteren', type: 'i32' },
  { name: 'scounteren', type: 'i32' },
  { name: 'mcountinhibit', type: 'i32' },
  /** Current privilege: 0 U, 1 S, 3 M. */
  { name: 'priv', type: 'i32' },
  /** Accrued FP exception flags (fcsr[4:0]) and rounding mode (fcsr[7:5]). */
  { name: 'fflags', type: 'i32' },
  { name: 'frm', type: 'i32' },
  /** MMU index for data accesses (honours MPRV/MPP and SUM) and for fetch; kept current by the
   * TS side whenever priv or mstatus change, read by generated code to pick a TLB. */
  { name: 'mmu_idx_data', type: 'i32' },
  { name: 'mmu_idx_fetch', type: 'i32' },
  /** 1 while the reservation in load_res is valid. */
  { name: 'load_res_valid', type: 'i32' },
  /** Remaining instruction budget of the current run() (generated code counts it down). */
  { name: 'budget', type: 'i32' },
  /** The interpreter's remaining budget at its last instret sync (interpreter.ts). */
  { name: 'interp_synced', type: 'i32' },
  /** Non-zero asks generated code to leave at the next instruction boundary. */
  { name: 'exit_request', type: 'i32' },
  /** 1 while the hart sleeps in wfi. */
  { name: 'wfi', type: 'i32' },
  /** mip.SEIP as software wrote it (0 or 1); the PLIC's line is the SEIP bit of `mip`, and
   * reads of mip see the OR of the two (QEMU's software_seip / external_seip). */
  { name: 'software_seip', type: 'i32' },
  // H extension (cpu-h.ts, csr-h.ts, mmu-h.ts). While V=1 the S-level CSRs above hold the
  // guest's (VS) values and the vs* fields below hold HS's: riscvCpuSwapHypervisorRegs swaps
  // them at every change of V (QEMU's riscv_cpu_swap_hypervisor_regs).
  /** The virtualization mode V (0 or 1). */
  { name: 'virt', type: 'i32' },
  /** While V=1 with HS's FS Off: 1 + the guest's FS (the live mstatus.FS reads Off, so F/D
   * instructions and CSRs are illegal as the spec wants); 0 otherwise. */
  { name: 'vs_fs_hidden', type: 'i32' },
  { name: 'hstatus', type: 'i64' },
  { name: 'hcounteren', type: 'i64' },
  { name: 'hedeleg', type: 'i64' },
  { name: 'hideleg', type: 'i64' },
  { name: 'hgeie', type: 'i64' },
  { name: 'htval', type: 'i64' },
  { name: 'htinst', type: 'i64' },
  { name: 'hgatp', type: 'i64' },
  { name: 'htimedelta', type: 'i64' },
  { name: 'henvcfg', type: 'i64' },
  { name: 'vsstatus', type: 'i64' },
  { name: 'vstvec', type: 'i64' },
  { name: 'vsscratch', type: 'i64' },
  { name: 'vsepc', type: 'i64' },
  { name: 'vscause', type: 'i64' },
  { name: 'vstval', type: 'i64' },
  { name: 'vsatp', type: 'i64' },
  { name: 'mtval2', type: 'i64' },
  { name: 'mtinst', type: 'i64' },
  // Pointer masking (pointer-masking.ts): the data accesses' "ignore" transformation as two
  // shift counts, kept current like mmu_idx_data: va = sar(shl(va, pm_shift), pm_shift) for
  // a virtual address, shr(shl(va, pm_zshift), pm_zshift) for a physical one (0 = no masking).
  { name: 'pm_shift', type: 'i64' },
  { name: 'pm_zshift', type: 'i64' },
  /** Zcmt's jump vector table CSR (trans_rvzce.ts). */
  { name: 'jvt', type: 'i64' },
  // Block compiler (tb-cache.ts, interpreter.ts's dispatcher).
  /** Executions of a block start before it is queued for compilation; 0 = compiler off. */
  { name: 'tb_threshold', type: 'i32' },
  /** Entries used in tb_hot. */
  { name: 'tb_hot_n', type: 'i32' },
  /** Instructions retired inside translated blocks (statistics, `info jit`). */
  { name: 'tb_insns', type: 'i64' },
  /** Block start pcs that reached the threshold, compiled in a batch when run() returns. */
  { name: 'tb_hot', type: 'i64', count: TB_HOT_MAX },
  /** QEMU's tb_jmp_cache, 2-way set associative: TB_JMP_ENTRIES sets, way 0 (most recently
   * used) then, TB_JMP_WAY1 bytes on, way 1; each entry { pc tag i64, table index i32 (0 = not
   * compiled), execution count i32 while not compiled, then the entry's run index in its
   * translated region }. Two ways, because the count is the hotness counter: direct-mapped, a
   * pc that runs once per a few thousand executions of a hot loop's pc in the same slot (a
   * syscall path against a user loop) reset its count for ever, and the loop stayed
   * interpreted. */
  { name: 'tb_jmp', type: 'i64', count: TB_JMP_ENTRIES * 2 * 2 },
  /** The second level behind tb_jmp (QEMU's tb_htable keeps every TB; this keeps what tb_jmp
   * evicts): direct-mapped, entries as tb_jmp's, slot ((pc >> 1) ^ (pc >> 15)) &
   * (TB_L2_ENTRIES - 1). An entry way 1 loses goes here, and a pc missing from both ways takes
   * its entry back, so a translated block is entered again at once and a cold block's count
   * survives: without it a hot block whose set was contended lost its count on every eviction
   * and ran interpreted until it reached the threshold again (thread=single's erratic times). */
  { name: 'tb_l2', type: 'i64', count: TB_L2_ENTRIES * 2 },
  /** The interpreter's calls through a register (`jalr ra`): direct-mapped by ((pc >> 1) &
   * (CALL_PRED_ENTRIES - 1)), entries { call pc, its last target }. The block compiler predicts
   * a call site's target from it (user mode: a leaf callee taken inline, tb-decode.ts). */
  { name: 'call_pred', type: 'i64', count: CALL_PRED_ENTRIES * 2 },
  // V (vector_helper.ts): vl, vtype (vill in bit 63, as the CSR reads), vstart, vxrm, vxsat,
  // then 32 registers of VLENB bytes each, packed at the configured VLEN (room for 1024).
  { name: 'vl', type: 'i64' },
  { name: 'vtype', type: 'i64' },
  { name: 'vstart', type: 'i32' },
  { name: 'vxrm', type: 'i32' },
  { name: 'vxsat', type: 'i32' },
  { name: 'vreg', type: 'i64', count: 32 * 1024 / 64 },
];

export interface FieldInfo { offset: number; type: FieldType; count: number }

function layout(): { fields: Record<string, FieldInfo>; tlbOffset: number; size: number } {
  const fields: Record<string, FieldInfo> = {};
  let off = 0;
  for (const f of FIELDS) {
    const width = f.type === 'i64' ? 8 : 4;
    off = Math.ceil(off / width) * width;
    const count = f.count ?? 1;
    fields[f.name] = { offset: off, type: f.type, count };
    off += width * count;
  }
  const tlbOffset = Math.ceil(off / 64) * 64;
  const size = tlbOffset + MMU_IDX_COUNT * TLB_KIND_COUNT * TLB_ENTRIES * TLB_ENTRY_BYTES;
  return { fields, tlbOffset, size: Math.ceil(size / 4096) * 4096 };
}

const L = layout();
/** Byte offsets (relative to a hart's state base) of every field. */
export const STATE = L.fields as Readonly<Record<string, FieldInfo>>;
/** Offset of the soft TLB within a hart's state block. */
export const TLB_OFFSET = L.tlbOffset;
/** Bytes of one hart's state block (page aligned). */
export const CPU_STATE_SIZE = L.size;

/** Byte offset, within a hart's state, of TLB entry (idx, kind, i). */
export function tlbEntryOffset(idx: number, kind: number, i: number): number {
  return TLB_OFFSET + ((idx * TLB_KIND_COUNT + kind) * TLB_ENTRIES + i) * TLB_ENTRY_BYTES;
}

export function riscvCpuStateBytes(nharts: number): number {
  return nharts * CPU_STATE_SIZE;
}

/** linux-user's hooks (see the CPU contract's user-mode section): when set, the hart runs at
 * U with satp ignored, translation is this callback (host offset of vaddr, or -1 for a fault),
 * exceptions are recorded (scause/stval, exit_request) instead of vectored. */
export interface RISCVUserModeHooks {
  tlbFill(vaddr: bigint, kind: TlbKind, size: number): number;
  /** At run() entry, after exit_request is cleared (so a kick that comes later is not lost):
   * take changes other threads made to code this hart may have translated. */
  onRun?(): void;
  /** fence.i: may another thread have written guest code at host page `hostPage` (offset >>
   * 12) behind this hart's translations? (Those writes never reach this hart's slow store
   * path, so its translations of writable pages are dropped.) */
  pageWritable?(hostPage: number): boolean;
  /** Every mapped page's host offset is vaddr + guestBase (QEMU's guest_base): translated
   * loads and stores add it as a constant after the TLB check instead of loading the entry's
   * addend (one dependent load less per access). */
  guestBase?: number;
  /** With guestBase: linux-user's page protection bytes (one per 4 KiB page, in the wasm
   * memory at `table`, for vaddr < `limit`): a translated load (store) that misses the TLB
   * reads (writes) directly when (byte & loadMask) == loadNeed (storeMask, storeNeed), and
   * leaves for the slow path otherwise (one exit per miss before: a strided walk over more than
   * the TLB's reach). storeMask must exclude pages that may hold translated code (the slow
   * store path invalidates it). */
  pageTable?: UserPageTable;
  /** Entries userTlbFill made so far (mmu.ts): blocks translated from `pageTable.afterFills()`
   * fills on get the direct paths (a program whose data fits the TLB gets none: they made
   * gzip's and sha256sum's wasm ~25% larger and their CPU ~10% higher). */
  tlbFills?: number;
}
export interface UserPageTable {
  table: number; limit: number; loadMask: number; loadNeed: number; storeMask: number; storeNeed: number;
  afterFills(): number;
}

/** TypeScript's window onto one hart's state block. */
export class CPURISCVState {
  readonly view: DataView;
  /** Source of the `time` CSR (the machine's mtime, or the host clock in user mode). */
  rdtime: () => bigint = () => 0n;
  /** -icount: cycle and instret read the virtual clock in ns, as QEMU's get_ticks. */
  icount: (() => bigint) | undefined = undefined;
  /** Set by linux-user only. */
  userMode?: RISCVUserModeHooks;
  /** Exceptions raised so far: a helper that both traps and completes with a reload status
   * (csr, sfence.vma) tells the two apart by it (in user mode a trap leaves pc unchanged). */
  exceptions = 0;
  constructor(
    readonly as: AddressSpace,
    /** Byte offset of this hart's block inside the WebAssembly.Memory. */
    readonly base: number,
    readonly hartid: number,
  ) {
    this.view = new DataView(as.memory.buffer);
  }

  get64(field: string, index = 0): bigint {
    return this.view.getBigUint64(this.base + STATE[field].offset + index * 8, true);
  }
  set64(field: string, value: bigint, index = 0): void {
    this.view.setBigUint64(this.base + STATE[field].offset + index * 8, BigInt.asUintN(64, value), true);
  }
  get32(field: string, index = 0): number {
    return this.view.getUint32(this.base + STATE[field].offset + index * 4, true);
  }
  set32(field: string, value: number, index = 0): void {
    this.view.setUint32(this.base + STATE[field].offset + index * 4, value >>> 0, true);
  }

  private mem32?: Int32Array;
  /** A CSR write's change of mip's low word from `before` (as it read it) to `after`: only the
   * bits that differ are written, atomically, so a device's concurrent change of the others
   * (another thread with thread=multi) is not lost. */
  updateMip(before: number, after: number): void {
    const diff = (before ^ after) | 0;
    if (diff === 0) return;
    const m = (this.mem32 ??= new Int32Array(this.as.memory.buffer));
    const i = (this.base + STATE.mip.offset) >> 2;
    for (;;) {
      const cur = Atomics.load(m, i);
      if (Atomics.compareExchange(m, i, cur, (cur & ~diff) | (after & diff)) === cur) return;
    }
  }

  getGpr(i: number): bigint { return this.get64('gpr', i); }
  setGpr(i: number, v: bigint): void { if (i !== 0) this.set64('gpr', v, i); }
  get pc(): bigint { return this.get64('pc'); }
  set pc(v: bigint) { this.set64('pc', v); }
  get priv(): number { return this.get32('priv'); }
  set priv(v: number) { this.set32('priv', v); }
}
