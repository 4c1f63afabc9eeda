// RISC-V privileged-architecture constants (QEMU's target/riscv/cpu_bits.h): privilege levels,
// exception causes, mstatus / PTE / PMP bit fields. Numbers, so hot paths avoid BigInt.

export const enum Priv { U = 0, S = 1, M = 3 }

/** Synchronous exception causes (mcause/scause with the interrupt bit clear). */
export const enum RiscvExcp {
  INST_ADDR_MIS = 0,
  INST_ACCESS_FAULT = 1,
  ILLEGAL_INST = 2,
  BREAKPOINT = 3,
  LOAD_ADDR_MIS = 4,
  LOAD_ACCESS_FAULT = 5,
  STORE_AMO_ADDR_MIS = 6,
  STORE_AMO_ACCESS_FAULT = 7,
  U_ECALL = 8,
  S_ECALL = 9,
  M_ECALL = 11,
  INST_PAGE_FAULT = 12,
  LOAD_PAGE_FAULT = 13,
  STORE_PAGE_FAULT = 15,
}

/** mstatus bits in the low 32-bit word. */
export const enum Mstatus {
  SIE = 1 << 1,
  MIE = 1 << 3,
  SPIE = 1 << 5,
  MPIE = 1 << 7,
  SPP = 1 << 8,
  MPP_SHIFT = 11,
  MPP = 3 << 11,
  FS_SHIFT = 13,
  FS = 3 << 13,
  XS = 3 << 15,
  MPRV = 1 << 17,
  SUM = 1 << 18,
  MXR = 1 << 19,
  TVM = 1 << 20,
  TW = 1 << 21,
  TSR = 1 << 22,
}
/** SXL = UXL = 2 (64-bit), fixed: bits 35:32 of mstatus. */
export const MSTATUS_XL_FIXED = 0xa00000000n;
export const MSTATUS_SD = 1n << 63n;

/** Sv39/48/57 page-table entry bits. */
export const enum Pte {
  V = 1 << 0,
  R = 1 << 1,
  W = 1 << 2,
  X = 1 << 3,
  U = 1 << 4,
  G = 1 << 5,
  A = 1 << 6,
  D = 1 << 7,
}

/** satp.MODE values. */
export const enum SatpMode { BARE = 0, SV39 = 8, SV48 = 9, SV57 = 10 }

/** pmpcfg byte fields. */
export const enum PmpCfg { R = 1, W = 2, X = 4, A_SHIFT = 3, A = 3 << 3, L = 0x80 }
export const enum PmpA { OFF = 0, TOR = 1, NA4 = 2, NAPOT = 3 }

/** misa of QEMU's rv64 CPU restricted to what tsqemu implements: RV64 IMAFDC + S + U. */
export const MISA_RV64GC_SU = 0x800000000014112dn;
/** QEMU 10.2's marchid / mimpid (QEMU_VERSION as major<<16 | minor<<8 | micro). */
export const QEMU_MARCHID = 0x0a0200n;
