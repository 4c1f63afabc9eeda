// RISC-V APLIC (AIA spec chapter 4; QEMU's hw/intc/riscv_aplic.c): one interrupt domain. The
// virt board builds the M-level root, which receives every wired source, and an S-level child;
// a source whose sourcecfg has D set is delegated to the child. In direct mode each hart has an
// interrupt delivery control (IDC) that drives its MEIP/SEIP; in MSI mode a pending enabled
// source becomes a store of its EIID to the target hart's IMSIC (the MSI address comes from
// the root's mmsicfgaddr/smsicfgaddr).
import type { MemoryRegionOps } from '../../exec/memory.js';
import { type IRQ, irqLine } from '../core/irq.js';
import { LogMask, qemuLogMask } from '../../qemu/log.js';

const DOMAINCFG = 0x0000;
const SOURCECFG_BASE = 0x0004;
const MMSICFGADDR = 0x1bc0;
const MMSICFGADDRH = 0x1bc4;
const SMSICFGADDR = 0x1bc8;
const SMSICFGADDRH = 0x1bcc;
const SETIP_BASE = 0x1c00;
const SETIPNUM = 0x1cdc;
const CLRIP_BASE = 0x1d00;
const CLRIPNUM = 0x1ddc;
const SETIE_BASE = 0x1e00;
const SETIENUM = 0x1edc;
const CLRIE_BASE = 0x1f00;
const CLRIENUM = 0x1fdc;
const SETIPNUM_LE = 0x2000;
const SETIPNUM_BE = 0x2004;
const GENMSI = 0x3000;
const TARGET_BASE = 0x3004;
const IDC_BASE = 0x4000;
const IDC_SIZE = 32;
const IDC_IDELIVERY = 0x00;
const IDC_IFORCE = 0x04;
const IDC_ITHRESHOLD = 0x08;
const IDC_TOPI = 0x18;
const IDC_CLAIMI = 0x1c;

/** The MMIO size of a domain with `harts` IDCs (QEMU's APLIC_SIZE). */
export const aplicSize = (harts: number) => IDC_BASE + IDC_SIZE * harts;

const DOMAINCFG_RDONLY = 0x80000000;
const DOMAINCFG_IE = 1 << 8;
const DOMAINCFG_DM = 1 << 2;
const SOURCECFG_D = 1 << 10;
const SOURCECFG_CHILDIDX_MASK = 0x3ff;
const SOURCECFG_SM_MASK = 0x7;
const enum SM { INACTIVE = 0, DETACH = 1, EDGE_RISE = 4, EDGE_FALL = 5, LEVEL_HIGH = 6, LEVEL_LOW = 7 }
const MSICFGADDRH_L = 0x80000000;
const MSICFGADDRH_VALID_MASK = MSICFGADDRH_L | (0x1f << 24) | (0x7 << 20) | (0x7 << 16) | (0xf << 12) | 0xfff;
const TARGET_HART_IDX_SHIFT = 18;
const TARGET_HART_IDX_MASK = 0x3fff;
const TARGET_GUEST_IDX_SHIFT = 12;
const TARGET_GUEST_IDX_MASK = 0x3f;
const TARGET_EIID_MASK = 0x7ff;
const TARGET_IPRIO_MASK = 0xff;
const ISTATE_PENDING = 1;
const ISTATE_ENABLED = 2;
const ISTATE_ENPEND = 3;
const ISTATE_INPUT = 1 << 8;
const TOPI_ID_SHIFT = 16;
const TOPI_ID_MASK = 0x3ff;

export interface APLICOptions {
  /** Sources 1..numSources (riscv,num-sources). */
  numSources: number;
  iprioBits: number;
  msimode: boolean;
  mmode: boolean;
  /** Direct mode: one external interrupt line per hart (MEIP for M, SEIP for S). */
  lines: readonly IRQ[];
  /** MSI mode: a 32-bit store to the system address space. */
  msiStore?: (addr: number, value: number) => void;
}

export class RISCVAPLICState implements MemoryRegionOps {
  readonly numIrqs: number;
  private readonly iprioMask: number;
  private readonly bitfieldWords: number;
  private domaincfg = 0;
  private mmsicfgaddr = 0;
  private mmsicfgaddrH = 0;
  private smsicfgaddr = 0;
  private smsicfgaddrH = 0;
  private genmsi = 0;
  private readonly sourcecfg: Uint32Array;
  private readonly state: Uint32Array;
  private readonly target: Uint32Array;
  private readonly idelivery: Uint32Array;
  private readonly iforce: Uint32Array;
  private readonly ithreshold: Uint32Array;
  readonly children: RISCVAPLICState[] = [];
  parent: RISCVAPLICState | undefined;
  /** The wired inputs (index = source number; 0 unused). */
  readonly irqs: IRQ[];

  constructor(private readonly o: APLICOptions) {
    this.numIrqs = o.numSources + 1;
    this.iprioMask = (1 << o.iprioBits) - 1;
    this.bitfieldWords = (this.numIrqs + 31) >> 5;
    this.sourcecfg = new Uint32Array(this.numIrqs);
    this.state = new Uint32Array(this.numIrqs);
    this.target = new Uint32Array(this.numIrqs);
    const harts = o.msimode ? 0 : o.lines.length;
    this.idelivery = new Uint32Array(harts);
    this.iforce = new Uint32Array(harts);
    this.ithreshold = new Uint32Array(harts);
    this.irqs = Array.from({ length: this.numIrqs }, (_, i) => irqLine((lvl) => this.request(i, lvl)));
    this.reset();
  }

  get numHarts(): number { return this.idelivery.length; }

  addChild(child: RISCVAPLICState): void {
    child.parent = this;
    this.children.push(child);
  }

  reset(): void {
    this.domaincfg = 0;
    this.mmsicfgaddr = this.mmsicfgaddrH = this.smsicfgaddr = this.smsicfgaddrH = this.genmsi = 0;
    this.sourcecfg.fill(0);
    // Keep the input levels the devices drive: only the software state goes.
    for (let i = 0; i < this.numIrqs; i++) this.state[i] &= ISTATE_INPUT;
    this.target.fill(this.o.msimode ? 0 : 1);
    this.idelivery.fill(0);
    this.iforce.fill(0);
    this.ithreshold.fill(0);
    for (let idc = 0; idc < this.numHarts; idc++) this.idcUpdate(idc);
  }

  // --- source state -----------------------------------------------------------------------------

  private setPendingRaw(irq: number, pending: boolean): void {
    if (pending) this.state[irq] |= ISTATE_PENDING; else this.state[irq] &= ~ISTATE_PENDING;
  }

  private setEnabledRaw(irq: number, enabled: boolean): void {
    if (enabled) this.state[irq] |= ISTATE_ENABLED; else this.state[irq] &= ~ISTATE_ENABLED;
  }

  /**
   * setip/clrip (QEMU 10.2's riscv_aplic_set_pending): level-triggered sources take it only in
   * MSI mode, and setting only while the input is asserted (AIA 4.9.2: Linux writes setipnum at
   * EOI to re-raise a level source that is still asserted, so an unconditional set would storm).
   */
  private setPending(irq: number, pending: boolean): void {
    if (irq <= 0 || irq >= this.numIrqs) return;
    const cfg = this.sourcecfg[irq];
    if (cfg & SOURCECFG_D) return;
    const sm = cfg & SOURCECFG_SM_MASK;
    if (sm === SM.INACTIVE) return;
    if (sm === SM.LEVEL_HIGH || sm === SM.LEVEL_LOW) {
      if (!this.o.msimode) return;
      if (pending && !this.rectified(irq)) return;
    }
    this.setPendingRaw(irq, pending);
  }

  private setEnabled(irq: number, enabled: boolean): void {
    if (irq <= 0 || irq >= this.numIrqs) return;
    const cfg = this.sourcecfg[irq];
    if (cfg & SOURCECFG_D || (cfg & SOURCECFG_SM_MASK) === SM.INACTIVE) return;
    this.setEnabledRaw(irq, enabled);
  }

  /** The source's input after the mode's inversion (falling edge / low level count as 1 at 0). */
  private rectified(irq: number): boolean {
    const cfg = this.sourcecfg[irq];
    const sm = cfg & SOURCECFG_SM_MASK;
    if (cfg & SOURCECFG_D || sm === SM.INACTIVE) return false;
    const input = (this.state[irq] & ISTATE_INPUT) !== 0;
    return input !== (sm === SM.LEVEL_LOW || sm === SM.EDGE_FALL);
  }

  private wordOp(word: number, value: number, op: (irq: number) => void): void {
    for (let i = 0; i < 32; i++) {
      const irq = word * 32 + i;
      if (irq === 0 || irq >= this.numIrqs) continue;
      if (value & (1 << i)) op(irq);
    }
  }

  private readWord(word: number, bit: number): number {
    let r = 0;
    for (let i = 0; i < 32; i++) {
      const irq = word * 32 + i;
      if (irq === 0 || irq >= this.numIrqs) continue;
      if (bit === ISTATE_INPUT ? this.rectified(irq) : this.state[irq] & bit) r |= 1 << i;
    }
    return r >>> 0;
  }

  /** A wired input changed (riscv_aplic_request): delegated sources go to the child domain. */
  request(irq: number, high: boolean): void {
    if (irq <= 0 || irq >= this.numIrqs) return;
    const cfg = this.sourcecfg[irq];
    if (cfg & SOURCECFG_D) {
      this.children[cfg & SOURCECFG_CHILDIDX_MASK]?.request(irq, high);
      return;
    }
    const st = this.state[irq];
    let update = false;
    switch (cfg & SOURCECFG_SM_MASK) {
      case SM.EDGE_RISE: update = high && !(st & ISTATE_INPUT) && !(st & ISTATE_PENDING); break;
      case SM.EDGE_FALL: update = !high && (st & ISTATE_INPUT) !== 0 && !(st & ISTATE_PENDING); break;
      case SM.LEVEL_HIGH: update = high && !(st & ISTATE_PENDING); break;
      case SM.LEVEL_LOW: update = !high && !(st & ISTATE_PENDING); break;
      default: break; // inactive, detached
    }
    if (update) this.state[irq] |= ISTATE_PENDING;
    if (high) this.state[irq] |= ISTATE_INPUT; else this.state[irq] &= ~ISTATE_INPUT;
    if (!update) return;
    if (this.o.msimode) this.msiIrqUpdate(irq);
    else this.idcUpdate((this.target[irq] >>> TARGET_HART_IDX_SHIFT) & TARGET_HART_IDX_MASK);
  }

  // --- MSI delivery -----------------------------------------------------------------------------

  private root(): RISCVAPLICState | undefined {
    let a: RISCVAPLICState | undefined = this;
    while (a && !a.o.mmode) a = a.parent;
    return a;
  }

  /** The MSI address of (hart, guest) from the root's xmsicfgaddr registers (AIA 4.9.1). */
  private msiSend(hartIdx: number, guestIdx: number, eiid: number): void {
    const m = this.root();
    if (!m) return;
    const lo = this.o.mmode ? m.mmsicfgaddr : m.smsicfgaddr;
    const hi = this.o.mmode ? m.mmsicfgaddrH : m.smsicfgaddrH;
    const lhxs = (hi >>> 20) & 0x7;
    const lhxw = (hi >>> 12) & 0xf;
    const hhxs = (hi >>> 24) & 0x1f;
    const hhxw = (hi >>> 16) & 0x7;
    const group = hartIdx >>> lhxw;
    const hart = hartIdx & ((1 << lhxw) - 1);
    let ppn = BigInt(lo >>> 0) | (BigInt(hi & 0xfff) << 32n);
    ppn |= BigInt(group & ((1 << hhxw) - 1)) << BigInt(hhxs + 12);
    ppn |= BigInt(hart) << BigInt(lhxs);
    ppn |= BigInt(guestIdx & ((1 << lhxs) - 1));
    this.o.msiStore?.(Number(ppn << 12n), eiid);
  }

  private msiIrqUpdate(irq: number): void {
    if (!this.o.msimode || irq >= this.numIrqs || !(this.domaincfg & DOMAINCFG_IE)) return;
    if ((this.state[irq] & ISTATE_ENPEND) !== ISTATE_ENPEND) return;
    this.setPendingRaw(irq, false);
    const t = this.target[irq];
    const hartIdx = (t >>> TARGET_HART_IDX_SHIFT) & TARGET_HART_IDX_MASK;
    const guestIdx = this.o.mmode ? 0 : (t >>> TARGET_GUEST_IDX_SHIFT) & TARGET_GUEST_IDX_MASK;
    this.msiSend(hartIdx, guestIdx, t & TARGET_EIID_MASK);
  }

  // --- direct delivery --------------------------------------------------------------------------

  private idcTopi(idc: number): number {
    if (idc >= this.numHarts) return 0;
    const thres = this.ithreshold[idc];
    let bestIrq = -1;
    let bestPrio = Infinity;
    for (let irq = 1; irq < this.numIrqs; irq++) {
      if ((this.state[irq] & ISTATE_ENPEND) !== ISTATE_ENPEND) continue;
      if (((this.target[irq] >>> TARGET_HART_IDX_SHIFT) & TARGET_HART_IDX_MASK) !== idc) continue;
      const prio = this.target[irq] & this.iprioMask;
      if (thres && prio >= thres) continue;
      if (prio < bestPrio) { bestIrq = irq; bestPrio = prio; }
    }
    return bestIrq > 0 && bestPrio <= this.iprioMask ? ((bestIrq << TOPI_ID_SHIFT) | bestPrio) >>> 0 : 0;
  }

  private idcUpdate(idc: number): void {
    if (this.o.msimode || idc >= this.numHarts) return;
    const on = (this.domaincfg & DOMAINCFG_IE) !== 0 && this.idelivery[idc] !== 0 && (this.iforce[idc] !== 0 || this.idcTopi(idc) !== 0);
    this.o.lines[idc].set(on);
  }

  /** claimi: the top source stops pending (a level source whose input is still asserted stays). */
  private idcClaimi(idc: number): number {
    const topi = this.idcTopi(idc);
    if (!topi) { this.iforce[idc] = 0; this.idcUpdate(idc); return 0; }
    const irq = (topi >>> TOPI_ID_SHIFT) & TOPI_ID_MASK;
    const sm = this.sourcecfg[irq] & SOURCECFG_SM_MASK;
    const input = (this.state[irq] & ISTATE_INPUT) !== 0;
    this.setPendingRaw(irq, (sm === SM.LEVEL_HIGH && input) || (sm === SM.LEVEL_LOW && !input));
    this.idcUpdate(idc);
    return topi;
  }

  // --- registers --------------------------------------------------------------------------------

  private inRange(offset: number, base: number, count: number): boolean {
    return offset >= base && offset < base + count * 4;
  }

  read(offset: number, size: number): number {
    if (offset & 3 || size !== 4) return this.bad('read', offset);
    if (offset === DOMAINCFG) return (DOMAINCFG_RDONLY | this.domaincfg | (this.o.msimode ? DOMAINCFG_DM : 0)) >>> 0;
    if (this.inRange(offset, SOURCECFG_BASE, this.numIrqs - 1)) return this.sourcecfg[((offset - SOURCECFG_BASE) >> 2) + 1];
    if (this.o.mmode && this.o.msimode) {
      if (offset === MMSICFGADDR) return this.mmsicfgaddr;
      if (offset === MMSICFGADDRH) return this.mmsicfgaddrH;
      if (offset === SMSICFGADDR) return this.smsicfgaddr;
      if (offset === SMSICFGADDRH) return this.smsicfgaddrH;
    }
    if (this.inRange(offset, SETIP_BASE, this.bitfieldWords)) return this.readWord((offset - SETIP_BASE) >> 2, ISTATE_PENDING);
    if (this.inRange(offset, CLRIP_BASE, this.bitfieldWords)) return this.readWord((offset - CLRIP_BASE) >> 2, ISTATE_INPUT);
    if (this.inRange(offset, SETIE_BASE, this.bitfieldWords)) return this.readWord((offset - SETIE_BASE) >> 2, ISTATE_ENABLED);
    if (this.inRange(offset, CLRIE_BASE, this.bitfieldWords)) return 0;
    if ([SETIPNUM, CLRIPNUM, SETIENUM, CLRIENUM, SETIPNUM_LE, SETIPNUM_BE].includes(offset)) return 0;
    if (offset === GENMSI) return this.o.msimode ? this.genmsi : 0;
    if (this.inRange(offset, TARGET_BASE, this.numIrqs - 1)) return this.target[((offset - TARGET_BASE) >> 2) + 1];
    if (!this.o.msimode && offset >= IDC_BASE && offset < IDC_BASE + this.numHarts * IDC_SIZE) {
      const idc = Math.floor((offset - IDC_BASE) / IDC_SIZE);
      switch (offset - IDC_BASE - idc * IDC_SIZE) {
        case IDC_IDELIVERY: return this.idelivery[idc];
        case IDC_IFORCE: return this.iforce[idc];
        case IDC_ITHRESHOLD: return this.ithreshold[idc];
        case IDC_TOPI: return this.idcTopi(idc);
        case IDC_CLAIMI: return this.idcClaimi(idc);
        default: break;
      }
    }
    return this.bad('read', offset);
  }

  write(offset: number, size: number, value: number): void {
    value >>>= 0;
    if (offset & 3 || size !== 4) { this.bad('write', offset); return; }
    let idc = -1;
    if (offset === DOMAINCFG) {
      this.domaincfg = value & DOMAINCFG_IE; // only IE is writable: DM and BE are fixed
    } else if (this.inRange(offset, SOURCECFG_BASE, this.numIrqs - 1)) {
      const irq = ((offset - SOURCECFG_BASE) >> 2) + 1;
      let v: number;
      if (value & SOURCECFG_D) v = this.children.length ? value & (SOURCECFG_D | SOURCECFG_CHILDIDX_MASK) : 0;
      else v = value & SOURCECFG_SM_MASK;
      this.sourcecfg[irq] = v;
      if (v & SOURCECFG_D || v === 0) {
        this.setPendingRaw(irq, false);
        this.setEnabledRaw(irq, false);
      } else if (this.rectified(irq)) {
        this.setPendingRaw(irq, true); // an asserted input is pending in its new mode
      }
    } else if (this.o.mmode && this.o.msimode && offset >= MMSICFGADDR && offset <= SMSICFGADDRH) {
      // Each pair is locked by the L bit of its own high register (as QEMU).
      const mLocked = (this.mmsicfgaddrH & MSICFGADDRH_L) !== 0;
      const sLocked = (this.smsicfgaddrH & MSICFGADDRH_L) !== 0 || !this.children.length;
      if (offset === MMSICFGADDR && !mLocked) this.mmsicfgaddr = value;
      else if (offset === MMSICFGADDRH && !mLocked) this.mmsicfgaddrH = (value & MSICFGADDRH_VALID_MASK) >>> 0;
      else if (offset === SMSICFGADDR && !sLocked) this.smsicfgaddr = value;
      else if (offset === SMSICFGADDRH && !sLocked) this.smsicfgaddrH = (value & MSICFGADDRH_VALID_MASK) >>> 0;
    } else if (this.inRange(offset, SETIP_BASE, this.bitfieldWords)) {
      this.wordOp((offset - SETIP_BASE) >> 2, value, (i) => this.setPending(i, true));
    } else if (offset === SETIPNUM || offset === SETIPNUM_LE) {
      this.setPending(value, true);
    } else if (offset === SETIPNUM_BE) {
      this.setPending(((value & 0xff) << 24 | (value & 0xff00) << 8 | (value >>> 8) & 0xff00 | value >>> 24) >>> 0, true);
    } else if (this.inRange(offset, CLRIP_BASE, this.bitfieldWords)) {
      this.wordOp((offset - CLRIP_BASE) >> 2, value, (i) => this.setPending(i, false));
    } else if (offset === CLRIPNUM) {
      this.setPending(value, false);
    } else if (this.inRange(offset, SETIE_BASE, this.bitfieldWords)) {
      this.wordOp((offset - SETIE_BASE) >> 2, value, (i) => this.setEnabled(i, true));
    } else if (offset === SETIENUM) {
      this.setEnabled(value, true);
    } else if (this.inRange(offset, CLRIE_BASE, this.bitfieldWords)) {
      this.wordOp((offset - CLRIE_BASE) >> 2, value, (i) => this.setEnabled(i, false));
    } else if (offset === CLRIENUM) {
      this.setEnabled(value, false);
    } else if (this.o.msimode && offset === GENMSI) {
      this.genmsi = (value & ~(TARGET_GUEST_IDX_MASK << TARGET_GUEST_IDX_SHIFT)) >>> 0;
      this.msiSend(value >>> TARGET_HART_IDX_SHIFT, 0, value & TARGET_EIID_MASK);
    } else if (this.inRange(offset, TARGET_BASE, this.numIrqs - 1)) {
      const irq = ((offset - TARGET_BASE) >> 2) + 1;
      if (this.o.msimode) this.target[irq] = value;
      else this.target[irq] = ((value & ~TARGET_IPRIO_MASK) | (value & this.iprioMask || 1)) >>> 0;
    } else if (!this.o.msimode && offset >= IDC_BASE && offset < IDC_BASE + this.numHarts * IDC_SIZE) {
      idc = Math.floor((offset - IDC_BASE) / IDC_SIZE);
      switch (offset - IDC_BASE - idc * IDC_SIZE) {
        case IDC_IDELIVERY: this.idelivery[idc] = value & 1; break;
        case IDC_IFORCE: this.iforce[idc] = value & 1; break;
        case IDC_ITHRESHOLD: this.ithreshold[idc] = value & this.iprioMask; break;
        default: this.bad('write', offset); return;
      }
    } else {
      this.bad('write', offset);
      return;
    }
    if (this.o.msimode) {
      for (let irq = 1; irq < this.numIrqs; irq++) this.msiIrqUpdate(irq);
    } else if (idc < 0) {
      for (let i = 0; i < this.numHarts; i++) this.idcUpdate(i);
    } else {
      this.idcUpdate(idc);
    }
  }

  private bad(what: string, offset: number): number {
    qemuLogMask(LogMask.LOG_GUEST_ERROR, `riscv_aplic: invalid ${what}: 0x${offset.toString(16)}\n`);
    return 0;
  }
}
