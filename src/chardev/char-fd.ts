// Chardevs on plain host descriptors (QEMU's char-fd, char-pipe and char-pty): input read from
// one fd, output written to another (the same one for a pty or a single FIFO), both
// non-blocking and driven by the main loop's fd monitor. A pty has a connection state: while no
// process holds its slave open, the master hangs up; QEMU then drops the guest's output and
// looks again every second (pty_chr_state / pty_chr_timer), and so do we.
import { ChardevBase } from './char-base.js';
import { CharOutQueue } from './char-outq.js';
import type { FdMonitor } from '../main-loop/fd-handler.js';
import type { CharFrontend } from './char.js';

/** Non-blocking calls on host descriptors (src/host/node gives them). */
export interface HostFdOps {
  /** Bytes read; 0 at end of file or hang-up (EIO on a pty master); null when nothing is there. */
  read(fd: number, buf: Uint8Array): number | null;
  /** Bytes written; null when the fd is full; -1 on an error. */
  write(fd: number, data: Uint8Array): number | null;
  /** A pty master whose slave nobody holds open (poll says POLLHUP). */
  hungUp(fd: number): boolean;
  close(fd: number): void;
}

const READS_PER_WAKEUP = 16;

export class FdChardev extends ChardevBase {
  private readonly out = new CharOutQueue();
  private readonly send = (d: Uint8Array): number | null => this.ops.write(this.fdOut, d);
  private readPaused = false;
  private eof = false;
  protected closed = false;
  private readonly rbuf = new Uint8Array(4096);
  private readonly onReadable = (): void => this.readSome();
  private readonly onWritable = (): void => this.flushOut();

  /** `filename` is what query-chardev shows ("pipe", "pty:/dev/pts/3"). */
  constructor(id: string, protected readonly ops: HostFdOps, protected readonly mon: FdMonitor,
    protected readonly fdIn: number, protected readonly fdOut: number, readonly filename: string) {
    super(id);
    this.onThrottle = (paused) => {
      if (paused === this.readPaused) return;
      this.readPaused = paused;
      this.updateHandlers();
    };
  }

  /** Start watching the descriptors (after a subclass set its state). */
  start(): void {
    this.updateHandlers();
  }

  /** Whether bytes can flow now (a pty: a slave is open). */
  protected get active(): boolean {
    return !this.closed;
  }

  write(data: Uint8Array): void {
    if (!this.active || data.length === 0) return; // nobody there: dropped, as QEMU
    const r = this.out.write(data, this.send);
    if (r === 'hangup') this.hangUp();
    else if (r === 'queued') this.updateHandlers();
  }


  protected updateHandlers(): void {
    if (this.closed) return;
    const on = this.active;
    const rd = on && !this.readPaused && !this.eof ? this.onReadable : null;
    const wr = on && this.out.pending ? this.onWritable : null;
    if (this.fdIn === this.fdOut) this.mon.setFdHandler(this.fdIn, rd, wr);
    else {
      this.mon.setFdHandler(this.fdIn, rd, null);
      this.mon.setFdHandler(this.fdOut, null, wr);
    }
  }

  private readSome(): void {
    for (let i = 0; i < READS_PER_WAKEUP && this.active && !this.readPaused; i++) {
      const n = this.ops.read(this.fdIn, this.rbuf);
      if (n === null) return;
      if (n <= 0) { this.hangUp(); return; }
      this.deliver(this.rbuf.slice(0, n));
    }
  }

  private flushOut(): void {
    if (!this.active) return;
    const r = this.out.flush(this.send);
    if (r === 'hangup') this.hangUp();
    else if (r === 'done') this.updateHandlers();
  }


  /** End of input (a pipe's writer is gone for good): stop reading; output still goes out. */
  protected hangUp(): void {
    this.eof = true;
    this.updateHandlers();
  }

  /** Output not yet written goes away (a pty's reader left). */
  protected dropOutput(): void {
    this.out.clear();
  }

  protected set inputEnded(v: boolean) {
    this.eof = v;
  }

  override close(): void {
    if (this.closed) return;
    this.mon.setFdHandler(this.fdIn, null, null);
    if (this.fdOut !== this.fdIn) this.mon.setFdHandler(this.fdOut, null, null);
    this.closed = true;
    this.ops.close(this.fdIn);
    if (this.fdOut !== this.fdIn) this.ops.close(this.fdOut);
  }
}

/** How often a pty without a reader is looked at again (QEMU's pty_chr_rearm_timer: 1000 ms). */
export const PTY_POLL_MS = 1000;

export class PtyChardev extends FdChardev {
  private connected = false;
  private timer: ReturnType<typeof setTimeout> | undefined;

  /** `path` is the slave's (/dev/pts/N). */
  constructor(id: string, ops: HostFdOps, mon: FdMonitor, fd: number, readonly path: string) {
    super(id, ops, mon, fd, fd, `pty:${path}`);
    this.alwaysOpen = false;
    this.checkState();
  }

  get isConnected(): boolean {
    return this.connected;
  }

  protected override get active(): boolean {
    return !this.closed && this.connected;
  }

  override attach(fe: CharFrontend): void {
    super.attach(fe);
    if (this.connected) fe.event?.('opened');
  }

  /** Poll the master: a slave opened -> connected (CHR_EVENT_OPENED); else look again later. */
  private checkState(): void {
    this.timer = undefined;
    if (this.closed) return;
    if (this.ops.hungUp(this.fdIn)) {
      this.timer = setTimeout(() => this.checkState(), PTY_POLL_MS);
      (this.timer as { unref?: () => void }).unref?.();
      return;
    }
    this.connected = true;
    this.inputEnded = false;
    this.start();
    this.fe?.event?.('opened');
  }

  protected override hangUp(): void {
    if (!this.connected) return;
    this.connected = false;
    this.dropOutput();
    this.updateHandlers();
    this.fe?.event?.('closed');
    if (!this.timer) this.checkState();
  }

  override close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    super.close();
  }
}
