// The BlockBackend a device sees, attached to the root node of a block graph (QEMU's
// block-backend.c): guest request bounds, write-through, discard=ignore|unmap and
// detect-zeroes=off|on|unmap live here, above any format.
import { QemuError } from '../qemu/error.js';
import { BlockBackend, BlockIOError } from './block-backend.js';
import { BdrvRequestFlags, BlockDriverState } from './block_int.js';
import { bdrvClose } from './block.js';
import { bdrvPread, bdrvPwrite, bufferIsZero } from './io.js';

export type DetectZeroes = 'off' | 'on' | 'unmap';

export interface BlockBackendOptions {
  id: string;
  discard: 'ignore' | 'unmap';
  detectZeroes: DetectZeroes;
  writeThrough: boolean;
  /** Extra cleanup after the graph is closed (snapshot=on deletes its overlay). */
  onClose?: () => Promise<void>;
}

function toIOError(e: unknown): never {
  if (e instanceof BlockIOError) throw e;
  if (e instanceof QemuError) throw new BlockIOError('EIO', e.message);
  const code = (e as { code?: unknown }).code;
  if (typeof code === 'string') throw new BlockIOError(code, String((e as Error).message));
  throw e;
}

export class BlockBackendNode implements BlockBackend {
  readonly id: string;
  constructor(readonly root: BlockDriverState, readonly opts: BlockBackendOptions) {
    this.id = opts.id;
  }

  get readOnly(): boolean { return this.root.readOnly; }

  setWriteCache(enable: boolean): void { this.opts.writeThrough = !enable; }
  writeCacheEnabled(): boolean { return !this.opts.writeThrough; }

  async truncate(size: number): Promise<void> {
    if (this.readOnly) throw new QemuError('Image is read-only');
    await this.root.truncate(size, false, 'off', true);
  }
  getLength(): number { return this.root.getLength(); }

  private check(offset: number, bytes: number, write: boolean): void {
    if (!Number.isSafeInteger(offset) || offset < 0 || bytes < 0 || offset + bytes > this.getLength()) {
      throw new BlockIOError('EIO', `Request out of range: offset ${offset} bytes ${bytes}`);
    }
    if (write && this.readOnly) throw new BlockIOError('EACCES', 'Block device is read-only');
  }

  async pread(offset: number, buf: Uint8Array): Promise<void> {
    this.check(offset, buf.length, false);
    try { await bdrvPread(this.root, offset, buf); } catch (e) { toIOError(e); }
  }

  preadInternal(offset: number, buf: Uint8Array): Promise<void> { return this.pread(offset, buf); }

  async pwrite(offset: number, buf: Uint8Array): Promise<void> {
    this.check(offset, buf.length, true);
    try {
      if (this.opts.detectZeroes !== 'off' && bufferIsZero(buf)) {
        const unmap = this.opts.detectZeroes === 'unmap' && this.opts.discard === 'unmap';
        await this.root.pwriteZeroes(offset, buf.length, unmap ? BdrvRequestFlags.MAY_UNMAP : 0);
      } else {
        await bdrvPwrite(this.root, offset, buf);
      }
      if (this.opts.writeThrough) await this.root.flush();
    } catch (e) { toIOError(e); }
  }

  async flush(): Promise<void> {
    try { await this.root.flush(); } catch (e) { toIOError(e); }
  }

  async pdiscard(offset: number, bytes: number): Promise<void> {
    this.check(offset, bytes, true);
    if (this.opts.discard === 'ignore') return;
    try { await this.root.pdiscard(offset, bytes); } catch (e) { toIOError(e); }
  }

  async pwriteZeroes(offset: number, bytes: number, unmap: boolean): Promise<void> {
    this.check(offset, bytes, true);
    const flags = unmap && this.opts.discard === 'unmap' ? BdrvRequestFlags.MAY_UNMAP : 0;
    try {
      await this.root.pwriteZeroes(offset, bytes, flags);
      if (this.opts.writeThrough) await this.root.flush();
    } catch (e) { toIOError(e); }
  }

  async close(): Promise<void> {
    await this.root.flush().catch(() => undefined);
    await bdrvClose(this.root);
    if (this.opts.onClose) await this.opts.onClose();
  }
}
