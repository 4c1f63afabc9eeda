// -chardev socket (QEMU's char-socket): a unix or TCP stream, as a listening server (one client
// at a time; the next one is accepted after the previous left) or as a client. The chardev
// only ever makes non-blocking calls, when the main loop's fd monitor says a descriptor is
// ready (qemu_set_fd_handler): readable listener -> accept, readable connection -> read,
// writable connection -> send what the guest wrote while the socket was full.
import { ChardevBase } from './char-base.js';
import { CharOutQueue } from './char-outq.js';
import type { FdMonitor } from '../main-loop/fd-handler.js';
import type { CharFrontend } from './char.js';

/** Non-blocking socket calls on host descriptors (src/host/node gives them). */
export interface HostSocketOps {
  /** A new connection's fd (non-blocking), or null when none is waiting. */
  accept(listenFd: number): number | null;
  /** Bytes read into buf; 0 at end of stream or on an error; null when nothing is there. */
  recv(fd: number, buf: Uint8Array): number | null;
  /** recv that also takes descriptors passed with SCM_RIGHTS (pushed onto `fds`). */
  recvFds?(fd: number, buf: Uint8Array, fds: number[]): number | null;
  /** Bytes sent; null when the socket is full; -1 on an error (the peer went away). */
  send(fd: number, data: Uint8Array): number | null;
  close(fd: number): void;
}

/** Reads per readiness callback before going back to the loop. */
const READS_PER_WAKEUP = 16;

export class SocketChardev extends ChardevBase {
  private fd = -1;
  private readonly out = new CharOutQueue();
  private readonly send = (d: Uint8Array): number | null => this.host.send(this.fd, d);
  private readPaused = false;
  /** Reads held by the frontend (holdReads): another process reads the connection meanwhile. */
  private readsHeld = false;
  private closed = false;
  private waiters: (() => void)[] = [];
  private readonly rbuf = new Uint8Array(4096);
  private readonly onReadable = (): void => this.readSome();
  private readonly onWritable = (): void => this.flushOut();
  private readonly onAcceptable = (): void => this.acceptOne();
  /** Descriptors the client passed (SCM_RIGHTS) that nobody took yet (QEMU's read_msgfds). */
  private msgFds: number[] = [];
  /** Connections accepted or made, for tests and -d. */
  connections = 0;
  /** Host cleanup after close() (a unix server's socket file). */
  onClosed: () => void = () => {};

  /**
   * A server passes its listening fd; a client its connected fd. `describe` is QEMU's
   * "disconnected:unix:/path,server=on" text.
   */
  constructor(id: string, private readonly host: HostSocketOps, private readonly mon: FdMonitor,
    private readonly listenFd: number, connectedFd: number, readonly describe: string) {
    super(id);
    this.alwaysOpen = false;
    this.onThrottle = (paused) => {
      if (paused === this.readPaused) return;
      this.readPaused = paused;
      this.updateHandlers();
    };
    if (connectedFd >= 0) this.connected(connectedFd);
    else if (listenFd >= 0) this.listen();
  }

  /** A frontend attached after the client connected still hears 'opened' (as qemu_chr_fe_set_handlers). */
  override attach(fe: CharFrontend): void {
    super.attach(fe);
    if (this.fd >= 0) fe.event?.('opened');
  }

  get isConnected(): boolean {
    return this.fd >= 0;
  }

  /** The connection's host fd (-1: none): tsqemu-riscv64 -g hands it to a forked child. */
  get connectedFd(): number {
    return this.fd;
  }

  /** Stop (or go on) reading the connection: a forked child shares it and reads it meanwhile
   * (QEMU's user-mode gdbstub after a fork, tsqemu-riscv64 -g). */
  holdReads(on: boolean): void {
    this.readsHeld = on;
    this.updateHandlers();
  }

  /** wait=on: resolves once a client is connected. */
  waitConnected(): Promise<void> {
    if (this.fd >= 0) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  write(data: Uint8Array): void {
    if (this.fd < 0 || data.length === 0) return; // nobody connected: dropped, as QEMU
    const r = this.out.write(data, this.send);
    if (r === 'hangup') this.disconnect();
    else if (r === 'queued') this.updateHandlers();
  }


  private listen(): void {
    if (!this.closed) this.mon.setFdHandler(this.listenFd, this.onAcceptable, null);
  }

  private acceptOne(): void {
    if (this.fd >= 0) return;
    const fd = this.host.accept(this.listenFd);
    if (fd === null) return;
    // One client at a time: stop listening until it leaves (QEMU drops the listener's watch).
    this.mon.setFdHandler(this.listenFd, null, null);
    this.connected(fd);
  }

  private connected(fd: number): void {
    this.fd = fd;
    this.connections++;
    this.updateHandlers();
    this.fe?.event?.('opened');
    for (const w of this.waiters.splice(0)) w();
  }

  private updateHandlers(): void {
    if (this.fd < 0) return;
    this.mon.setFdHandler(this.fd, this.readPaused || this.readsHeld ? null : this.onReadable, this.out.pending ? this.onWritable : null);
  }

  private readSome(): void {
    for (let i = 0; i < READS_PER_WAKEUP && this.fd >= 0 && !this.readPaused && !this.readsHeld; i++) {
      const fds: number[] = [];
      const n = this.host.recvFds ? this.host.recvFds(this.fd, this.rbuf, fds) : this.host.recv(this.fd, this.rbuf);
      // New descriptors replace unclaimed older ones (as tcp_chr_recv); they come with their bytes.
      if (fds.length > 0) { this.dropMsgFds(); this.msgFds = fds; }
      if (n === null) return;
      if (n <= 0) { this.disconnect(); return; }
      this.deliver(this.rbuf.slice(0, n));
    }
  }

  private flushOut(): void {
    if (this.fd < 0) return;
    const r = this.out.flush(this.send);
    if (r === 'hangup') this.disconnect();
    else if (r === 'done') this.updateHandlers();
  }

  getMsgFd(): number {
    return this.msgFds.pop() ?? -1;
  }

  private dropMsgFds(): void {
    for (const f of this.msgFds.splice(0)) this.host.close(f);
  }

  /** The client left (or a send failed): forget it and, as a server, accept the next one. */
  private disconnect(): void {
    if (this.fd < 0) return;
    this.dropMsgFds();
    this.mon.setFdHandler(this.fd, null, null);
    this.host.close(this.fd);
    this.fd = -1;
    this.out.clear();
    this.fe?.event?.('closed');
    if (this.listenFd >= 0) this.listen();
  }

  override close(): void {
    if (this.closed) return;
    this.closed = true;
    this.disconnect();
    if (this.listenFd >= 0) {
      this.mon.setFdHandler(this.listenFd, null, null);
      this.host.close(this.listenFd);
    }
    this.onClosed();
  }
}
