// The raw format (QEMU's block/raw-format.c): guest bytes are the file's bytes. When the
// format was probed rather than named, writes that would make sector 0 look like another
// format are refused, so a guest cannot turn its disk into, say, a qcow2 pointing at host files.
import { QemuError } from '../qemu/error.js';
import { parseSize } from '../qemu/option.js';
import { bdrvProbe } from './block.js';
import {
  BdrvOpenContext, BdrvOpenFlags, BlockDriver, BlockDriverState, BlockStatus, BlockStatusFlags, PreallocMode,
} from './block_int.js';
import { BlockIOError } from './block-backend.js';
import { bdrvPread, bdrvPwrite } from './io.js';

/** offset=/size= select a window of the file (-drive ...,offset=1M,size=64M). */
class BDRVRawState extends BlockDriverState {
  constructor(drv: BlockDriver, flags: BdrvOpenFlags, readonly child: BlockDriverState, readonly probed: boolean,
    readonly offset: number, readonly size: number | null) {
    super(drv, flags);
    this.file = child;
    this.filename = child.filename;
    this.requestAlignment = child.requestAlignment;
  }

  // A whole file's length counts in 512-byte sectors, as QEMU's total_sectors (iotests 104: a
  // 1234-byte file is 1536 bytes); the tail past the file's end reads as zeroes.
  getLength(): number {
    if (this.size !== null) return this.size;
    const n = this.child.getLength() - this.offset;
    return this.offset ? n : Math.ceil(n / 512) * 512;
  }
  async preadv(offset: number, buf: Uint8Array): Promise<void> {
    const inFile = Math.max(0, Math.min(buf.length, this.child.getLength() - this.offset - offset));
    if (inFile < buf.length) buf.fill(0, inFile);
    if (inFile > 0) await bdrvPread(this.child, this.offset + offset, inFile === buf.length ? buf : buf.subarray(0, inFile));
  }

  /** A write into the sector tail past the file's end grows the file (as QEMU's file-posix). */
  private async grow(end: number): Promise<void> {
    if (this.offset + end > this.child.getLength()) await this.child.truncate(this.offset + end, false, 'off', false);
  }

  async pwritev(offset: number, buf: Uint8Array, flags: number): Promise<void> {
    await this.grow(offset + buf.length);
    if (this.probed && offset < 512 && buf.length > 0) {
      return this.checkBlock0(offset, buf).then(() => bdrvPwrite(this.child, this.offset + offset, buf, flags));
    }
    return bdrvPwrite(this.child, this.offset + offset, buf, flags);
  }

  private async checkBlock0(offset: number, buf: Uint8Array): Promise<void> {
    const sector = new Uint8Array(512);
    await bdrvPread(this.child, 0, sector.subarray(0, Math.min(512, this.getLength())));
    sector.set(buf.subarray(0, 512 - offset), offset);
    if (bdrvProbe(sector, this.filename).formatName !== 'raw') {
      throw new BlockIOError('EPERM', 'Write to block 0 of a probed raw image refused');
    }
  }

  override async pwriteZeroes(offset: number, bytes: number, flags: number): Promise<void> {
    await this.grow(offset + bytes);
    return this.child.pwriteZeroes(this.offset + offset, bytes, flags);
  }
  override async pdiscard(offset: number, bytes: number): Promise<void> {
    const n = Math.min(bytes, this.child.getLength() - this.offset - offset);
    if (n > 0) await this.child.pdiscard(this.offset + offset, n);
  }
  flush(): Promise<void> { return this.child.flush(); }
  override async blockStatus(offset: number, bytes: number): Promise<BlockStatus> {
    const inFile = this.child.getLength() - this.offset - offset;
    if (inFile <= 0) {
      return { flags: BlockStatusFlags.ZERO | BlockStatusFlags.OFFSET_VALID | BlockStatusFlags.ALLOCATED, pnum: bytes, map: this.offset + offset, file: this.child };
    }
    const st = await this.child.blockStatus(this.offset + offset, Math.min(bytes, inFile));
    return { flags: st.flags | BlockStatusFlags.OFFSET_VALID | BlockStatusFlags.ALLOCATED, pnum: st.pnum, map: this.offset + offset, file: this.child };
  }
  override truncate(offset: number, exact: boolean, prealloc: PreallocMode, shrink: boolean): Promise<void> {
    if (this.offset || this.size !== null) throw new QemuError("Cannot resize a raw image with 'offset' or 'size' set");
    return this.child.truncate(offset, exact, prealloc, shrink);
  }
  close(): Promise<void> { return this.child.close(); }
}

export const bdrvRaw: BlockDriver = {
  formatName: 'raw',
  isProtocol: false,
  probe: () => 1,
  runtimeOptions: ['offset', 'size'],
  async open(ctx: BdrvOpenContext): Promise<BlockDriverState> {
    const child = await ctx.openFile('filtered');
    const o = ctx.options;
    const offset = o.has('offset') ? parseSize('offset', o.get('offset') as string) : 0;
    const size = o.has('size') ? parseSize('size', o.get('size') as string) : null;
    const flen = child.getLength();
    if (offset > flen || (size !== null && offset + size > flen)) {
      await child.close();
      throw new QemuError(`The sum of offset (${offset}) and size (${size ?? 0}) has to be smaller or equal to the  actual size of the containing file (${flen})`);
    }
    return new BDRVRawState(bdrvRaw, ctx.flags, child, o.get('x-probed') === 'on', offset, size);
  },
  async create(ctx) {
    const prealloc = (ctx.options.get('preallocation') ?? 'off') as PreallocMode;
    if (!['off', 'falloc', 'full'].includes(prealloc)) throw new QemuError(`Invalid parameter '${prealloc}'`);
    const f = await ctx.createFile(ctx.filename, prealloc, ctx.size);
    await f.close();
  },
  createOptions: [
    { name: 'size', type: 'size', help: 'Virtual disk size' },
  ],
};
