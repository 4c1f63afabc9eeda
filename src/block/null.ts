// The null-co / null-aio protocols (QEMU's block/null.c): a device of `size` bytes (default
// 1 GiB) that drops writes; reads leave the buffer as it is unless read-zeroes=on. Scripts and
// qemu-iotests use it as a fast source or sink ("null-co://", json:{'driver': 'null-co', ...}).
import { QemuError } from '../qemu/error.js';
import { parseBool, parseSize } from '../qemu/option.js';
import { BdrvOpenContext, BdrvOpenFlags, BlockDriver, BlockDriverState, BlockStatus, BlockStatusFlags } from './block_int.js';
import { jsonFilename } from './json-filename.js';

class BDRVNullState extends BlockDriverState {
  constructor(drv: BlockDriver, flags: BdrvOpenFlags, readonly size: number, readonly readZeroes: boolean, readonly latencyNs: number) {
    super(drv, flags);
  }

  getLength(): number { return this.size; }
  private async latency(): Promise<void> {
    if (this.latencyNs > 0) await new Promise((r) => setTimeout(r, this.latencyNs / 1e6));
  }
  async preadv(_offset: number, buf: Uint8Array): Promise<void> {
    await this.latency();
    if (this.readZeroes) buf.fill(0);
  }
  async pwritev(): Promise<void> { await this.latency(); }
  override async pwriteZeroes(): Promise<void> { await this.latency(); }
  async flush(): Promise<void> { /* nothing stored */ }
  async close(): Promise<void> { /* nothing held */ }
  override async getAllocatedFileSize(): Promise<number> { return 0; }
  /** QEMU's null_co_block_status: the offset is valid; zeroes only with read-zeroes. */
  override async blockStatus(offset: number, bytes: number): Promise<BlockStatus> {
    if (!this.readZeroes) return { flags: 0, pnum: bytes };
    return { flags: BlockStatusFlags.OFFSET_VALID | BlockStatusFlags.ZERO | BlockStatusFlags.ALLOCATED, pnum: bytes, map: offset, file: this };
  }
  override async truncate(): Promise<void> {
    throw new QemuError(`Image format driver '${this.drv.formatName}' does not support resize`);
  }
}

function nullDriver(name: 'null-co' | 'null-aio'): BlockDriver {
  const drv: BlockDriver = {
    formatName: name,
    isProtocol: true,
    runtimeOptions: ['filename', 'size', 'read-zeroes', 'latency-ns'],
    async open(ctx: BdrvOpenContext): Promise<BlockDriverState> {
      const o = ctx.options;
      const fn = o.get('filename');
      if (fn !== undefined && fn !== `${name}://`) throw new QemuError(`The only allowed filename for this driver is '${name}://'`);
      const size = o.has('size') ? parseSize('size', o.get('size') as string) : 1 << 30;
      const zeroes = o.has('read-zeroes') ? parseBool('read-zeroes', o.get('read-zeroes') as string) : false;
      const latency = o.has('latency-ns') ? Number(o.get('latency-ns')) : 0;
      if (!Number.isInteger(latency) || latency < 0) throw new QemuError('latency-ns is invalid');
      const bs = new BDRVNullState(drv, ctx.flags, size, zeroes, latency);
      // null_refresh_filename: "null-co://" unless an option other than read-zeroes was given.
      const strong = [...o.keys()].filter((k) => ['size', 'latency-ns'].includes(k));
      if (!strong.length) bs.filename = `${name}://`;
      else {
        const j: [string, string][] = [['driver', name]];
        for (const k of ['size', 'read-zeroes', 'latency-ns']) if (o.has(k)) j.push([k, o.get(k) as string]);
        bs.filename = jsonFilename(new Map(j));
      }
      return bs;
    },
  };
  return drv;
}

export const bdrvNullCo = nullDriver('null-co');
export const bdrvNullAio = nullDriver('null-aio');
