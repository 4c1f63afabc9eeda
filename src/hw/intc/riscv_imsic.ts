// RISC-V IMSIC (AIA spec chapter 3; QEMU's hw/intc/riscv_imsic.c): one per hart and privilege
// level, each with one or more interrupt files ("pages": the hart's own, then guest files).
// A device signals identity N by a 32-bit store of N to seteipnum_le (page offset 0); the hart
// reads and claims through the AIA CSRs (eidelivery, eithreshold, eip*, eie*, xtopei), which
// reach us via rmw(). The top pending-and-enabled identity drives the hart's external
// interrupt line (MEIP/SEIP) for page 0; guest page g drives the hart's hgeip bit g (H).
import type { MemoryRegionOps } from '../../exec/memory.js';
import { LogMask, qemuLogMask } from '../../qemu/log.js';

export const IMSIC_MMIO_PAGE_SHIFT = 12;
export const IMSIC_MMIO_PAGE_SZ = 1 << IMSIC_MMIO_PAGE_SHIFT;
const IMSIC_MMIO_PAGE_LE = 0x0;
/** The virt board's interrupt identities per file (riscv,num-ids). */
export const IMSIC_NUM_IDS = 255;

/** Indirect-register numbers (miselect/siselect values) the IMSIC answers. */
export const enum ImsicIsel {
  EIDELIVERY = 0x70,
  EITHRESHOLD = 0x72,
  EIP0 = 0x80,
  EIP63 = 0xbf,
  EIE0 = 0xc0,
  EIE63 = 0xff,
  /** Not an iselect value: xtopei's access (QEMU's ISELECT_IMSIC_TOPEI). */
  TOPEI = 0x200,
}

const EISTATE_PENDING = 1;
const EISTATE_ENABLED = 2;
const EISTATE_ENPEND = 3;
const TOPEI_IID_SHIFT = 16;
const IMSIC_MAX_ID = (1 << 11) - 1;

/** The external interrupt line of one page (page 0: MEIP or SEIP). */
export interface ImsicLine { set(level: boolean): void }

export class RISCVIMSICState implements MemoryRegionOps {
  readonly numIrqs = IMSIC_NUM_IDS + 1;
  private readonly eidelivery: Uint32Array;
  private readonly eithreshold: Uint32Array;
  private readonly eistate: Uint8Array;

  constructor(
    /** M-level file (driven by mtopei/mireg) or S-level (stopei/sireg, guest files). */
    readonly mmode: boolean,
    readonly numPages: number,
    private readonly lines: readonly ImsicLine[],
  ) {
    this.eidelivery = new Uint32Array(numPages);
    this.eithreshold = new Uint32Array(numPages);
    this.eistate = new Uint8Array(numPages * this.numIrqs);
  }

  reset(): void {
    this.eidelivery.fill(0);
    this.eithreshold.fill(0);
    this.eistate.fill(0);
    for (let p = 0; p < this.numPages; p++) this.update(p);
  }

  /** The highest-priority (lowest) pending and enabled identity below eithreshold, as topei. */
  topei(page: number): number {
    const base = page * this.numIrqs;
    const th = this.eithreshold[page];
    const max = th && th <= this.numIrqs ? th : this.numIrqs;
    for (let i = 1; i < max; i++) {
      if ((this.eistate[base + i] & EISTATE_ENPEND) === EISTATE_ENPEND) return (i << TOPEI_IID_SHIFT) | i;
    }
    return 0;
  }

  private update(page: number): void {
    this.lines[page]?.set(this.eidelivery[page] !== 0 && this.topei(page) !== 0);
  }

  /** An MSI: identity `id` becomes pending in `page` (out-of-range identities are dropped). */
  notify(page: number, id: number): void {
    if (page >= this.numPages) return;
    if (id > 0 && id < this.numIrqs) this.eistate[page * this.numIrqs + id] |= EISTATE_PENDING;
    this.update(page);
  }

  read(offset: number, size: number): number {
    if (offset & 3 || size !== 4 || offset >= this.numPages * IMSIC_MMIO_PAGE_SZ) this.bad('read', offset);
    return 0;
  }

  write(offset: number, size: number, value: number): void {
    if (offset & 3 || size !== 4 || offset >= this.numPages * IMSIC_MMIO_PAGE_SZ) { this.bad('write', offset); return; }
    const page = offset >>> IMSIC_MMIO_PAGE_SHIFT;
    // Only the little-endian seteipnum register takes messages.
    if ((offset & (IMSIC_MMIO_PAGE_SZ - 1)) === IMSIC_MMIO_PAGE_LE) this.notify(page, value >>> 0);
    else this.update(page);
  }

  /**
   * The AIA CSRs' indirect access to `page` (QEMU's riscv_imsic_rmw): returns the old value and
   * applies (old & ~wrMask) | (newVal & wrMask), or undefined when the register does not exist
   * (the CSR instruction then raises illegal instruction). xtopei: any write claims the top.
   */
  rmw(page: number, isel: number, newVal: bigint, wrMask: bigint): bigint | undefined {
    if (page >= this.numPages) return undefined;
    let old: bigint;
    if (isel === ImsicIsel.EIDELIVERY) {
      old = BigInt(this.eidelivery[page]);
      this.eidelivery[page] = Number(((old & ~wrMask) | (newVal & wrMask)) & 1n);
    } else if (isel === ImsicIsel.EITHRESHOLD) {
      old = BigInt(this.eithreshold[page]);
      this.eithreshold[page] = Number(((old & ~wrMask) | (newVal & wrMask)) & BigInt(IMSIC_MAX_ID));
    } else if (isel === ImsicIsel.TOPEI) {
      const top = this.topei(page);
      old = BigInt(top);
      if (top && wrMask) this.eistate[page * this.numIrqs + (top >>> TOPEI_IID_SHIFT)] &= ~EISTATE_PENDING;
    } else if (isel >= ImsicIsel.EIP0 && isel <= ImsicIsel.EIE63) {
      const pend = isel <= ImsicIsel.EIP63;
      const num = isel - (pend ? ImsicIsel.EIP0 : ImsicIsel.EIE0);
      if (num & 1) return undefined; // RV64: only the even registers exist
      const r = this.eix(page, num * 32, pend ? EISTATE_PENDING : EISTATE_ENABLED, newVal, wrMask);
      old = r;
    } else {
      return undefined;
    }
    this.update(page);
    return old;
  }

  /** eipN/eieN: 64 bits of one state bit, identities first..first+63 (identity 0 stays zero). */
  private eix(page: number, first: number, bit: number, newVal: bigint, wrMask: bigint): bigint {
    const base = page * this.numIrqs;
    let old = 0n;
    for (let i = 0; i < 64; i++) {
      const id = first + i;
      if (id === 0 || id >= this.numIrqs) continue;
      const b = 1n << BigInt(i);
      if (this.eistate[base + id] & bit) old |= b;
      if (wrMask & b) {
        if (newVal & b) this.eistate[base + id] |= bit;
        else this.eistate[base + id] &= ~bit;
      }
    }
    return old;
  }

  private bad(what: string, offset: number): void {
    qemuLogMask(LogMask.LOG_GUEST_ERROR, `riscv_imsic: invalid ${what}: 0x${offset.toString(16)}\n`);
  }
}
