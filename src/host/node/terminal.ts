// The host terminal for -serial stdio / mon:stdio, and files for -serial file: and -D.
import * as fs from 'node:fs';
import type { HostTerminal } from '../../chardev/char-stdio.js';
import type { HostOutputFile } from '../../chardev/char-file.js';

export class NodeTerminal implements HostTerminal {
  readonly isTTY: boolean;
  private raw = false;
  private closed = false;

  constructor(private readonly stdin: NodeJS.ReadStream = process.stdin, private readonly outFd = 1) {
    this.isTTY = Boolean(stdin.isTTY);
  }

  write(data: Uint8Array): void {
    if (this.closed) return;
    // Synchronous, so output order matches the guest's and nothing is lost at exit.
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
