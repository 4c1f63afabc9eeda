// CFI parallel flash with the Intel/Sharp command set (QEMU's hw/block/pflash_cfi01.c,
// "cfi.pflash01"): array reads, device ID and CFI query modes, status register, block erase,
// single-word and buffered programming. The virt board maps two 32 MiB banks (bank width 4,
// two x16 devices) and boots from the first. A program or erase writes the changed 512-byte
// sectors back to the drive, in order; a read-only drive reports the program/erase error bits.
import type { MemoryRegionOps } from '../../exec/memory.js';
import type { BlockBackend } from '../../block/block-backend.js';
import { QemuError } from '../../qemu/error.js';
import { LogMask, qemuLogMask } from '../../qemu/log.js';

export interface PFlashCFI01Props {
  name: string;
  sectorLen: number;
  numBlocks: number;
  /** Bank width in bytes (the bus), and the width of one chip on it (QEMU's width/device-width). */
  width: number;
  deviceWidth: number;
  /** JEDEC ids (the virt board leaves them 0). */
  ident0?: number;
  ident1?: number;
}

const STATUS_READY = 0x80, STATUS_ERASE_ERR = 0x20, STATUS_PROGRAM_ERR = 0x10;

export class PFlashCFI01 implements MemoryRegionOps {
  readonly size: number;
  /** Contents; without a drive allocated at the first write (reads 0 until then, as QEMU's RAM). */
  private storage: Uint8Array | undefined;
  private blk: BlockBackend | undefined;
  private ro = false;
  private wcycle = 0;
  private cmd = 0;
  private status = STATUS_READY;
  private counter = 0;
  /** The write block of the buffered program in progress. */
  private blkOffset = 0;
  /** Buffered program (0xe8): the words wait for the confirm command. */
  private pending: Array<{ offset: number; width: number; value: number }> = [];
  private readonly cfi = new Uint8Array(0x52);
  private readonly writeblockSize: number;
  private writeback: Promise<void> = Promise.resolve();
  /** A failed write-back (QEMU's "Could not update PFLASH"). */
  onError: (msg: string) => void = () => {};

  constructor(readonly props: PFlashCFI01Props) {
    this.size = props.sectorLen * props.numBlocks;
    const numDevices = props.width / props.deviceWidth;
    const sectorPerDevice = props.sectorLen / numDevices;
    const deviceLen = sectorPerDevice * props.numBlocks;
    const t = this.cfi;
    t.set([0x51, 0x52, 0x59, 0x01, 0x00, 0x31, 0x00, 0, 0, 0, 0, 0x45, 0x55, 0, 0, 0x07, 0x07, 0x0a, 0, 0x04, 0x04, 0x04, 0], 0x10);
    t[0x27] = 31 - Math.clz32(deviceLen);
    t[0x28] = 0x02;
    t[0x2a] = props.width === 1 ? 0x08 : 0x0b;
    this.writeblockSize = (1 << t[0x2a]) * numDevices;
    t[0x2c] = 0x01;
    t[0x2d] = (props.numBlocks - 1) & 0xff;
    t[0x2e] = ((props.numBlocks - 1) >> 8) & 0xff;
    t[0x2f] = (sectorPerDevice >> 8) & 0xff;
    t[0x30] = (sectorPerDevice >> 16) & 0xff;
    t.set([0x50, 0x52, 0x49, 0x31, 0x30], 0x31); // "PRI", version 1.0
    t[0x3f] = 0x01;
  }

  /** Attach the drive and read all of it (it must be exactly the flash's size, as QEMU's). */
  async attach(blk: BlockBackend): Promise<void> {
    const len = blk.getLength();
    if (len !== this.size) throw new QemuError(`device requires ${this.size} bytes, block backend provides ${len} bytes`);
    const s = new Uint8Array(this.size);
    await blk.pread(0, s);
    this.storage = s;
    this.blk = blk;
    this.ro = blk.readOnly;
  }

  get hasDrive(): boolean { return this.blk !== undefined; }

  reset(): void {
    this.wcycle = 0;
    this.cmd = 0;
    this.status = STATUS_READY;
    this.pending = [];
  }

  /** Resolves when every write-back so far reached the drive. */
  drain(): Promise<void> { return this.writeback; }

  private dataRead(offset: number, width: number): number {
    const s = this.storage;
    if (!s) return 0;
    let v = 0;
    for (let i = width - 1; i >= 0; i--) v = (v * 256) + s[offset + i];
    return v >>> 0;
  }

  private dataWrite(offset: number, width: number, value: number): void {
    const s = (this.storage ??= new Uint8Array(this.size));
    for (let i = 0; i < width; i++) s[offset + i] = (value >>> (8 * i)) & 0xff;
  }

  /** One chip's answer replicated across the bank. */
  private replicate(resp: number): number {
    const { width, deviceWidth } = this.props;
    for (let i = deviceWidth; i < width; i += deviceWidth) resp = (resp | (resp << (8 * i))) >>> 0;
    return resp;
  }

  private cfiQuery(offset: number): number {
    const boff = offset >>> (31 - Math.clz32(this.props.width));
    return boff >= this.cfi.length ? 0 : this.replicate(this.cfi[boff]);
  }

  private devidQuery(offset: number): number {
    const boff = (offset >>> (31 - Math.clz32(this.props.width))) & 0xff;
    if (boff === 0) return this.replicate(this.props.ident0 ?? 0);
    if (boff === 1) return this.replicate(this.props.ident1 ?? 0);
    return 0;
  }

  read(offset: number, size: number): number {
    if (offset + size > this.size) return 0;
    switch (this.cmd) {
      case 0x00: return this.dataRead(offset, size);
      case 0x10: case 0x20: case 0x28: case 0x40: case 0x50: case 0x60: case 0x70: case 0xe8: {
        let ret = this.status;
        const dw = this.props.deviceWidth;
        for (let shift = dw * 8; shift + dw * 8 <= size * 8; shift += dw * 8) ret |= this.status << shift;
        return ret >>> 0;
      }
      case 0x90: return this.devidQuery(offset);
      case 0x98: return this.cfiQuery(offset);
      default:
        this.wcycle = 0;
        this.cmd = 0;
        return this.dataRead(offset, size);
    }
  }

  write(offset: number, size: number, value: number): void {
    if (offset + size > this.size) return;
    const cmd = value & 0xff;
    switch (this.wcycle) {
      case 0:
        switch (cmd) {
          case 0x00: case 0xf0: case 0xff: this.readArray(); return;
          case 0x10: case 0x40: break;
          case 0x20: {
            const base = offset - (offset % this.props.sectorLen);
            if (!this.ro) {
              (this.storage ??= new Uint8Array(this.size)).fill(0xff, base, base + this.props.sectorLen);
              this.update(base, this.props.sectorLen);
            } else {
              this.status |= STATUS_ERASE_ERR;
            }
            this.status |= STATUS_READY;
            break;
          }
          case 0x50: this.status = 0; this.readArray(); return;
          case 0x60: break;
          case 0x70: case 0x90: this.cmd = cmd; return;
          case 0x98: break;
          case 0xe8: this.status |= STATUS_READY; this.pending = []; break;
          default: this.unimplemented(offset, value); return;
        }
        this.wcycle++;
        this.cmd = cmd;
        return;
      case 1:
        switch (this.cmd) {
          case 0x10: case 0x40:
            if (!this.ro) {
              this.dataWrite(offset, size, value);
              this.update(offset, size);
            } else {
              this.status |= STATUS_PROGRAM_ERR;
            }
            this.status |= STATUS_READY;
            this.wcycle = 0;
            return;
          case 0x20: case 0x28: case 0x60:
            if (cmd === 0xd0 || (this.cmd === 0x60 && cmd === 0x01)) { this.wcycle = 0; this.status |= STATUS_READY; return; }
            if (cmd === 0xff || this.cmd === 0x60) { this.readArray(); return; }
            this.unimplemented(offset, value);
            return;
          case 0xe8:
            // The word count minus one, masked to one chip's width.
            this.counter = this.props.deviceWidth >= 4 ? value >>> 0 : value & ((1 << (8 * this.props.deviceWidth)) - 1);
            this.blkOffset = offset - (offset % this.writeblockSize);
            this.wcycle++;
            return;
          case 0x98:
            if (cmd === 0xff) this.readArray();
            return;
          default:
            this.unimplemented(offset, value);
            return;
        }
      case 2:
        if (this.cmd !== 0xe8) { this.unimplemented(offset, value); return; }
        if (!this.ro && offset >= this.blkOffset && offset + size <= this.blkOffset + this.writeblockSize) this.pending.push({ offset, width: size, value });
        else this.status |= STATUS_PROGRAM_ERR;
        this.status |= STATUS_READY;
        if (this.counter === 0) this.wcycle++;
        else this.counter--;
        return;
      case 3:
        // A programming error (read-only flash, words outside the block) aborts at the confirm.
        if (cmd === 0xd0 && !(this.status & STATUS_PROGRAM_ERR)) {
          for (const p of this.pending) { this.dataWrite(p.offset, p.width, p.value); this.update(p.offset, p.width); }
          this.pending = [];
          this.wcycle = 0;
          this.status |= STATUS_READY;
          return;
        }
        this.pending = [];
        this.readArray();
        return;
      default:
        this.unimplemented(offset, value);
    }
  }

  private readArray(): void {
    this.wcycle = 0;
    this.cmd = 0;
  }

  private unimplemented(offset: number, value: number): void {
    qemuLogMask(LogMask.LOG_UNIMP, `pflash_write: Unimplemented flash cmd sequence (offset 0x${offset.toString(16).padStart(16, '0')}, wcycle 0x${this.wcycle.toString(16)} cmd 0x${this.cmd.toString(16)} value 0x${(value >>> 0).toString(16)})\n`);
    this.readArray();
  }

  /** Write the 512-byte sectors covering [offset, offset+len) back to the drive, in order. */
  private update(offset: number, len: number): void {
    const blk = this.blk, s = this.storage;
    if (!blk || !s) return;
    const start = offset & ~511, end = Math.min(this.size, (offset + len + 511) & ~511);
    const data = s.slice(start, end);
    this.writeback = this.writeback.then(() => blk.pwrite(start, data)).catch((e: Error) => this.onError(`Could not update PFLASH: ${e.message}`));
  }
}
