// -chardev ringbuf,id=ID[,size=N] (QEMU's char-ringbuf): the last N bytes of output kept in
// memory; the ringbuf-read QMP command consumes them, ringbuf-write adds to them. No input.
import { ChardevBase } from './char-base.js';

export class RingbufChardev extends ChardevBase {
  readonly filename = 'ringbuf';
  private readonly buf: Uint8Array;
  /** Free-running producer and consumer counters, as QEMU's RingBufChardev (size is a power of two). */
  private prod = 0;
  private cons = 0;

  constructor(id: string, readonly size: number) {
    super(id);
    this.buf = new Uint8Array(size);
  }
  /** Guest output (and ringbuf-write): the oldest bytes are overwritten once full. */
  write(data: Uint8Array): void {
    for (const b of data) {
      this.buf[this.prod++ % this.buf.length] = b;
      if (this.prod - this.cons > this.buf.length) this.cons = this.prod - this.buf.length;
    }
  }
  /** Bytes held, not consumed. */
  get count(): number {
    return this.prod - this.cons;
  }
  /** Up to `max` bytes, oldest first, consumed (ringbuf-read). */
  read(max: number): Uint8Array {
    const n = Math.min(max, this.prod - this.cons);
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = this.buf[this.cons++ % this.buf.length];
    return out;
  }
  /** The bytes held, oldest first, left in place. */
  contents(): Uint8Array {
    const n = this.prod - this.cons;
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = this.buf[(this.cons + i) % this.buf.length];
    return out;
  }
}
