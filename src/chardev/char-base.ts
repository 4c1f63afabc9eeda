// Common part of our Chardev backends: one frontend, host input held back while the
// frontend cannot take it (qemu_chr_be_can_write / qemu_chr_fe_accept_input).
import type { CharFrontend, Chardev } from './char.js';

/** Input bytes held for a slow frontend before the host source is paused. */
const HOLD_LIMIT = 4096;

export abstract class ChardevBase implements Chardev {
  protected fe: CharFrontend | undefined;
  private held: Uint8Array[] = [];
  private heldBytes = 0;
  /** Host-side flow control hooks (stdin pause/resume). */
  protected onThrottle: (paused: boolean) => void = () => {};
  /**
   * Open from the start (QEMU's be_opened: stdio, file, null, ringbuf, pipe): a frontend hears
   * 'opened' when it attaches (a monitor prints its banner). Sockets and ptys open on a peer.
   */
  protected alwaysOpen = true;

  constructor(readonly id: string) {}

  abstract write(data: Uint8Array): void;

  attach(fe: CharFrontend): void {
    this.fe = fe;
    if (this.alwaysOpen) fe.event?.('opened');
    this.acceptInput();
  }

  /** Bytes from the host for the frontend (qemu_chr_be_write). */
  protected deliver(data: Uint8Array): void {
    if (data.length === 0) return;
    this.held.push(data);
    this.heldBytes += data.length;
    this.acceptInput();
    if (this.heldBytes > HOLD_LIMIT) this.onThrottle(true);
  }

  acceptInput(): void {
    const fe = this.fe;
    if (!fe) return;
    while (this.held.length > 0) {
      const room = fe.canReceive();
      if (room <= 0) return;
      const head = this.held[0];
      const n = Math.min(room, head.length);
      if (n === head.length) this.held.shift();
      else this.held[0] = head.subarray(n);
      this.heldBytes -= n;
      fe.receive(head.subarray(0, n));
    }
    this.onThrottle(false);
  }

  close(): void {}
}
