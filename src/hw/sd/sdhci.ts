// SD Host Controller (SD Host Controller Simplified Specification 3.00; QEMU's hw/sd/sdhci.c,
// spec version 2 by default as QEMU's sdhci-pci): command issue with response decoding, PIO
// through the buffer data port, SDMA with its buffer boundary stops, ADMA2 (32-bit and 64-bit
// descriptor tables), Auto CMD12 / Auto CMD23, interrupt status/enable/signal masks and card
// detect. The card answers commands synchronously; data blocks may wait for the drive, so a
// transfer runs as one async task and raises its interrupts when blocks settle. A guest that
// points a descriptor or buffer outside RAM gets the ADMA error (or a data timeout for SDMA),
// never a write outside guest memory.
import type { AddressSpace } from '../../exec/memory.js';
import { LogMask, qemuLogMask } from '../../qemu/log.js';
import type { SDBus, SDResponse } from './sd-bus.js';

const enum Reg {
  SDMASYSAD = 0x00, BLKSIZE = 0x04, ARGUMENT = 0x08, TRNMOD = 0x0c, RSPREG0 = 0x10, BDATA = 0x20, PRNSTS = 0x24,
  HOSTCTL = 0x28, CLKCON = 0x2c, NORINTSTS = 0x30, NORINTSTSEN = 0x34, NORINTSIGEN = 0x38, ACMD12ERRSTS = 0x3c,
  CAPAB = 0x40, MAXCURR = 0x48, FEAER = 0x50, ADMAERR = 0x54, ADMASYSADDR = 0x58, SLOT_INT_STATUS = 0xfc,
}
const enum Prnsts { CMDINHIBIT = 1, DATINHIBIT = 2, DAT_LINE_ACTIVE = 4, WRITE_ACTIVE = 0x100, READ_ACTIVE = 0x200,
  SPACE_AVAIL = 0x400, DATA_AVAIL = 0x800, CARD_INSERT = 0x10000, CARD_STABLE = 0x20000, CARD_DETECT = 0x40000,
  WRITE_PROTECT = 0x80000, DAT_LVL = 0xf00000, CMD_LVL = 0x1000000 }
const enum Nis { CMDCMP = 1, TRSCMP = 2, DMA = 8, WBUFRDY = 0x10, RBUFRDY = 0x20, INSERT = 0x40, REMOVE = 0x80, ERR = 0x8000 }
const enum Eis { CMDTIMEOUT = 1, DATATIMEOUT = 0x10, DATAENDBIT = 0x40, AUTOCMDERR = 0x100, ADMAERR = 0x200 }
const enum Trnmod { DMA = 1, BLK_CNT_EN = 2, ACMD12 = 4, ACMD23 = 8, READ = 0x10, MULTI = 0x20 }
const enum Cmd { RSP_MASK = 3, RSP_NONE = 0, RSP_136 = 1, RSP_48 = 2, RSP_BUSY = 3, DATA = 0x20, TYPE_ABORT = 0xc0 }
const enum AdmaAttr { VALID = 1, END = 2, INT = 4, ACT_MASK = 0x30, ACT_NOP = 0, ACT_RSV = 0x10, ACT_TRAN = 0x20, ACT_LINK = 0x30 }
const enum AdmaErrState { STOP = 0, FDS = 1, TFR = 3, LEN_MISMATCH = 4 }

/** QEMU's SDHC_CAPAB_REG_DEFAULT: 52 MHz base and timeout clocks, 512-byte blocks, ADMA2, HS, SDMA, 3.3/1.8 V. */
export const SDHC_CAPAB_REG_DEFAULT = 0x057834b4n;
const SDHC_HCVER_VENDOR = 0x24;
/** Descriptors one transfer may follow before it counts as a loop (ADMA error). */
const MAX_ADMA_DESCRIPTORS = 1 << 16;

export interface SDHCIOptions {
  /** 2 or 3 (QEMU's sd-spec-version; sdhci-pci defaults to 2). */
  specVersion: number;
  capareg: bigint;
  /** May the controller DMA now (PCI bus mastering)? */
  canDma(): boolean;
}

export class SDHCIState {
  private sdmasysad = 0;
  private blksize = 0;
  private blkcnt = 0;
  private argument = 0;
  private trnmod = 0;
  private cmdreg = 0;
  private readonly rspreg = new Uint32Array(4);
  private prnsts = 0;
  private hostctl1 = 0;
  private pwrcon = 0;
  private blkgap = 0;
  private wakcon = 0;
  private clkcon = 0;
  private timeoutcon = 0;
  private norintsts = 0;
  private errintsts = 0;
  private norintstsen = 0;
  private errintstsen = 0;
  private norintsigen = 0;
  private errintsigen = 0;
  private acmd12errsts = 0;
  private hostctl2 = 0;
  private admaerr = 0;
  private admasysaddr = 0;
  /** PIO buffer (one block) and the position in it. */
  private fifo: Uint8Array = new Uint8Array(0);
  private fifoPos = 0;
  private fifoDone: (() => void) | null = null;
  /** SDMA paused at a buffer boundary: resumes when the guest writes the address. */
  private sdmaResume: (() => void) | null = null;
  /** Bumped by a DAT reset: a transfer task of an older generation stops. */
  private gen = 0;

  constructor(readonly name: string, private readonly as: AddressSpace, readonly bus: SDBus,
    private readonly setIrq: (level: boolean) => void, private readonly o: SDHCIOptions) {
    this.reset();
  }

  reset(): void {
    this.gen++;
    this.sdmasysad = this.blksize = this.blkcnt = this.argument = this.trnmod = this.cmdreg = 0;
    this.rspreg.fill(0);
    this.hostctl1 = this.pwrcon = this.blkgap = this.wakcon = this.clkcon = this.timeoutcon = 0;
    this.norintsts = this.errintsts = this.norintstsen = this.errintstsen = this.norintsigen = this.errintsigen = 0;
    this.acmd12errsts = this.hostctl2 = this.admaerr = this.admasysaddr = 0;
    this.resetData();
    this.updateIrq();
  }

  private resetData(): void {
    this.gen++;
    this.prnsts &= ~(Prnsts.DATINHIBIT | Prnsts.DAT_LINE_ACTIVE | Prnsts.WRITE_ACTIVE | Prnsts.READ_ACTIVE |
      Prnsts.SPACE_AVAIL | Prnsts.DATA_AVAIL);
    this.fifo = new Uint8Array(0);
    this.fifoPos = 0;
    this.fifoDone = null;
    this.sdmaResume = null;
  }

  private get presentState(): number {
    let v = this.prnsts | Prnsts.DAT_LVL | Prnsts.CMD_LVL;
    if (this.bus.inserted) v |= Prnsts.CARD_INSERT | Prnsts.CARD_STABLE | Prnsts.CARD_DETECT;
    else v |= Prnsts.CARD_STABLE;
    if (!this.bus.readOnly) v |= Prnsts.WRITE_PROTECT;
    return v >>> 0;
  }

  private get version(): number { return (SDHC_HCVER_VENDOR << 8) | (this.o.specVersion - 1); }

  private updateIrq(): void {
    const level = (this.norintsts & this.norintsigen) !== 0 || (this.errintsts & this.errintsigen) !== 0;
    this.setIrq(level);
  }

  private raise(nis: number, eis = 0): void {
    this.norintsts |= nis & this.norintstsen;
    this.errintsts |= eis & this.errintstsen;
    if (this.errintsts) this.norintsts |= Nis.ERR;
    this.updateIrq();
  }

  private reg32(off: number): number {
    switch (off) {
      case Reg.SDMASYSAD: return this.sdmasysad;
      case Reg.BLKSIZE: return this.blksize | (this.blkcnt << 16);
      case Reg.ARGUMENT: return this.argument;
      case Reg.TRNMOD: return this.trnmod | (this.cmdreg << 16);
      case Reg.RSPREG0: case Reg.RSPREG0 + 4: case Reg.RSPREG0 + 8: case Reg.RSPREG0 + 12: return this.rspreg[(off - Reg.RSPREG0) >> 2];
      case Reg.PRNSTS: return this.presentState;
      case Reg.HOSTCTL: return this.hostctl1 | (this.pwrcon << 8) | (this.blkgap << 16) | (this.wakcon << 24);
      case Reg.CLKCON: return this.clkcon | (this.timeoutcon << 16);
      case Reg.NORINTSTS: return this.norintsts | (this.errintsts << 16);
      case Reg.NORINTSTSEN: return this.norintstsen | (this.errintstsen << 16);
      case Reg.NORINTSIGEN: return this.norintsigen | (this.errintsigen << 16);
      case Reg.ACMD12ERRSTS: return this.acmd12errsts | (this.hostctl2 << 16);
      case Reg.CAPAB: return Number(this.o.capareg & 0xffffffffn);
      case Reg.CAPAB + 4: return Number(this.o.capareg >> 32n);
      case Reg.MAXCURR: return 0;
      case Reg.ADMAERR: return this.admaerr;
      case Reg.ADMASYSADDR: return this.admasysaddr % 2 ** 32;
      case Reg.ADMASYSADDR + 4: return Math.floor(this.admasysaddr / 2 ** 32);
      case Reg.SLOT_INT_STATUS: return ((this.norintsts & this.norintsigen) || (this.errintsts & this.errintsigen) ? 1 : 0) | (this.version << 16);
    }
    return 0;
  }

  read(offset: number, size: number): number {
    if (offset === Reg.BDATA) return this.readDataPort(size);
    const v = this.reg32(offset & ~3) >>> ((offset & 3) * 8);
    return size === 4 ? v >>> 0 : v & ((1 << (8 * size)) - 1);
  }

  write(offset: number, size: number, value: number): void {
    if (offset === Reg.BDATA) { this.writeDataPort(size, value); return; }
    const shift = (offset & 3) * 8;
    const mask = (size === 4 ? 0xffffffff : ((1 << (8 * size)) - 1) << shift) >>> 0;
    const v = (value << shift) >>> 0;
    const merge = (old: number) => ((old & ~mask) | (v & mask)) >>> 0;
    switch (offset & ~3) {
      case Reg.SDMASYSAD:
        this.sdmasysad = merge(this.sdmasysad);
        if (mask & 0xff000000 && this.sdmaResume) { const r = this.sdmaResume; this.sdmaResume = null; r(); }
        return;
      case Reg.BLKSIZE: {
        if (this.prnsts & Prnsts.DATINHIBIT) return; // not while a transfer runs
        const n = merge(this.blksize | (this.blkcnt << 16));
        this.blksize = n & 0x7fff;
        this.blkcnt = n >>> 16;
        return;
      }
      case Reg.ARGUMENT: this.argument = merge(this.argument); return;
      case Reg.TRNMOD: {
        const n = merge(this.trnmod | (this.cmdreg << 16));
        if (!(this.prnsts & Prnsts.DATINHIBIT)) this.trnmod = n & 0x3f;
        if (mask & 0xffff0000) { this.cmdreg = n >>> 16; this.sendCommand(); }
        return;
      }
      case Reg.HOSTCTL: {
        const n = merge(this.hostctl1 | (this.pwrcon << 8) | (this.blkgap << 16) | (this.wakcon << 24));
        this.hostctl1 = n & 0xff; this.pwrcon = (n >>> 8) & 0xff; this.blkgap = (n >>> 16) & 0xff; this.wakcon = n >>> 24;
        return;
      }
      case Reg.CLKCON: {
        const n = merge(this.clkcon | (this.timeoutcon << 16));
        this.clkcon = n & 0xffff;
        if (this.clkcon & 1) this.clkcon |= 2; else this.clkcon &= ~2; // internal clock stable at once
        this.timeoutcon = (n >>> 16) & 0xf;
        const rst = (v & mask) >>> 24;
        if (rst & 1) this.reset();
        else {
          if (rst & 2) this.prnsts &= ~Prnsts.CMDINHIBIT;
          if (rst & 4) this.resetData();
        }
        return;
      }
      case Reg.NORINTSTS: {
        const w1c = v & mask;
        this.norintsts &= ~(w1c & 0x7fff);
        this.errintsts &= ~(w1c >>> 16);
        if (!this.errintsts) this.norintsts &= ~Nis.ERR;
        this.updateIrq();
        return;
      }
      case Reg.NORINTSTSEN: {
        const n = merge(this.norintstsen | (this.errintstsen << 16));
        this.norintstsen = n & 0x7fff; this.errintstsen = n >>> 16;
        this.norintsts &= this.norintstsen; this.errintsts &= this.errintstsen;
        if (!this.errintsts) this.norintsts &= ~Nis.ERR;
        this.updateIrq();
        return;
      }
      case Reg.NORINTSIGEN: {
        const n = merge(this.norintsigen | (this.errintsigen << 16));
        this.norintsigen = n & 0xffff; this.errintsigen = n >>> 16;
        this.updateIrq();
        return;
      }
      case Reg.ACMD12ERRSTS: this.hostctl2 = merge(this.acmd12errsts | (this.hostctl2 << 16)) >>> 16; return;
      case Reg.FEAER: this.raise(0, (v & mask) >>> 16); return;
      case Reg.ADMAERR: this.admaerr &= ~(v & mask & 0xff); return;
      case Reg.ADMASYSADDR: this.admasysaddr = Math.floor(this.admasysaddr / 2 ** 32) * 2 ** 32 + merge(this.admasysaddr % 2 ** 32); return;
      case Reg.ADMASYSADDR + 4: this.admasysaddr = merge(Math.floor(this.admasysaddr / 2 ** 32)) * 2 ** 32 + this.admasysaddr % 2 ** 32; return;
    }
    qemuLogMask(LogMask.LOG_GUEST_ERROR, `${this.name}: write to read-only or unknown register 0x${offset.toString(16)}\n`);
  }

  private guestError(why: string): void {
    qemuLogMask(LogMask.LOG_GUEST_ERROR, `${this.name}: ${why}\n`);
  }

  /** Store a response: R2 drops the CRC byte (bits 127..8 of the register pair), others in RSPREG0. */
  private storeResponse(r: SDResponse, index: 0 | 3): void {
    if (r.kind !== 'ok') return;
    const b = r.bytes;
    if (b.length === 16) {
      for (let i = 0; i < 4; i++) {
        // rspreg[3-i] holds bytes [4i, 4i+4) shifted right by one byte (CRC dropped).
        let w = 0;
        for (let j = 0; j < 4; j++) w = w * 256 + (4 * i + j - 1 >= 0 ? b[4 * i + j - 1] : 0);
        this.rspreg[3 - i] = w >>> 0;
      }
    } else if (b.length === 4) {
      this.rspreg[index] = ((b[0] << 24) | (b[1] << 16) | (b[2] << 8) | b[3]) >>> 0;
    }
  }

  private sendCommand(): void {
    const card = this.bus.card;
    const index = (this.cmdreg >> 8) & 0x3f;
    const rspType = this.cmdreg & Cmd.RSP_MASK;
    const withData = (this.cmdreg & Cmd.DATA) !== 0;
    if (withData && this.prnsts & Prnsts.DATINHIBIT) { this.guestError(`CMD${index} with data while the data lines are busy`); return; }
    this.acmd12errsts = 0;
    if (!card || !this.bus.inserted) { this.raise(0, Eis.CMDTIMEOUT); return; }
    if (withData && (this.trnmod & (Trnmod.ACMD12 | Trnmod.ACMD23)) === Trnmod.ACMD23) {
      // Auto CMD23: the block count travels in ARGUMENT2 (the SDMA address register).
      const r = card.doCommand(23, this.sdmasysad);
      if (r.kind !== 'ok') { this.acmd12errsts |= 1; this.raise(0, Eis.AUTOCMDERR); return; }
    }
    const r = card.doCommand(index, this.argument);
    if (rspType !== Cmd.RSP_NONE && r.kind !== 'ok') { this.raise(Nis.CMDCMP, Eis.CMDTIMEOUT); return; }
    this.storeResponse(r, 0);
    if ((this.cmdreg & Cmd.TYPE_ABORT) === Cmd.TYPE_ABORT) this.resetData();
    if (withData && (card.dataReady() || card.receiveReady())) {
      this.prnsts |= Prnsts.DATINHIBIT | Prnsts.DAT_LINE_ACTIVE;
      this.raise(Nis.CMDCMP);
      void this.transfer(this.gen);
      return;
    }
    this.raise(Nis.CMDCMP | (rspType === Cmd.RSP_BUSY ? Nis.TRSCMP : 0));
  }

  private get blockSize(): number { return this.blksize & 0xfff || 512; }

  /** One data transfer: blocks between the card and PIO/SDMA/ADMA until the count or the card ends it. */
  private async transfer(gen: number): Promise<void> {
    const card = this.bus.card;
    if (!card) return;
    const read = (this.trnmod & Trnmod.READ) !== 0;
    const multi = (this.trnmod & Trnmod.MULTI) !== 0;
    const counted = !multi || (this.trnmod & Trnmod.BLK_CNT_EN) !== 0;
    const dma = (this.trnmod & Trnmod.DMA) !== 0;
    const adma = dma && ((this.hostctl1 >> 3) & 3) >= 2;
    const adma64 = ((this.hostctl1 >> 3) & 3) === 3;
    this.prnsts |= read ? Prnsts.READ_ACTIVE : Prnsts.WRITE_ACTIVE;
    let ok = true;
    if (adma) ok = await this.admaTransfer(gen, read, counted, adma64);
    else {
      let left = counted ? (multi ? this.blkcnt : 1) : Infinity;
      while (left > 0 && gen === this.gen) {
        const bs = this.blockSize;
        if (read) {
          const data = await card.readBlock(bs);
          if (gen !== this.gen) return;
          if (!data) { ok = false; break; }
          if (dma) { if (!(await this.sdmaMove(gen, data, true, left > 1))) { ok = false; break; } }
          else await this.pioRead(gen, data);
        } else {
          let data: Uint8Array | null;
          if (dma) { data = new Uint8Array(bs); if (!(await this.sdmaMove(gen, data, false, left > 1))) { ok = false; break; } }
          else data = await this.pioWrite(gen, bs);
          if (gen !== this.gen) return;
          if (!data || !(await card.writeBlock(data))) { ok = false; break; }
        }
        if (gen !== this.gen) return;
        left--;
        if (multi && counted) this.blkcnt = (this.blkcnt - 1) & 0xffff;
        if (!counted && !card.dataReady() && !card.receiveReady()) break;
      }
    }
    if (gen !== this.gen) return;
    this.endTransfer(ok);
  }

  private endTransfer(ok: boolean): void {
    const card = this.bus.card;
    if (ok && (this.trnmod & (Trnmod.ACMD12 | Trnmod.ACMD23)) === Trnmod.ACMD12 && this.trnmod & Trnmod.MULTI && card) {
      const r = card.doCommand(12, 0);
      this.storeResponse(r, 3);
    }
    this.prnsts &= ~(Prnsts.DATINHIBIT | Prnsts.DAT_LINE_ACTIVE | Prnsts.READ_ACTIVE | Prnsts.WRITE_ACTIVE |
      Prnsts.DATA_AVAIL | Prnsts.SPACE_AVAIL);
    if (ok) this.raise(Nis.TRSCMP);
    // The card stopped sending or refused a block (bad length, range, drive error): the host sees
    // the data lines time out, unless the transfer already ended with its own error.
    else if (!this.errintsts) this.raise(0, Eis.DATATIMEOUT);
  }

  /** PIO read: offer the block through the data port; resolves when the guest has read it all. */
  private pioRead(gen: number, data: Uint8Array): Promise<void> {
    return new Promise((resolve) => {
      if (gen !== this.gen) { resolve(); return; }
      this.fifo = data;
      this.fifoPos = 0;
      this.fifoDone = resolve;
      this.prnsts |= Prnsts.DATA_AVAIL;
      this.raise(Nis.RBUFRDY);
    });
  }

  private pioWrite(gen: number, len: number): Promise<Uint8Array | null> {
    return new Promise((resolve) => {
      if (gen !== this.gen) { resolve(null); return; }
      const buf = new Uint8Array(len);
      this.fifo = buf;
      this.fifoPos = 0;
      this.fifoDone = () => resolve(buf);
      this.prnsts |= Prnsts.SPACE_AVAIL;
      this.raise(Nis.WBUFRDY);
    });
  }

  private readDataPort(size: number): number {
    if (!(this.prnsts & Prnsts.DATA_AVAIL)) { this.guestError('read from the buffer data port with no data'); return 0; }
    let v = 0;
    for (let i = 0; i < size && this.fifoPos < this.fifo.length; i++) v |= this.fifo[this.fifoPos++] << (8 * i);
    if (this.fifoPos >= this.fifo.length) {
      this.prnsts &= ~Prnsts.DATA_AVAIL;
      const done = this.fifoDone;
      this.fifoDone = null;
      done?.();
    }
    return v >>> 0;
  }

  private writeDataPort(size: number, value: number): void {
    if (!(this.prnsts & Prnsts.SPACE_AVAIL)) { this.guestError('write to the buffer data port with no space'); return; }
    for (let i = 0; i < size && this.fifoPos < this.fifo.length; i++) this.fifo[this.fifoPos++] = (value >>> (8 * i)) & 0xff;
    if (this.fifoPos >= this.fifo.length) {
      this.prnsts &= ~Prnsts.SPACE_AVAIL;
      const done = this.fifoDone;
      this.fifoDone = null;
      done?.();
    }
  }

  /** SDMA: one block to/from sdmasysad; stops at the buffer boundary until the guest writes a new address. */
  private async sdmaMove(gen: number, data: Uint8Array, toRam: boolean, more: boolean): Promise<boolean> {
    const boundary = 4096 << ((this.blksize >> 12) & 7);
    let pos = 0;
    while (pos < data.length) {
      const room = boundary - (this.sdmasysad % boundary);
      const n = Math.min(room, data.length - pos);
      if (!this.dma(this.sdmasysad, data.subarray(pos, pos + n), toRam)) {
        this.guestError(`SDMA to 0x${this.sdmasysad.toString(16)} outside RAM`);
        this.raise(0, Eis.DATATIMEOUT);
        return false;
      }
      pos += n;
      this.sdmasysad = (this.sdmasysad + n) >>> 0;
      if (this.sdmasysad % boundary === 0 && (pos < data.length || more)) {
        await new Promise<void>((resolve) => { this.sdmaResume = resolve; this.raise(Nis.DMA); });
        if (gen !== this.gen) return false;
      }
    }
    return true;
  }

  /** Bounded DMA between RAM and `buf`; false (nothing moved) when any byte is outside RAM or mastering is off. */
  private dma(addr: number, buf: Uint8Array, toRam: boolean): boolean {
    if (!this.o.canDma()) return false;
    if (toRam) return this.as.dmaWrite(addr, buf);
    return this.as.dmaReadInto(addr, buf);
  }

  private admaError(state: number, why: string): false {
    this.guestError(`ADMA error: ${why}`);
    this.admaerr = state;
    this.raise(0, Eis.ADMAERR);
    return false;
  }

  /** ADMA2: walk descriptors, moving whole blocks between the card and the descriptors' buffers. */
  private async admaTransfer(gen: number, read: boolean, counted: boolean, adma64: boolean): Promise<boolean> {
    const card = this.bus.card!;
    const bs = this.blockSize;
    const multi = (this.trnmod & Trnmod.MULTI) !== 0;
    let left = counted ? (multi ? this.blkcnt : 1) : Infinity;
    let block: Uint8Array | null = null;
    let blockPos = 0;
    const descSize = adma64 ? 12 : 8;
    for (let n = 0; left > 0; n++) {
      if (n >= MAX_ADMA_DESCRIPTORS) return this.admaError(AdmaErrState.FDS, 'descriptor chain too long (a loop?)');
      const d = new Uint8Array(descSize);
      if (!this.dma(this.admasysaddr, d, false)) return this.admaError(AdmaErrState.FDS, `descriptor at 0x${this.admasysaddr.toString(16)} outside RAM`);
      const dv = new DataView(d.buffer);
      const attr = dv.getUint16(0, true);
      const length = dv.getUint16(2, true) || 65536;
      const addr = adma64 ? dv.getUint32(4, true) + dv.getUint32(8, true) * 2 ** 32 : dv.getUint32(4, true);
      if (!(attr & AdmaAttr.VALID)) return this.admaError(AdmaErrState.FDS, 'invalid descriptor');
      const act = attr & AdmaAttr.ACT_MASK;
      if (act === AdmaAttr.ACT_LINK) { this.admasysaddr = addr; continue; }
      if (act === AdmaAttr.ACT_TRAN) {
        let pos = 0;
        while (pos < length && left > 0) {
          if (!block) {
            if (read) {
              block = await card.readBlock(bs);
              if (gen !== this.gen) return false;
              if (!block) return false;
            } else block = new Uint8Array(bs);
            blockPos = 0;
          }
          const k = Math.min(bs - blockPos, length - pos);
          if (!this.dma(addr + pos, block.subarray(blockPos, blockPos + k), read)) {
            return this.admaError(AdmaErrState.TFR, `buffer 0x${(addr + pos).toString(16)}+${k} outside RAM`);
          }
          pos += k;
          blockPos += k;
          if (blockPos === bs) {
            if (!read && !(await card.writeBlock(block))) return false;
            if (gen !== this.gen) return false;
            block = null;
            left--;
            if (multi && counted) this.blkcnt = (this.blkcnt - 1) & 0xffff;
            if (!counted && !card.dataReady() && !card.receiveReady()) left = 0;
          }
        }
      }
      this.admasysaddr += descSize;
      if (attr & AdmaAttr.INT) this.raise(Nis.DMA);
      if (attr & AdmaAttr.END) {
        if (left > 0 && counted) return this.admaError(AdmaErrState.TFR | AdmaErrState.LEN_MISMATCH, 'descriptors end before the block count');
        break;
      }
    }
    return true;
  }
}
