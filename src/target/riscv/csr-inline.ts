// CSR accesses that generated code does inline instead of calling riscvCsrrw (trans_rvzicsr.ts).
// The inline path implements one row's semantics; it is emitted only while the row installed
// for that CSR is the one registered here, so an extension that wraps the row later (its own
// riscvCsrDefine) turns the inline path off instead of being bypassed.

/** sstatus bits a write may change (SIE SPIE SPP VS FS SUM MXR) and the bits its read shows
 * (those, XS, UXL, SD): csr.ts's SSTATUS_WMASK/RMASK with VS, which stays 0 without V. */
export const SSTATUS_WBITS = 0xc6722n;
export const SSTATUS_RBITS = SSTATUS_WBITS | 0x18000n | 0x300000000n | (1n << 63n);

export const csrInline = {
  /** csr.ts's riscvCsrLookup (set there: this module imports nothing). */
  lookup: (_csrno: number): unknown => undefined,
  /** The rows whose semantics the inline paths implement. */
  rows: new Map<number, unknown>(),
};

/** Whether generated code may do csr `csrno` inline (its registered row is still installed). */
export function riscvCsrInlineOk(csrno: number): boolean {
  const row = csrInline.lookup(csrno);
  return row !== undefined && csrInline.rows.get(csrno) === row;
}
