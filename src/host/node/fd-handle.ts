// A file descriptor with the few promise methods the file protocol uses (file-posix.ts), on
// node:fs's callback API. Why not fs.promises' FileHandle: loading node:fs's promises builds
// Node's internal fs/promises, readline and watcher modules, ~10 ms of CPU at every tsqemu-img
// (and emulator) start-up for a handful of calls; the callback API runs the same system calls on
// the same libuv thread pool.
// As FileHandle.close(), close() waits for the requests in flight: the descriptor is never
// closed (and its number reused) under a read or write still queued on the thread pool.
import * as fs from 'node:fs';

export class FdHandle {
  private inFlight = 0;
  private closing: Promise<void> | null = null;
  private drained: (() => void) | null = null;

  private constructor(readonly fd: number) {}

  static open(path: string, flags: number, mode: number): Promise<FdHandle> {
    return new Promise((resolve, reject) => {
      fs.open(path, flags, mode, (err, fd) => { if (err) reject(err); else resolve(new FdHandle(fd)); });
    });
  }

  /** Run one request on the descriptor, counted while in flight. */
  private op<T>(start: (done: (err: NodeJS.ErrnoException | null, v: T) => void) => void): Promise<T> {
    if (this.closing) return Promise.reject(Object.assign(new Error('file closed'), { code: 'EBADF' }));
    this.inFlight++;
    return new Promise<T>((resolve, reject) => {
      start((err, v) => {
        if (--this.inFlight === 0 && this.drained) this.drained();
        if (err) reject(err); else resolve(v);
      });
    });
  }

  read(buf: Uint8Array, off: number, len: number, pos: number): Promise<{ bytesRead: number }> {
    return this.op((done) => fs.read(this.fd, buf, off, len, pos, (err, bytesRead) => done(err, { bytesRead })));
  }

  write(buf: Uint8Array, off: number, len: number, pos: number): Promise<{ bytesWritten: number }> {
    return this.op((done) => fs.write(this.fd, buf, off, len, pos, (err, bytesWritten) => done(err, { bytesWritten })));
  }

  stat(): Promise<fs.Stats> {
    return this.op((done) => fs.fstat(this.fd, done));
  }

  truncate(len: number): Promise<void> {
    return this.op((done) => fs.ftruncate(this.fd, len, (err) => done(err, undefined)));
  }

  datasync(): Promise<void> {
    return this.op((done) => fs.fdatasync(this.fd, (err) => done(err, undefined)));
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      if (this.inFlight > 0) await new Promise<void>((r) => { this.drained = r; });
      await new Promise<void>((resolve, reject) => fs.close(this.fd, (err) => (err ? reject(err) : resolve())));
    })();
    return this.closing;
  }
}
