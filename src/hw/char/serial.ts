// 16550A UART (QEMU's serial.c semantics, as the virt board's ns16550a with reg-shift 0).
// Transmission is instantaneous: a THR write goes straight to the chardev and THR is empty
// again at once. Receive has the 16-byte FIFO when FCR enables it.
import type { MemoryRegionOps } from '../../exec/memory.js';
import type { CharFrontend, Chardev } from '../../chardev/char.js';
import type { IRQ } from '../core/irq.js';

export const enum UartReg { RBR = 0, THR = 0, DLL = 0, IER = 1, DLM = 1, IIR = 2, FCR = 2, LCR = 3, MCR = 4, LSR = 5, MSR = 6, SCR = 7 }
export const enum UartIER { RDI = 0x01, THRI = 0x02, RLSI = 0x04, MSI = 0x08 }
export const enum UartIIR { NO_INT = 0x01, THRI = 0x02, RDI = 0x04, RLSI = 0x06, CTI = 0x0c, FIFO_ENABLED = 0xc0 }
export const enum UartLSR { DR = 0x01, OE = 0x02, THRE = 0x20, TEMT = 0x40 }
export const enum UartLCR { DLAB = 0x80 }
export const enum UartMCR { DTR = 0x01, RTS = 0x02, OUT1 = 0x04, OUT2 = 0x08, LOOP = 0x10 }
export const enum UartMSR { CTS = 0x10, DSR = 0x20, RI = 0x40, DCD = 0x80 }
export const enum UartFCR { ENABLE = 0x01, CLEAR_RCVR = 0x02, CLEAR_XMIT = 0x04 }

const FIFO_LEN = 16;
const TRIGGER_LEVELS = [1, 4, 8, 14];

export class SerialState implements MemoryRegionOps, CharFrontend {
  private ier = 0;
  private lcr = 0;
  private mcr = 0;
  private lsr = 0;
  private msr = 0;
  private scr = 0;
  private fcr = 0;
  private divider = 0;
  private thrIpending = false;
  private rx: number[] = [];

  constructor(private readonly chr: Chardev | undefined, private readonly irq: IRQ) {
    chr?.attach(this);
    this.reset();
  }

  reset(): void {
    this.ier = 0;
    this.lcr = 0;
    this.mcr = UartMCR.OUT2;
    this.lsr = UartLSR.TEMT | UartLSR.THRE;
    this.msr = UartMSR.DCD | UartMSR.DSR | UartMSR.CTS;
    this.scr = 0;
    this.fcr = 0;
    this.divider = 0x0c;
    this.thrIpending = false;
    this.rx = [];
    this.update();
  }

  private get fifoEnabled(): boolean {
    return (this.fcr & UartFCR.ENABLE) !== 0;
  }

  private iir(): number {
    let id: number = UartIIR.NO_INT;
    if (this.ier & UartIER.RLSI && this.lsr & UartLSR.OE) id = UartIIR.RLSI;
    else if (this.ier & UartIER.RDI && this.rx.length > 0) {
      id = this.fifoEnabled && this.rx.length < TRIGGER_LEVELS[this.fcr >> 6] ? UartIIR.CTI : UartIIR.RDI;
    } else if (this.ier & UartIER.THRI && this.thrIpending) id = UartIIR.THRI;
    return id | (this.fifoEnabled ? UartIIR.FIFO_ENABLED : 0);
  }

  private update(): void {
    this.irq.set((this.iir() & UartIIR.NO_INT) === 0);
  }

  canReceive(): number {
    if (this.mcr & UartMCR.LOOP) return 0;
    return this.fifoEnabled ? FIFO_LEN - this.rx.length : this.rx.length === 0 ? 1 : 0;
  }

  receive(data: Uint8Array): void {
    for (const b of data) {
      if (this.rx.length >= (this.fifoEnabled ? FIFO_LEN : 1)) {
        this.lsr |= UartLSR.OE; // overrun: the byte is lost, as on the real chip
        if (!this.fifoEnabled) this.rx[0] = b;
      } else {
        this.rx.push(b);
      }
    }
    if (this.rx.length > 0) this.lsr |= UartLSR.DR;
    this.update();
  }

  private transmit(b: number): void {
    if (this.mcr & UartMCR.LOOP) this.receive(Uint8Array.of(b));
    else this.chr?.write(Uint8Array.of(b));
    this.lsr |= UartLSR.THRE | UartLSR.TEMT;
    this.thrIpending = true;
  }

  read(offset: number): number {
    switch (offset) {
      case UartReg.RBR: {
        if (this.lcr & UartLCR.DLAB) return this.divider & 0xff;
        const b = this.rx.shift() ?? 0;
        if (this.rx.length === 0) this.lsr &= ~UartLSR.DR;
        this.update();
        this.chr?.acceptInput();
        return b;
      }
      case UartReg.IER:
        return this.lcr & UartLCR.DLAB ? (this.divider >> 8) & 0xff : this.ier;
      case UartReg.IIR: {
        const v = this.iir();
        if ((v & 0x0f) === UartIIR.THRI) {
          this.thrIpending = false; // reading IIR acknowledges the THR-empty interrupt
          this.update();
        }
        return v;
      }
      case UartReg.LCR: return this.lcr;
      case UartReg.MCR: return this.mcr;
      case UartReg.LSR: {
        const v = this.lsr;
        if (v & UartLSR.OE) {
          this.lsr &= ~UartLSR.OE;
          this.update();
        }
        return v;
      }
      case UartReg.MSR:
        if (this.mcr & UartMCR.LOOP) {
          // Loopback: the modem outputs drive the inputs (DTR->DSR, RTS->CTS, OUT1->RI, OUT2->DCD).
          const m = this.mcr;
          return (m & UartMCR.DTR ? UartMSR.DSR : 0) | (m & UartMCR.RTS ? UartMSR.CTS : 0) |
            (m & UartMCR.OUT1 ? UartMSR.RI : 0) | (m & UartMCR.OUT2 ? UartMSR.DCD : 0);
        }
        return this.msr;
      case UartReg.SCR: return this.scr;
      default: return 0;
    }
  }

  write(offset: number, _size: number, value: number): void {
    value &= 0xff;
    switch (offset) {
      case UartReg.THR:
        if (this.lcr & UartLCR.DLAB) { this.divider = (this.divider & 0xff00) | value; return; }
        this.thrIpending = false;
        this.transmit(value);
        break;
      case UartReg.IER:
        if (this.lcr & UartLCR.DLAB) { this.divider = (this.divider & 0xff) | (value << 8); return; }
        // Enabling THRI while THR is empty raises it at once (as the 8250 driver expects).
        if (value & UartIER.THRI && !(this.ier & UartIER.THRI) && this.lsr & UartLSR.THRE) this.thrIpending = true;
        this.ier = value & 0x0f;
        break;
      case UartReg.FCR:
        if (value & UartFCR.CLEAR_RCVR) {
          this.rx = [];
          this.lsr &= ~UartLSR.DR;
        }
        this.fcr = value & 0xc9;
        if (!(value & UartFCR.ENABLE)) this.rx = this.rx.slice(0, 1);
        this.chr?.acceptInput();
        break;
      case UartReg.LCR: this.lcr = value; return;
      case UartReg.MCR: this.mcr = value & 0x1f; break;
      case UartReg.LSR: return; // read-only
      case UartReg.MSR: return;
      case UartReg.SCR: this.scr = value; return;
    }
    this.update();
  }
}
