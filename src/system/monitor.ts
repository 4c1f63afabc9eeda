// A minimal HMP monitor on the mux (Ctrl-A c): info status, info jit, stop, cont, system_reset, quit.
// The full monitor (QMP/HMP) lives in src/monitor/ when it exists; this one keeps the
// console escape useful meanwhile.
import type { ChrEvent, Chardev } from '../chardev/char.js';
import type { MuxFrontend } from '../chardev/char-mux.js';
import { QEMU_VERSION } from './vl.js';

export interface MonitorVM {
  status(): string;
  stop(): void;
  cont(): void;
  reset(): void;
  quit(): void;
  /** `info jit` text (the translator's state). */
  jitInfo?(): string;
  /** `info pci` text (hw/pci/pci-hmp.ts). */
  pciInfo?(): string;
  /** `info network` / `info usernet` text (src/net/net-init.ts). */
  networkInfo?(): string;
  usernetInfo?(): string;
  /** set_link NAME on|off: an error message, or undefined. */
  setLink?(name: string, up: boolean): string | undefined;
}

const MAX_LINE = 1024;

export class MiniMonitor implements MuxFrontend {
  private line = '';
  private greeted = false;

  constructor(private readonly chr: Chardev, private readonly vm: MonitorVM) {
    chr.attach(this);
  }

  private out(text: string): void {
    this.chr.write(new TextEncoder().encode(text.replace(/\n/g, '\r\n')));
  }

  focusChanged(focused: boolean): void {
    if (!focused) return;
    if (!this.greeted) {
      this.greeted = true;
      this.out(`QEMU ${QEMU_VERSION} monitor - type 'help' for more information\n`);
    }
    this.out('(qemu) ');
  }

  /** On a socket: every client that connects gets the banner and a prompt (QEMU's monitor_event). */
  event(ev: ChrEvent): void {
    this.line = '';
    if (ev !== 'opened') return;
    this.greeted = false;
    this.focusChanged(true);
  }

  canReceive(): number {
    return MAX_LINE;
  }

  receive(data: Uint8Array): void {
    for (const b of data) {
      if (b === 13 || b === 10) {
        this.out('\n');
        this.exec(this.line.trim());
        this.line = '';
        this.out('(qemu) ');
      } else if (b === 127 || b === 8) {
        if (this.line.length > 0) {
          this.line = this.line.slice(0, -1);
          this.out('\b \b');
        }
      } else if (b >= 32 && b < 127 && this.line.length < MAX_LINE) {
        this.line += String.fromCharCode(b);
        this.out(String.fromCharCode(b));
      }
    }
  }

  private exec(cmd: string): void {
    const link = /^set_link\s+(\S+)\s+(on|off)$/.exec(cmd);
    if (link) {
      const err = this.vm.setLink?.(link[1], link[2] === 'on') ?? `Device '${link[1]}' not found`;
      if (err) this.out(`Error: ${err}\n`);
      return;
    }
    switch (cmd) {
      case '': return;
      case 'help': case '?':
        this.out('cont|c -- resume emulation\ninfo jit -- show dynamic compiler info\ninfo status -- show the current VM status\n' +
          'quit|q -- quit the emulator\nstop|s -- stop emulation\nsystem_reset -- reset the system\n' +
          'info network -- show the network state\nset_link name on|off -- change the link status of a network adapter\n');
        return;
      case 'info status': this.out(`VM status: ${this.vm.status()}\n`); return;
      case 'info jit': this.out(this.vm.jitInfo?.() ?? 'no translator\n'); return;
      case 'info pci': this.out(this.vm.pciInfo?.() ?? ''); return;
      case 'info network': this.out(this.vm.networkInfo?.() ?? ''); return;
      case 'info usernet': this.out(this.vm.usernetInfo?.() ?? ''); return;
      case 'stop': case 's': this.vm.stop(); return;
      case 'cont': case 'c': this.vm.cont(); return;
      case 'system_reset': this.vm.reset(); return;
      case 'quit': case 'q': this.vm.quit(); return;
      case 'info': this.out('info jit -- show dynamic compiler info\ninfo pci -- show PCI info\ninfo status -- show the current VM status\n'); return;
    }
    this.out(`unknown command: '${cmd.split(/\s+/)[0]}'\n`);
  }
}
