// BlockBackend: what a device model (virtio-blk, eMMC) sees of a drive. The block layer
// (BlockDriverState graph: file protocol, raw/qcow2/luks formats) implements it; devices do
// not know which format or AIO engine lies beneath.

export interface BlockBackend {
  readonly id: string;
  readonly readOnly: boolean;
  /** Size in bytes of the guest-visible disk. */
  getLength(): number;
  /** Read buf.length bytes at offset into buf (buf may be a view of guest RAM). */
  pread(offset: number, buf: Uint8Array): Promise<void>;
  pwrite(offset: number, buf: Uint8Array): Promise<void>;
  /** A read the guest did not ask for (QEMU's blk_pread at realize, e.g. the geometry guess):
   * not counted in the drive's statistics. Without it a device skips such reads. */
  preadInternal?(offset: number, buf: Uint8Array): Promise<void>;
  flush(): Promise<void>;
  /** Discard (unmap) a range; may be a no-op with discard=ignore. */
  pdiscard(offset: number, bytes: number): Promise<void>;
  /** Make a range read as zeroes; `unmap` allows deallocating it. */
  pwriteZeroes(offset: number, bytes: number, unmap: boolean): Promise<void>;
  close(): Promise<void>;
  /** block_resize: grow or shrink the disk (formats that cannot say so). */
  truncate?(size: number): Promise<void>;
  /** The device's resize_cb (QEMU's BlockDevOps): called after the disk changed size. */
  setResizeCallback?(cb: () => void): void;
  /** The device's write-cache=on|off (QEMU's blk_set_enable_write_cache): off writes through. */
  setWriteCache?(enable: boolean): void;
  /** Whether writes are cached (query-block's cache.writeback, info block's cache mode). */
  writeCacheEnabled?(): boolean | undefined;
}

/** An I/O error from the host (errno name such as 'EIO', 'ENOSPC') to report to the guest. */
export class BlockIOError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
  }
}
