// The host terminal for -serial stdio / mon:stdio, and files for -serial file: and -D.
import * as fs from 'node:fs';
import type { HostTerminal } from '../../chardev/char-stdio.js';
import type { HostOutputFile } from '../../chardev/char-file.js';

/** Bytes of console output held at most before a write(2). */
const OUT_BATCH = 4096;

export class NodeTerminal implements HostTerminal {
  readonly isTTY: boolean;
  private raw = false;
  private closed = false;

  constructor(private readonly stdin: NodeJS.ReadStream = process.stdin, private readonly outFd = 1) {
    this.isTTY = Boolean(stdin.isTTY);
  }

  /** Output held until the CPU loop yields to the event loop (or OUT_BATCH bytes): a UART
   * writes a byte at a time, and a write(2) per byte cost ~0.5 s of a 1.2 s boot. */
  private out = new Uint8Array(OUT_BATCH);
  private outLen = 0;
  private flushQueued = false;
  private readonly flushSoon = (): void => { this.flushQueued = false; this.flush(); };
  private exitHook = false;

  write(data: Uint8Array): void {
    if (this.closed) return;
    if (this.outLen + data.length > OUT_BATCH) this.flush();
    if (data.length >= OUT_BATCH) { this.writeOut(data); return; }
    this.out.set(data, this.outLen);
    this.outLen += data.length;
    if (!this.flushQueued) {
      this.flushQueued = true;
      setImmediate(this.flushSoon);
      // Nothing is lost at exit (process.exit from a power-off, a signal, the monitor's quit).
      if (!this.exitHook) { this.exitHook = true; process.on('exit', () => this.flush()); }
    }
  }

  /** Write what is held now (synchronously, so the order is the guest's). */
  flush(): void {
    if (this.outLen === 0) return;
    const n = this.outLen;
    this.outLen = 0;
    this.writeOut(this.out.subarray(0, n));
  }

  private writeOut(data: Uint8Array): void {
    let done = 0;
    while (done < data.length) {
      try {
        done += fs.writeSync(this.outFd, data, done);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') return; // EPIPE: the reader went away
      }
    }
  }

  start(onData: (data: Uint8Array) => void, onEnd: () => void): void {
    if (this.isTTY) {
      this.stdin.setRawMode(true);
      this.raw = true;
    }
    this.stdin.on('data', (d: Buffer) => onData(new Uint8Array(d.buffer, d.byteOffset, d.byteLength)));
    this.stdin.on('end', onEnd);
    this.stdin.resume();
  }

  pause(paused: boolean): void {
    if (paused) this.stdin.pause();
    else if (!this.closed) this.stdin.resume();
  }

  close(): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    if (this.raw) this.stdin.setRawMode(false);
    this.stdin.pause();
    this.stdin.unref?.();
  }
}

export class NodeOutputFile implements HostOutputFile {
  private readonly fd: number;
  constructor(path: string, append = false) {
    this.fd = fs.openSync(path, append ? 'a' : 'w');
  }
  write(data: Uint8Array): void {
    fs.writeSync(this.fd, data);
  }
  close(): void {
    fs.closeSync(this.fd);
  }
}
