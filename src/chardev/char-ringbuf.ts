// -chardev ringbuf,id=ID[,size=N] (QEMU's char-ringbuf): the last N bytes of output kept in
// memory (QEMU reads them with the ringbuf-read QMP command); no input.
import { ChardevBase } from './char-base.js';

export class RingbufChardev extends ChardevBase {
  private readonly buf: Uint8Array;
  private prod = 0;

  constructor(id: string, size: number) {
    super(id);
    this.buf = new Uint8Array(size);
  }
  write(data: Uint8Array): void {
    for (const b of data) this.buf[this.prod++ % this.buf.length] = b;
  }
  /** The bytes held, oldest first (ringbuf-read). */
  contents(): Uint8Array {
    const n = Math.min(this.prod, this.buf.length);
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = this.buf[(this.prod - n + i) % this.buf.length];
    return out;
  }
}
