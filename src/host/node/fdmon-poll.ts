// The portable fd monitor (QEMU's fdmon-poll role): libuv's own poll watcher (uv_poll_t on the
// JS thread's loop, through the tsqemu_sys addon), used where io_uring is missing or
// TSQEMU_AIO=threads / TSQEMU_FDMON=poll asks for it.
import type { FdMonitor, IOHandler } from '../../main-loop/fd-handler.js';

const UV_READABLE = 1, UV_WRITABLE = 2;

/** The tsqemu_sys functions this monitor uses. */
export interface FdWatchSys {
  fdWatch(fd: number, events: number, cb: (status: number, revents: number) => void): object | number;
  fdWatchSet(handle: object, events: number): number;
  fdWatchClose(handle: object): number;
}

interface Watch { handle: object; read: IOHandler | null; write: IOHandler | null }

export class FdMonPoll implements FdMonitor {
  readonly name = 'poll';
  private readonly fds = new Map<number, Watch>();

  constructor(private readonly sys: FdWatchSys) {}

  setFdHandler(fd: number, ioRead: IOHandler | null, ioWrite: IOHandler | null): void {
    const events = (ioRead ? UV_READABLE : 0) | (ioWrite ? UV_WRITABLE : 0);
    let w = this.fds.get(fd);
    if (events === 0) {
      if (w) { this.sys.fdWatchClose(w.handle); this.fds.delete(fd); }
      return;
    }
    if (!w) {
      const entry: Watch = { handle: {}, read: ioRead, write: ioWrite };
      const h = this.sys.fdWatch(fd, events, (status, revents) => this.ready(fd, entry, status, revents));
      if (typeof h === 'number') throw new Error(`uv_poll_init(${fd}) failed: ${h}`);
      entry.handle = h;
      this.fds.set(fd, entry);
      return;
    }
    w.read = ioRead;
    w.write = ioWrite;
    this.sys.fdWatchSet(w.handle, events);
  }

  private ready(fd: number, w: Watch, status: number, revents: number): void {
    // libuv reports errors and hangups as readable/writable; a failed poll wakes the reader too.
    if (status < 0) revents = UV_READABLE | UV_WRITABLE;
    if (revents & UV_READABLE && this.fds.get(fd) === w) w.read?.();
    if (revents & UV_WRITABLE && this.fds.get(fd) === w) w.write?.();
  }
}
