// The main loop's fd monitor on io_uring (QEMU's util/fdmon-io_uring.c): each watched fd has one
// POLL_ADD on the AioContext's ring (the main ring, shared with the block layer's requests, so
// polls and disk I/O enter the kernel in the same io_uring_enter); a completion runs the
// handlers and re-arms the poll (one-shot polls are level-triggered by re-arming); changing or
// dropping the handlers cancels the pending poll with POLL_REMOVE.
import type { FdMonitor, IOHandler } from '../../main-loop/fd-handler.js';
import type { IoUringContext } from './io_uring.js';

const POLLIN = 0x1, POLLOUT = 0x4, POLLERR = 0x8, POLLHUP = 0x10;
const ECANCELED = 125;

/** One POLL_ADD in flight; `live` goes false when it was cancelled (its completion is ignored). */
interface Armed { id: number; mask: number; live: boolean }

interface Watch { read: IOHandler | null; write: IOHandler | null; armed: Armed | null }

export class FdMonIoUring implements FdMonitor {
  readonly name = 'io_uring';
  private readonly fds = new Map<number, Watch>();
  /** POLL_REMOVEs submitted, for the statistics. */
  pollRemoves = 0;

  constructor(readonly ring: IoUringContext) {}

  get pollAdds(): number {
    return this.ring.pollAdds;
  }

  setFdHandler(fd: number, ioRead: IOHandler | null, ioWrite: IOHandler | null): void {
    let w = this.fds.get(fd);
    if (!w) {
      if (!ioRead && !ioWrite) return;
      w = { read: null, write: null, armed: null };
      this.fds.set(fd, w);
    }
    w.read = ioRead;
    w.write = ioWrite;
    this.update(fd, w);
    if (!ioRead && !ioWrite) this.fds.delete(fd);
  }

  /** Make the pending poll match the handlers: keep it, cancel it, or arm a new one. */
  private update(fd: number, w: Watch): void {
    const mask = (w.read ? POLLIN : 0) | (w.write ? POLLOUT : 0);
    if (w.armed && w.armed.mask === mask) return;
    if (w.armed) {
      w.armed.live = false;
      this.ring.pollRemove(w.armed.id);
      this.pollRemoves++;
      w.armed = null;
    }
    if (mask === 0) return;
    const a: Armed = { id: 0, mask, live: true };
    a.id = this.ring.pollAdd(fd, mask, (res) => this.completed(fd, w, a, res));
    w.armed = a;
  }

  private completed(fd: number, w: Watch, a: Armed, res: number): void {
    if (w.armed === a) w.armed = null;
    if (!a.live || this.fds.get(fd) !== w) return;
    if (res === -ECANCELED) return; // the ring is closing
    // An error completion (-errno) wakes the reader, whose read then sees the error.
    const revents = res < 0 ? POLLERR : res;
    if (revents & (POLLIN | POLLERR | POLLHUP)) w.read?.();
    if (revents & (POLLOUT | POLLERR | POLLHUP) && this.fds.get(fd) === w) w.write?.();
    if (this.fds.get(fd) === w) this.update(fd, w);
  }
}
