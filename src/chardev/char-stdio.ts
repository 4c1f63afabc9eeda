// -serial stdio (QEMU's char-stdio): the host terminal, in raw mode while we run. With
// signal=on (plain `-serial stdio`), Ctrl-C typed on a terminal ends the emulator as SIGINT
// would; under the mux (-nographic, mon:stdio) it goes to the guest.
import { ChardevBase } from './char-base.js';

/** What the host gives us of its terminal (src/host/node/terminal.ts). */
export interface HostTerminal {
  readonly isTTY: boolean;
  write(data: Uint8Array): void;
  /** Start delivering input; `onEnd` when the input stream closes. */
  start(onData: (data: Uint8Array) => void, onEnd: () => void): void;
  pause(paused: boolean): void;
  /** Restore the terminal mode and stop reading. */
  close(): void;
}

export class StdioChardev extends ChardevBase {
  readonly filename = 'stdio';
  constructor(id: string, private readonly term: HostTerminal, signal: boolean, onInterrupt: () => void) {
    super(id);
    this.onThrottle = (p) => term.pause(p);
    term.start((data) => {
      if (signal && term.isTTY && data.includes(3)) { onInterrupt(); return; }
      this.deliver(data);
    }, () => {});
  }
  write(data: Uint8Array): void {
    this.term.write(data);
  }
  override close(): void {
    this.term.close();
  }
}
