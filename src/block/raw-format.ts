// The raw format (QEMU's block/raw-format.c): guest bytes are the file's bytes. When the
// format was probed rather than named, writes that would make sector 0 look like another
// format are refused, so a guest cannot turn its disk into, say, a qcow2 pointing at host files.
import { QemuError } from '../qemu/error.js';
import { bdrvProbe } from './block.js';
import {
  BdrvOpenContext, BdrvOpenFlags, BlockDriver, BlockDriverState, BlockStatus, BlockStatusFlags, PreallocMode,
} from './block_int.js';
import { BlockIOError } from './block-backend.js';
import { bdrvPread, bdrvPwrite } from './io.js';

class BDRVRawState extends BlockDriverState {
  constructor(drv: BlockDriver, flags: BdrvOpenFlags, readonly child: BlockDriverState, readonly probed: boolean) {
    super(drv, flags);
    this.file = child;
    this.filename = child.filename;
    this.requestAlignment = child.requestAlignment;
  }

  getLength(): number { return this.child.getLength(); }
  preadv(offset: number, buf: Uint8Array): Promise<void> { return bdrvPread(this.child, offset, buf); }

  async pwritev(offset: number, buf: Uint8Array, flags: number): Promise<void> {
    if (this.probed && offset < 512 && buf.length > 0) await this.checkBlock0(offset, buf);
    return bdrvPwrite(this.child, offset, buf, flags);
  }

  private async checkBlock0(offset: number, buf: Uint8Array): Promise<void> {
    const sector = new Uint8Array(512);
    await bdrvPread(this.child, 0, sector.subarray(0, Math.min(512, this.getLength())));
    sector.set(buf.subarray(0, 512 - offset), offset);
    if (bdrvProbe(sector, this.filename).formatName !== 'raw') {
      throw new BlockIOError('EPERM', 'Write to block 0 of a probed raw image refused');
    }
  }

  override pwriteZeroes(offset: number, bytes: number, flags: number): Promise<void> { return this.child.pwriteZeroes(offset, bytes, flags); }
  override pdiscard(offset: number, bytes: number): Promise<void> { return this.child.pdiscard(offset, bytes); }
  flush(): Promise<void> { return this.child.flush(); }
  override async blockStatus(offset: number, bytes: number): Promise<BlockStatus> {
    const st = await this.child.blockStatus(offset, bytes);
    return { flags: st.flags | BlockStatusFlags.OFFSET_VALID | BlockStatusFlags.ALLOCATED, pnum: st.pnum, map: offset, file: this.child };
  }
  override truncate(offset: number, exact: boolean, prealloc: PreallocMode, shrink: boolean): Promise<void> {
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
    const child = await ctx.openFile();
    return new BDRVRawState(bdrvRaw, ctx.flags, child, ctx.options.get('x-probed') === 'on');
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
