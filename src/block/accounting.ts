// Block I/O accounting (QEMU's block/accounting.c): bytes, operations, failures and time per
// drive, counted around the BlockBackend a device uses, for query-blockstats and info blockstats.
import type { BlockBackend } from './block-backend.js';
/** QEMU's BlockAcctStats subset we count (block/accounting.c). */
export interface BlockAcctStats {
  rdBytes: number; wrBytes: number; unmapBytes: number;
  rdOps: number; wrOps: number; flushOps: number; unmapOps: number;
  failedRdOps: number; failedWrOps: number; failedFlushOps: number; failedUnmapOps: number;
  rdTimeNs: number; wrTimeNs: number; flushTimeNs: number; unmapTimeNs: number;
  wrHighestOffset: number;
  /** Host ns of the last completed request (idle_time_ns is measured from it), -1 none. */
  lastAccessNs: number;
}

export class AccountedBlockBackend implements BlockBackend {
  readonly stats: BlockAcctStats = {
    rdBytes: 0, wrBytes: 0, unmapBytes: 0, rdOps: 0, wrOps: 0, flushOps: 0, unmapOps: 0,
    failedRdOps: 0, failedWrOps: 0, failedFlushOps: 0, failedUnmapOps: 0,
    rdTimeNs: 0, wrTimeNs: 0, flushTimeNs: 0, unmapTimeNs: 0, wrHighestOffset: 0, lastAccessNs: -1,
  };

  /** A failed request (the drive's BLOCK_IO_ERROR reporting). */
  onError: (kind: 'rd' | 'wr' | 'flush' | 'unmap', e: unknown) => void = () => {};
  private resizeCb: () => void = () => {};

  /** `now` in host ns (injected: the core has no clock of its own). */
  constructor(readonly inner: BlockBackend, private readonly now: () => number) {}

  setResizeCallback(cb: () => void): void { this.resizeCb = cb; }
  setWriteCache(enable: boolean): void { this.inner.setWriteCache?.(enable); }
  writeCacheEnabled(): boolean | undefined { return this.inner.writeCacheEnabled?.(); }

  async truncate(size: number): Promise<void> {
    if (!this.inner.truncate) throw new Error('this drive cannot be resized');
    await this.inner.truncate(size);
    this.resizeCb();
  }

  get id(): string { return this.inner.id; }
  get readOnly(): boolean { return this.inner.readOnly; }
  getLength(): number { return this.inner.getLength(); }
  close(): Promise<void> { return this.inner.close(); }

  private async acct(kind: 'rd' | 'wr' | 'flush' | 'unmap', bytes: number, op: () => Promise<void>): Promise<void> {
    const t0 = this.now();
    const s = this.stats;
    try {
      await op();
    } catch (e) {
      if (kind === 'rd') s.failedRdOps++; else if (kind === 'wr') s.failedWrOps++; else if (kind === 'flush') s.failedFlushOps++; else s.failedUnmapOps++;
      this.onError(kind, e);
      throw e;
    }
    const t = this.now();
    const dt = t - t0;
    s.lastAccessNs = t;
    switch (kind) {
      case 'rd': s.rdOps++; s.rdBytes += bytes; s.rdTimeNs += dt; break;
      case 'wr': s.wrOps++; s.wrBytes += bytes; s.wrTimeNs += dt; break;
      case 'flush': s.flushOps++; s.flushTimeNs += dt; break;
      case 'unmap': s.unmapOps++; s.unmapBytes += bytes; s.unmapTimeNs += dt; break;
    }
  }

  pread(offset: number, buf: Uint8Array): Promise<void> {
    return this.acct('rd', buf.length, () => this.inner.pread(offset, buf));
  }

  preadInternal(offset: number, buf: Uint8Array): Promise<void> {
    return this.inner.preadInternal ? this.inner.preadInternal(offset, buf) : this.inner.pread(offset, buf);
  }

  pwrite(offset: number, buf: Uint8Array): Promise<void> {
    return this.acct('wr', buf.length, async () => {
      await this.inner.pwrite(offset, buf);
      this.stats.wrHighestOffset = Math.max(this.stats.wrHighestOffset, offset + buf.length);
    });
  }

  flush(): Promise<void> {
    return this.acct('flush', 0, () => this.inner.flush());
  }

  pdiscard(offset: number, bytes: number): Promise<void> {
    return this.acct('unmap', bytes, () => this.inner.pdiscard(offset, bytes));
  }

  pwriteZeroes(offset: number, bytes: number, unmap: boolean): Promise<void> {
    return this.acct('wr', bytes, () => this.inner.pwriteZeroes(offset, bytes, unmap));
  }
}
