// An SD memory card (SD Physical Layer Simplified Specification 3.01; QEMU's "sd-card"): SDSC up
// to 2 GiB (byte addresses, CSD 1.0), SDHC/SDXC above (block addresses, CSD 2.0). Bring-up with
// CMD8 and ACMD41 (no power-up delay), RCA published by the card (0x4567 as QEMU), SCR, SD status
// and CMD6 switch function status (high speed), 1- and 4-bit bus, single and multiple block
// reads and writes (open-ended, ended by CMD12). Commands in the wrong state are illegal: no
// response, ILLEGAL_COMMAND in the next status. Without a drive the slot is empty.
import type { BlockBackend } from '../../block/block-backend.js';
import { QemuError } from '../../qemu/error.js';
import { LogMask, qemuLogMask } from '../../qemu/log.js';
import { type SDCardIf, type SDResponse, packBits } from './sd-bus.js';

const BLOCK = 512;
const SDSC_MAX = 2 ** 31;
const RCA = 0x4567;
const enum State { IDLE = 0, READY = 1, IDENT = 2, STBY = 3, TRAN = 4, DATA = 5, RCV = 6 }
const enum Status { OUT_OF_RANGE = 1 << 31, ADDRESS_ERROR = 1 << 30, BLOCK_LEN_ERROR = 1 << 29, WP_VIOLATION = 1 << 26,
  ILLEGAL_COMMAND = 1 << 22, ERROR = 1 << 19, READY_FOR_DATA = 1 << 8, APP_CMD = 1 << 5 }
const CLEAR_ON_READ = Status.OUT_OF_RANGE | Status.ADDRESS_ERROR | Status.BLOCK_LEN_ERROR | Status.WP_VIOLATION |
  Status.ILLEGAL_COMMAND | Status.ERROR;

interface Transfer { read: boolean; addr: number; left: number; mem?: Uint8Array }

const be32 = (v: number) => new Uint8Array([v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff]);

export class SDCard implements SDCardIf {
  private state = State.IDLE;
  private status = 0;
  private appCmd = false;
  private xfer: Transfer | null = null;
  private hsSelected = 0;
  private readonly cid = new Uint8Array(16);
  private readonly csd = new Uint8Array(16);
  private readonly scr = new Uint8Array(8);
  readonly size: number;

  constructor(private readonly blk: BlockBackend | undefined) {
    this.size = blk ? blk.getLength() : 0;
    if (blk && (this.size === 0 || this.size % BLOCK)) throw new QemuError(`Invalid SD card size: ${this.size}`);
    if (blk && this.size <= SDSC_MAX && (this.size & (this.size - 1)) !== 0) {
      throw new QemuError(`Invalid SD card size: ${this.size}; SD card size has to be a power of 2 up to 2 GiB`);
    }
    this.buildRegisters();
  }

  get inserted(): boolean { return this.blk !== undefined; }
  get readOnly(): boolean { return this.blk?.readOnly ?? false; }
  private get highCapacity(): boolean { return this.size > SDSC_MAX; }

  private buildRegisters(): void {
    // CID: MID 0xaa, OID "XY", PNM "QEMU!", PRV 0.1, PSN, MDT; bit 0 set.
    this.cid.set([0xaa, 0x58, 0x59, 0x51, 0x45, 0x4d, 0x55, 0x21, 0x01, 0xde, 0xad, 0xbe, 0xef, 0x00, 0x62, 0x01]);
    const ccc = 0x595; // basic, read, write, lock, application, switch (no erase: Linux then never issues it)
    if (this.highCapacity) {
      packBits(this.csd, [[127, 2, 1], [119, 8, 0x0e], [103, 8, 0x32], [95, 12, ccc], [83, 4, 9], [69, 22, this.size / (512 * 1024) - 1],
        [45, 7, 0x7f], [28, 3, 2], [25, 4, 9], [0, 1, 1]]);
    } else {
      let blLen = 9;
      let blocks = this.size / 2 ** blLen;
      while (blocks / 512 > 4096) { blLen++; blocks /= 2; }
      const mult = Math.max(0, Math.min(7, Math.ceil(Math.log2(blocks / 4096)) - 2));
      packBits(this.csd, [[127, 2, 0], [119, 8, 0x26], [103, 8, 0x32], [95, 12, ccc], [83, 4, blLen], [79, 1, 1],
        [73, 12, blocks / 2 ** (mult + 2) - 1], [61, 12, 0xfff], [49, 3, mult], [46, 1, 1], [45, 7, 0x7f], [28, 3, 2], [25, 4, 9], [0, 1, 1]]);
    }
    // SCR: structure 0, SD_SPEC 2 (2.00), security 2 (SDSC), bus widths 1 and 4.
    packBits(this.scr, [[59, 4, 2], [54, 3, 2], [51, 4, 0x5]]);
  }

  reset(): void {
    this.state = State.IDLE;
    this.status = 0;
    this.appCmd = false;
    this.xfer = null;
    this.hsSelected = 0;
  }

  private r1(both = 0): SDResponse {
    const v = (this.status | both | (this.state << 9) | (this.appCmd ? Status.APP_CMD : 0) |
      (this.state === State.TRAN ? Status.READY_FOR_DATA : 0)) >>> 0;
    this.status &= ~CLEAR_ON_READ;
    this.status |= both;
    return { kind: 'ok', bytes: be32(v) };
  }

  private illegal(cmd: number): SDResponse {
    qemuLogMask(LogMask.LOG_GUEST_ERROR, `sd-card: ${this.appCmd ? 'A' : ''}CMD${cmd} illegal in state ${this.state}\n`);
    this.status |= Status.ILLEGAL_COMMAND;
    this.appCmd = false;
    return { kind: 'illegal' };
  }

  doCommand(cmd: number, arg: number): SDResponse {
    arg >>>= 0;
    if (!this.blk) return { kind: 'illegal' };
    if (this.appCmd) {
      const r = this.appCommand(cmd, arg);
      this.appCmd = false;
      return r;
    }
    const s = this.state;
    switch (cmd) {
      case 0: this.reset(); return { kind: 'none' };
      case 2:
        if (s !== State.READY) return this.illegal(cmd);
        this.state = State.IDENT;
        return { kind: 'ok', bytes: this.cid.slice() };
      case 3: { // R6: the published RCA and status bits 23, 22, 19, 12:0
        if (s !== State.IDENT && s !== State.STBY) return this.illegal(cmd);
        this.state = State.STBY;
        const st = this.status;
        const low = ((st >>> 8) & 0xc000) | ((st >>> 6) & 0x2000) | (this.state << 9) | (st & 0x1fff & ~0x1e00);
        this.status &= ~CLEAR_ON_READ;
        return { kind: 'ok', bytes: be32(((RCA << 16) | low) >>> 0) };
      }
      case 6: return s === State.TRAN ? this.startMem(this.switchStatus(arg)) : this.illegal(cmd);
      case 7:
        if (arg >>> 16 === RCA) { if (s !== State.STBY) return this.illegal(cmd); const r = this.r1(); this.state = State.TRAN; return r; }
        if (s === State.TRAN || s === State.DATA) { this.state = State.STBY; return { kind: 'none' }; }
        return { kind: 'none' };
      case 8: // SEND_IF_COND: R7 echoes the voltage and the check pattern
        if (s !== State.IDLE) return this.illegal(cmd);
        return { kind: 'ok', bytes: be32(arg & 0xfff) };
      case 9: case 10:
        if (s !== State.STBY || arg >>> 16 !== RCA) return this.illegal(cmd);
        return { kind: 'ok', bytes: (cmd === 9 ? this.csd : this.cid).slice() };
      case 12:
        if (s !== State.DATA && s !== State.RCV) return this.illegal(cmd);
        this.xfer = null;
        this.state = State.TRAN;
        return this.r1();
      case 13:
        if (arg >>> 16 !== RCA || s < State.STBY) return this.illegal(cmd);
        return this.r1();
      case 16:
        if (s !== State.TRAN) return this.illegal(cmd);
        return this.r1(arg === BLOCK ? 0 : Status.BLOCK_LEN_ERROR);
      case 17: case 18: case 24: case 25: return s === State.TRAN ? this.startBlockIo(cmd, arg) : this.illegal(cmd);
      case 55:
        if (s !== State.IDLE && arg >>> 16 !== RCA) return this.illegal(cmd);
        this.appCmd = true;
        return this.r1();
    }
    return this.illegal(cmd);
  }

  private appCommand(cmd: number, arg: number): SDResponse {
    const s = this.state;
    switch (cmd) {
      case 6: return s === State.TRAN && (arg & 3) !== 1 && (arg & 3) !== 3 ? this.r1() : this.illegal(cmd);
      case 13: { // SD status: DAT_BUS_WIDTH 4 bits, the rest zero
        if (s !== State.TRAN) return this.illegal(cmd);
        const st = new Uint8Array(64);
        st[0] = 0x80;
        return this.startMem(st);
      }
      case 23: case 42: return s === State.TRAN ? this.r1() : this.illegal(cmd);
      case 41: { // SD_SEND_OP_COND: ready at once; OCR busy bit set, CCS for SDHC/SDXC
        if (s !== State.IDLE) return this.illegal(cmd);
        const ocr = (0x80ff8000 | (this.highCapacity ? 0x40000000 : 0)) >>> 0;
        if (arg & 0x00ffff00) this.state = State.READY;
        return { kind: 'ok', bytes: be32(ocr) };
      }
      case 51: return s === State.TRAN ? this.startMem(this.scr.slice()) : this.illegal(cmd);
    }
    return this.illegal(cmd);
  }

  /** CMD6 status (512 bits): group support, the function each group selects (0xF: refused). */
  private switchStatus(arg: number): Uint8Array {
    const st = new Uint8Array(64);
    st[1] = 0x64; // 100 mA
    for (const b of [3, 5, 7, 9, 11]) st[b] = 0x01; // groups 6..2: default function only
    st[13] = 0x03; // group 1: default and high speed
    const switchMode = (arg & 0x80000000) !== 0;
    const sel: number[] = [];
    for (let g = 0; g < 6; g++) {
      const want = (arg >>> (4 * g)) & 0xf;
      const cur = g === 0 ? this.hsSelected : 0;
      const ok = want === 0xf ? cur : want === 0 || (g === 0 && want === 1) ? want : 0xf;
      if (switchMode && g === 0 && ok !== 0xf) this.hsSelected = ok;
      sel.push(ok);
    }
    st[14] = (sel[5] << 4) | sel[4];
    st[15] = (sel[3] << 4) | sel[2];
    st[16] = (sel[1] << 4) | sel[0];
    st[17] = 1; // data structure version 1
    return st;
  }

  private startMem(mem: Uint8Array): SDResponse {
    const r = this.r1();
    this.xfer = { read: true, addr: 0, left: 1, mem };
    this.state = State.DATA;
    return r;
  }

  private startBlockIo(cmd: number, arg: number): SDResponse {
    const read = cmd === 17 || cmd === 18;
    const addr = this.highCapacity ? arg * BLOCK : arg;
    if (addr % BLOCK) return this.r1(Status.ADDRESS_ERROR);
    if (addr >= this.size) return this.r1(Status.OUT_OF_RANGE);
    if (!read && this.readOnly) return this.r1(Status.WP_VIOLATION);
    const r = this.r1();
    this.xfer = { read, addr, left: cmd === 18 || cmd === 25 ? Infinity : 1 };
    this.state = read ? State.DATA : State.RCV;
    return r;
  }

  dataReady(): boolean { return this.state === State.DATA && this.xfer !== null; }
  receiveReady(): boolean { return this.state === State.RCV && this.xfer !== null; }

  private advance(t: Transfer, len: number): number | null {
    if (t.addr + len > this.size) { this.status |= Status.OUT_OF_RANGE; this.xfer = null; this.state = State.TRAN; return null; }
    const off = t.addr;
    t.addr += len;
    if (--t.left === 0 && this.xfer === t) { this.xfer = null; this.state = State.TRAN; }
    return off;
  }

  async readBlock(len: number): Promise<Uint8Array | null> {
    const t = this.xfer;
    if (!t || !t.read || !this.blk) return null;
    if (t.mem) { this.xfer = null; this.state = State.TRAN; return t.mem.subarray(0, len); }
    if (len !== BLOCK) return null;
    const off = this.advance(t, len);
    if (off === null) return null;
    const buf = new Uint8Array(len);
    try {
      await this.blk.pread(off, buf);
    } catch {
      this.status |= Status.ERROR;
      return null;
    }
    return buf;
  }

  async writeBlock(data: Uint8Array): Promise<boolean> {
    const t = this.xfer;
    if (!t || t.read || !this.blk || data.length !== BLOCK) return false;
    const off = this.advance(t, BLOCK);
    if (off === null) return false;
    try {
      await this.blk.pwrite(off, data.slice());
    } catch {
      this.status |= Status.ERROR;
      return false;
    }
    return true;
  }
}
