// An eMMC 4.41 device (JEDEC JESD84-A441; QEMU 10.2's "emmc" in hw/sd/sd.c) on an SD bus: the
// MMC command set (CMD1 bring-up, host-assigned RCA, CMD6 SWITCH of EXT_CSD bytes, CMD8
// SEND_EXT_CSD, CMD23 block count with the reliable-write bit), four hardware partitions selected
// by EXT_CSD[179] PARTITION_CONFIG and laid out in one image as QEMU 10.2 does:
//   [boot0][boot1][RPMB][user data area]   (boot and RPMB may be absent: size 0)
// Commands in the wrong state are illegal: no response, ILLEGAL_COMMAND in the next status.
// Addresses are checked against the selected partition (OUT_OF_RANGE / ADDRESS_ERROR).
import type { BlockBackend } from '../../block/block-backend.js';
import { QemuError } from '../../qemu/error.js';
import { LogMask, qemuLogMask } from '../../qemu/log.js';
import { type SDCardIf, type SDResponse, packBits } from './sd-bus.js';
import { RPMB, RPMB_FRAME, type RPMBStateStore } from './rpmb.js';

const BLOCK = 512;
const BOOT_UNIT = 128 * 1024;
const enum State { IDLE = 0, READY = 1, IDENT = 2, STBY = 3, TRAN = 4, DATA = 5, RCV = 6, PRG = 7, DIS = 8 }
const enum Status {
  OUT_OF_RANGE = 1 << 31, ADDRESS_ERROR = 1 << 30, BLOCK_LEN_ERROR = 1 << 29, WP_VIOLATION = 1 << 26,
  ILLEGAL_COMMAND = 1 << 22, ERROR = 1 << 19, READY_FOR_DATA = 1 << 8, SWITCH_ERROR = 1 << 7, APP_CMD = 1 << 5,
}
/** Status bits cleared once reported (type "C" in the standard). */
const CLEAR_ON_READ = Status.OUT_OF_RANGE | Status.ADDRESS_ERROR | Status.BLOCK_LEN_ERROR | Status.WP_VIOLATION |
  Status.ILLEGAL_COMMAND | Status.ERROR | Status.SWITCH_ERROR;

export const enum ExtCsd {
  PARTITION_SUPPORT = 160, RPMB_SIZE_MULT = 168, PARTITION_CONFIG = 179, BUS_WIDTH = 183, HS_TIMING = 185,
  REV = 192, CSD_STRUCTURE = 194, DEVICE_TYPE = 196, SEC_COUNT = 212, REL_WR_SEC_C = 222, HC_ERASE_GRP_SIZE = 224,
  BOOT_SIZE_MULT = 226, BOOT_INFO = 228, S_CMD_SET = 504, WR_REL_PARAM = 166, HC_WP_GRP_SIZE = 221, BOOT_BUS_CONDITIONS = 177,
  ERASE_GROUP_DEF = 175, BOOT_WP = 173, RST_N_FUNCTION = 162, CACHE_CTRL = 33, POWER_OFF_NOTIFICATION = 34,
}
/** EXT_CSD bytes the host may change with CMD6 (the rest are read-only). */
const WRITABLE = new Set<number>([ExtCsd.PARTITION_CONFIG, ExtCsd.BUS_WIDTH, ExtCsd.HS_TIMING, ExtCsd.ERASE_GROUP_DEF,
  ExtCsd.BOOT_BUS_CONDITIONS, ExtCsd.BOOT_WP, ExtCsd.RST_N_FUNCTION, ExtCsd.CACHE_CTRL, ExtCsd.POWER_OFF_NOTIFICATION]);

export const enum EMMCPart { USER = 0, BOOT0 = 1, BOOT1 = 2, RPMB = 3 }

export interface EMMCProps {
  bootPartitionSize: number;
  rpmbPartitionSize: number;
  /** EXT_CSD[179] at power-on (QEMU's boot-config). */
  bootConfig?: number;
  rpmbStore?: RPMBStateStore;
}

interface Transfer {
  read: boolean;
  part: EMMCPart;
  /** Byte offset in the partition of the next block. */
  addr: number;
  /** Blocks left (Infinity: open-ended until CMD12); data from memory when `mem` is set. */
  left: number;
  mem?: Uint8Array;
  /** RPMB frames collected so far (write) or to send (read). */
  frames?: Uint8Array[];
}

export class EMMC implements SDCardIf {
  readonly inserted = true;
  private state = State.IDLE;
  private status = 0;
  private rca = 0;
  private readonly extCsd = new Uint8Array(512);
  private readonly cid = new Uint8Array(16);
  private readonly csd = new Uint8Array(16);
  private blockCount = 0;
  private reliable = false;
  private xfer: Transfer | null = null;
  readonly userSize: number;
  private readonly rpmb: RPMB | undefined;
  private readonly bootConfig: number;

  constructor(private readonly blk: BlockBackend, private readonly p: EMMCProps) {
    const total = blk.getLength();
    if (p.bootPartitionSize % BOOT_UNIT) throw new QemuError('boot-partition-size must be a multiple of 128 KiB');
    if (p.rpmbPartitionSize % BOOT_UNIT) throw new QemuError('rpmb-partition-size must be a multiple of 128 KiB');
    if (p.bootPartitionSize > 255 * BOOT_UNIT || p.rpmbPartitionSize > 255 * BOOT_UNIT) {
      throw new QemuError('boot and RPMB partitions are at most 32640 KiB each');
    }
    this.userSize = total - 2 * p.bootPartitionSize - p.rpmbPartitionSize;
    if (this.userSize <= 0 || this.userSize % BLOCK) {
      throw new QemuError(`Invalid eMMC image size ${total}: the boot and RPMB partitions leave no user data area`);
    }
    if (this.userSize <= 2 ** 31 && (this.userSize & (this.userSize - 1)) !== 0) {
      throw new QemuError(`Invalid user data area size ${this.userSize}: up to 2 GiB it must be a power of 2`);
    }
    this.bootConfig = p.bootConfig ?? 0;
    if (p.rpmbPartitionSize > 0) {
      const base = 2 * p.bootPartitionSize;
      this.rpmb = new RPMB({
        size: p.rpmbPartitionSize,
        read: async (off, len) => { const b = new Uint8Array(len); await blk.pread(base + off, b); return b; },
        write: (off, data) => blk.pwrite(base + off, data),
      }, p.rpmbStore);
    }
    this.buildRegisters();
    this.reset();
  }

  get readOnly(): boolean { return this.blk.readOnly; }
  get highCapacity(): boolean { return this.userSize > 2 ** 31; }

  private buildRegisters(): void {
    // CID: MID 0x00, CBX 1 (BGA), OID 0, PNM "QEMU!!", PRV 0x01, PSN, MDT; CRC byte last.
    const c = this.cid;
    c[0] = 0x00; c[1] = 0x01; c[2] = 0x00;
    c.set(new TextEncoder().encode('QEMU!!'), 3);
    c[9] = 0x01; c[10] = 0xde; c[11] = 0xad; c[12] = 0xbe; c[13] = 0xef; c[14] = 0x11; c[15] = 1;
    // CSD (structure 3: version in EXT_CSD; SPEC_VERS 4), capacity for byte-addressed parts.
    let blLen = 9;
    let blocks = Math.min(this.userSize, 2 ** 31) / 2 ** blLen;
    while (blocks / 512 > 4096) { blLen++; blocks /= 2; }
    const cSizeMult = 7;
    const cSize = this.highCapacity ? 0xfff : blocks / 2 ** (cSizeMult + 2) - 1;
    const bits: Array<[number, number, number]> = [ // [msb, width, value]
      [127, 2, 3], [125, 4, 4], [119, 8, 0x27], [111, 8, 0x01], [103, 8, 0x32], [95, 12, 0x0f5], [83, 4, blLen],
      [73, 12, cSize], [49, 3, cSizeMult], [46, 5, 0x1f], [41, 5, 0x1f], [28, 3, 2], [25, 4, 9], [7, 7, 0], [0, 1, 1],
    ];
    packBits(this.csd, bits);
    const e = this.extCsd;
    e[ExtCsd.S_CMD_SET] = 1;
    e[ExtCsd.BOOT_INFO] = 0x7;
    e[ExtCsd.BOOT_SIZE_MULT] = this.p.bootPartitionSize / BOOT_UNIT;
    e[ExtCsd.HC_ERASE_GRP_SIZE] = 1;
    e[ExtCsd.REL_WR_SEC_C] = 1;
    e[ExtCsd.HC_WP_GRP_SIZE] = 1;
    const sectors = this.userSize / BLOCK;
    for (let i = 0; i < 4; i++) e[ExtCsd.SEC_COUNT + i] = (sectors >>> (8 * i)) & 0xff;
    e[ExtCsd.DEVICE_TYPE] = 0x3; // HS 26 and 52 MHz
    e[ExtCsd.CSD_STRUCTURE] = 2;
    e[ExtCsd.REV] = 5; // 4.41: RPMB
    e[ExtCsd.RPMB_SIZE_MULT] = this.p.rpmbPartitionSize / BOOT_UNIT;
    e[ExtCsd.WR_REL_PARAM] = 0x4; // EN_REL_WR
    e[ExtCsd.PARTITION_SUPPORT] = 0x3;
  }

  reset(): void {
    this.state = State.IDLE;
    this.status = 0;
    this.rca = 0;
    this.blockCount = 0;
    this.reliable = false;
    this.xfer = null;
    this.extCsd[ExtCsd.PARTITION_CONFIG] = this.bootConfig;
    this.extCsd[ExtCsd.BUS_WIDTH] = 0;
    this.extCsd[ExtCsd.HS_TIMING] = 0;
  }

  private partSize(part: EMMCPart): number {
    switch (part) {
      case EMMCPart.BOOT0: case EMMCPart.BOOT1: return this.p.bootPartitionSize;
      case EMMCPart.RPMB: return this.p.rpmbPartitionSize;
      default: return this.userSize;
    }
  }

  private partBase(part: EMMCPart): number {
    const b = this.p.bootPartitionSize;
    switch (part) {
      case EMMCPart.BOOT0: return 0;
      case EMMCPart.BOOT1: return b;
      case EMMCPart.RPMB: return 2 * b;
      default: return 2 * b + this.p.rpmbPartitionSize;
    }
  }

  get partition(): EMMCPart { return (this.extCsd[ExtCsd.PARTITION_CONFIG] & 7) as EMMCPart; }

  /** R1 with the card status; `after` bits show in the next status read only (errors found while
   * the command executes, as SWITCH_ERROR), `both` in this response and the next. */
  private r1(after = 0, both = 0): SDResponse {
    const v = (this.status | both | (this.state << 9) | (this.state === State.TRAN ? Status.READY_FOR_DATA : 0)) >>> 0;
    this.status &= ~CLEAR_ON_READ;
    this.status |= after | both;
    return { kind: 'ok', bytes: new Uint8Array([v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff]) };
  }

  private illegal(cmd: number): SDResponse {
    qemuLogMask(LogMask.LOG_GUEST_ERROR, `emmc: CMD${cmd} illegal in state ${this.state}\n`);
    this.status |= Status.ILLEGAL_COMMAND;
    return { kind: 'illegal' };
  }

  doCommand(cmd: number, arg: number): SDResponse {
    arg >>>= 0;
    const s = this.state;
    switch (cmd) {
      case 0:
        if (arg === 0xf0f0f0f0 || arg === 0xfffffffa) return { kind: 'none' }; // pre-idle / boot: not modelled
        this.reset();
        return { kind: 'none' };
      case 1: { // SEND_OP_COND: R3 with the power-up (ready) bit
        if (s !== State.IDLE && s !== State.READY) return this.illegal(cmd);
        this.state = State.READY;
        const ocr = (0x80ff8080 | (this.highCapacity ? 0x40000000 : 0)) >>> 0;
        return { kind: 'ok', bytes: new Uint8Array([ocr >>> 24, (ocr >>> 16) & 0xff, (ocr >>> 8) & 0xff, ocr & 0xff]) };
      }
      case 2:
        if (s !== State.READY) return this.illegal(cmd);
        this.state = State.IDENT;
        return { kind: 'ok', bytes: this.cid.slice() };
      case 3:
        if (s !== State.IDENT) return this.illegal(cmd);
        this.rca = arg >>> 16;
        this.state = State.STBY;
        return this.r1();
      case 4: return s === State.STBY ? { kind: 'none' } : this.illegal(cmd);
      case 5: // SLEEP_AWAKE (R1b): sleep is not modelled beyond the answer
        if (s !== State.STBY || arg >>> 16 !== this.rca) return this.illegal(cmd);
        return this.r1();
      case 6: return s === State.TRAN ? this.switchCmd(arg) : this.illegal(cmd);
      case 7: {
        const mine = arg >>> 16 === this.rca;
        if (s === State.STBY && mine) { const r = this.r1(); this.state = State.TRAN; return r; }
        if ((s === State.TRAN || s === State.DATA || s === State.PRG) && !mine) { const r = this.r1(); this.state = State.STBY; return r; }
        if (s === State.STBY && !mine) return { kind: 'none' };
        return this.illegal(cmd);
      }
      case 8:
        if (s !== State.TRAN) return this.illegal(cmd);
        return this.startRead(cmd, { read: true, part: EMMCPart.USER, addr: 0, left: 1, mem: this.extCsd.slice() });
      case 9: case 10:
        if (s !== State.STBY || arg >>> 16 !== this.rca) return this.illegal(cmd);
        return { kind: 'ok', bytes: (cmd === 9 ? this.csd : this.cid).slice() };
      case 12: {
        if (s !== State.DATA && s !== State.RCV) return this.illegal(cmd);
        this.xfer = null;
        this.state = State.TRAN;
        return this.r1();
      }
      case 13:
        if (arg >>> 16 !== this.rca || s === State.IDLE || s === State.READY || s === State.IDENT) return this.illegal(cmd);
        return this.r1();
      case 15: this.state = State.IDLE; this.rca = 0; return { kind: 'none' };
      case 16:
        if (s !== State.TRAN) return this.illegal(cmd);
        return this.r1(0, arg !== BLOCK ? Status.BLOCK_LEN_ERROR : 0);
      case 17: case 18: case 24: case 25: return s === State.TRAN ? this.startBlockIo(cmd, arg) : this.illegal(cmd);
      case 23:
        if (s !== State.TRAN) return this.illegal(cmd);
        this.blockCount = arg & 0xffff;
        this.reliable = (arg & 0x80000000) !== 0;
        return this.r1();
    }
    return this.illegal(cmd);
  }

  /** CMD6 SWITCH: access (1 set bits, 2 clear bits, 3 write byte) of EXT_CSD[index]. */
  private switchCmd(arg: number): SDResponse {
    const access = (arg >>> 24) & 3, index = (arg >>> 16) & 0xff, value = (arg >>> 8) & 0xff;
    if (access === 0) return this.r1(); // command set: only the standard one
    if (!WRITABLE.has(index)) return this.r1(Status.SWITCH_ERROR);
    const e = this.extCsd;
    const v = access === 1 ? e[index] | value : access === 2 ? e[index] & ~value : value;
    if (index === ExtCsd.PARTITION_CONFIG) {
      const part = v & 7;
      if (part > EMMCPart.RPMB || (part !== EMMCPart.USER && this.partSize(part) === 0)) return this.r1(Status.SWITCH_ERROR);
    }
    e[index] = v;
    return this.r1();
  }

  private startRead(cmd: number, t: Transfer): SDResponse {
    const r = this.r1();
    this.xfer = t;
    this.state = State.DATA;
    void cmd;
    return r;
  }

  private startBlockIo(cmd: number, arg: number): SDResponse {
    const read = cmd === 17 || cmd === 18;
    const part = this.partition;
    const multi = cmd === 18 || cmd === 25;
    const count = multi ? (this.blockCount || Infinity) : 1;
    const reliable = this.reliable;
    this.blockCount = 0;
    this.reliable = false;
    if (part === EMMCPart.RPMB) {
      // RPMB: a request (CMD25) or its response (CMD18), one frame a block; CMD23 is required.
      if (!multi || count === Infinity) return this.r1(0, Status.ERROR);
      const r = this.r1();
      this.xfer = { read, part, addr: 0, left: count, frames: [] };
      this.rpmbReliable = reliable;
      this.state = read ? State.DATA : State.RCV;
      return r;
    }
    const addr = this.highCapacity ? arg * BLOCK : arg;
    const size = this.partSize(part);
    if (addr % BLOCK) return this.r1(0, Status.ADDRESS_ERROR);
    if (addr >= size) return this.r1(0, Status.OUT_OF_RANGE);
    if (!read && this.blk.readOnly) return this.r1(0, Status.WP_VIOLATION);
    const r = this.r1();
    this.xfer = { read, part, addr, left: count };
    this.state = read ? State.DATA : State.RCV;
    return r;
  }

  private rpmbReliable = false;

  dataReady(): boolean { return this.state === State.DATA && this.xfer !== null; }
  receiveReady(): boolean { return this.state === State.RCV && this.xfer !== null; }

  /** The transfer is complete: back to TRAN (single block, or the count CMD23 set). */
  private finishIfDone(t: Transfer): void {
    if (t.left === 0 && this.xfer === t) { this.xfer = null; this.state = State.TRAN; }
  }

  async readBlock(len: number): Promise<Uint8Array | null> {
    const t = this.xfer;
    if (!t || !t.read || t.left <= 0) return null;
    t.left--;
    if (t.mem) { this.finishIfDone(t); return t.mem.subarray(0, len); }
    if (t.part === EMMCPart.RPMB) {
      if (!this.rpmb || len !== RPMB_FRAME) { this.status |= Status.ERROR; this.xfer = null; this.state = State.TRAN; return null; }
      if (t.frames!.length === 0) t.frames = await this.rpmb.response(t.left + 1);
      const f = t.frames!.shift() ?? null;
      this.finishIfDone(t);
      return f;
    }
    if (len !== BLOCK || t.addr + len > this.partSize(t.part)) {
      this.status |= len !== BLOCK ? Status.BLOCK_LEN_ERROR : Status.OUT_OF_RANGE;
      this.xfer = null;
      this.state = State.TRAN;
      return null;
    }
    const buf = new Uint8Array(len);
    const off = t.addr;
    t.addr += len;
    this.finishIfDone(t);
    try {
      await this.blk.pread(this.partBase(t.part) + off, buf);
    } catch {
      this.status |= Status.ERROR;
      return null;
    }
    return buf;
  }

  async writeBlock(data: Uint8Array): Promise<boolean> {
    const t = this.xfer;
    if (!t || t.read || t.left <= 0) return false;
    t.left--;
    if (t.part === EMMCPart.RPMB) {
      if (data.length !== RPMB_FRAME || !this.rpmb) { this.status |= Status.ERROR; return false; }
      t.frames!.push(data.slice());
      if (t.left === 0) {
        const frames = t.frames!;
        this.finishIfDone(t);
        await this.rpmb.request(frames, this.rpmbReliable);
      }
      return true;
    }
    if (data.length !== BLOCK || t.addr + BLOCK > this.partSize(t.part)) {
      this.status |= data.length !== BLOCK ? Status.BLOCK_LEN_ERROR : Status.OUT_OF_RANGE;
      this.xfer = null;
      this.state = State.TRAN;
      return false;
    }
    const off = t.addr;
    t.addr += BLOCK;
    this.finishIfDone(t);
    try {
      await this.blk.pwrite(this.partBase(t.part) + off, data.slice());
    } catch {
      this.status |= Status.ERROR;
      return false;
    }
    return true;
  }
}
