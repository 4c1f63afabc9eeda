// QEMU's char-mux: several frontends (the UART, the monitor) share one backend (stdio).
// Host input goes to the focused frontend; Ctrl-A is the escape: C-a x quits, C-a h helps,
// C-a c switches focus, C-a C-a (or C-a a) sends a literal C-a. Output of every frontend goes
// to the backend whatever the focus.
import type { CharFrontend, Chardev } from './char.js';

export const MUX_ESCAPE = 0x01; // Ctrl-A
/** Input held per frontend while it cannot take it (bounded: extra bytes are dropped). */
const MUX_BUFFER_LIMIT = 64 * 1024;

export interface MuxFrontend extends CharFrontend {
  /** Focus moved to (true) or away from (false) this frontend. */
  focusChanged?(focused: boolean): void;
}

export interface MuxHooks {
  /** C-a x. */
  quit(): void;
}

const HELP = [
  'C-a h    print this help',
  'C-a x    exit emulator',
  'C-a s    save disk data back to file (if -snapshot)',
  'C-a t    toggle console timestamps',
  'C-a b    send break (magic sysrq)',
  'C-a c    switch between console and monitor',
  'C-a C-a  sends C-a',
];

export class MuxChardev implements Chardev, CharFrontend {
  private readonly fes: MuxFrontend[] = [];
  private readonly buffers: number[][] = [];
  private focus = 0;
  private escPending = false;

  constructor(readonly id: string, private readonly be: Chardev, private readonly hooks: MuxHooks) {
    be.attach(this);
  }

  get filename(): string | undefined {
    return this.be.filename;
  }

  attach(fe: MuxFrontend): void {
    this.fes.push(fe);
    this.buffers.push([]);
    // The first frontend has the focus from the start: a monitor alone on stdio
    // (-monitor stdio with the serial elsewhere) prints its banner and prompt at once.
    if (this.fes.length === 1) fe.focusChanged?.(true);
  }

  write(data: Uint8Array): void {
    this.be.write(data);
  }

  private say(text: string): void {
    this.be.write(new TextEncoder().encode(text));
  }

  canReceive(): number {
    return MUX_BUFFER_LIMIT; // escapes must get through even when the guest does not read
  }

  receive(data: Uint8Array): void {
    for (const b of data) {
      if (this.escPending) {
        this.escPending = false;
        this.escape(b);
      } else if (b === MUX_ESCAPE) {
        this.escPending = true;
      } else {
        this.queue(b);
      }
    }
    this.acceptInput();
  }

  private queue(b: number): void {
    const buf = this.buffers[this.focus];
    if (buf && buf.length < MUX_BUFFER_LIMIT) buf.push(b);
  }

  private escape(b: number): void {
    switch (String.fromCharCode(b)) {
      case 'x':
        this.say('QEMU: Terminated\n\r');
        this.hooks.quit();
        return;
      case 'h': case '?':
        this.say(`\n\r${HELP.join('\n\r')}\n\r`);
        return;
      case 'c':
        if (this.fes.length < 2) {
          this.say('\n\rThe monitor is not available in this configuration.\n\r');
          return;
        }
        this.fes[this.focus]?.focusChanged?.(false);
        this.focus = (this.focus + 1) % this.fes.length;
        this.fes[this.focus]?.focusChanged?.(true);
        return;
      case 'a': case '\x01':
        this.queue(MUX_ESCAPE);
        return;
      case 's': case 't': case 'b':
        return; // nothing to save, no timestamps or break support: ignored
      default:
        this.queue(MUX_ESCAPE);
        this.queue(b);
    }
  }

  acceptInput(): void {
    const fe = this.fes[this.focus];
    const buf = this.buffers[this.focus];
    if (!fe || !buf) return;
    while (buf.length > 0) {
      const n = Math.min(fe.canReceive(), buf.length);
      if (n <= 0) break;
      fe.receive(Uint8Array.from(buf.splice(0, n)));
    }
  }

  close(): void {
    this.be.close();
  }
}
