// The console of a machine in a Web Worker: the page's terminal (xterm.js) behind postMessage.
// Output is batched per task (one message for a burst of UART bytes, not one per byte).
import type { HostTerminal } from '../../chardev/char-stdio.js';

export class WorkerTerminal implements HostTerminal {
  readonly isTTY = true;
  private onData: ((data: Uint8Array) => void) | undefined;
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  private scheduled = false;
  private closed = false;

  constructor(private readonly post: (data: Uint8Array) => void) {}

  write(data: Uint8Array): void {
    if (this.closed) return;
    this.pending.push(data.slice());
    this.pendingBytes += data.length;
    if (this.pendingBytes >= 64 * 1024) { this.flush(); return; }
    if (!this.scheduled) {
      this.scheduled = true;
      setTimeout(() => this.flush(), 0);
    }
  }

  flush(): void {
    this.scheduled = false;
    if (this.pending.length === 0) return;
    const out = new Uint8Array(this.pendingBytes);
    let o = 0;
    for (const c of this.pending) { out.set(c, o); o += c.length; }
    this.pending = [];
    this.pendingBytes = 0;
    this.post(out);
  }

  /** Keys the page sent. */
  input(data: Uint8Array): void {
    this.onData?.(data);
  }

  start(onData: (data: Uint8Array) => void): void {
    this.onData = onData;
  }

  /** The page cannot be told to stop typing; the UART's FIFO drops what overflows, as a real one. */
  pause(): void { /* nothing to throttle */ }

  close(): void {
    this.flush();
    this.closed = true;
  }
}
