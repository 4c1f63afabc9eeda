// virtconsole and virtserialport (QEMU's hw/char/virtio-console.c): a virtio-serial port whose
// host end is a chardev. A console port (hvc in the guest) counts as open on the host side from
// the start; a serial port opens and closes with its chardev's peer (a socket's client), and the
// guest's end opening or closing is the QMP event VSERPORT_CHANGE (libvirt watches its guest
// agent channel by it). Host input waits in the chardev until the guest opened the port and gave
// buffers; guest output goes to the chardev (dropped while nobody is connected, as QEMU's).
import type { Chardev, CharFrontend, ChrEvent } from '../../chardev/char.js';
import type { VirtIOSerial, VirtIOSerialPort, VirtIOSerialPortOps } from './virtio-serial-bus.js';

export class VirtConsole implements VirtIOSerialPortOps, CharFrontend {
  private port!: VirtIOSerialPort;

  constructor(private readonly vser: VirtIOSerial, readonly isConsole: boolean, readonly name: string | undefined,
    private readonly chr: Chardev | undefined, private readonly qdevId: string | undefined,
    private readonly emit: (ev: string, data: Record<string, unknown>) => void) {}

  /** Plug into the bus at `nr` (or the id QEMU would pick) and attach to the chardev. */
  plug(nr: number | undefined): void {
    this.port = this.vser.addPort(this, nr);
    if (this.isConsole) this.port.hostConnected = true;
    // QEMU opens a console's frontend at once; a serial port's follows its guest end.
    if (this.chr) this.chr.frontendOpen = this.isConsole;
    this.chr?.attach(this);
  }

  // ---- the chardev's frontend ----

  canReceive(): number {
    return this.vser.guestReadyBytes(this.port);
  }

  receive(data: Uint8Array): void {
    // canReceive() bounded `data` by the guest's buffers, so all of it fits.
    this.vser.write(this.port, data);
  }

  event(ev: ChrEvent): void {
    if (this.isConsole) return;
    this.vser.setHostConnected(this.port, ev === 'opened');
  }

  // ---- the bus's port ----

  haveData(data: Uint8Array): void {
    this.chr?.write(data);
  }

  setGuestConnected(open: boolean): void {
    if (!this.isConsole && this.chr) this.chr.frontendOpen = open;
    if (this.qdevId !== undefined) this.emit('VSERPORT_CHANGE', { id: this.qdevId, open });
  }

  guestWritable(): void {
    this.chr?.acceptInput();
  }
}
