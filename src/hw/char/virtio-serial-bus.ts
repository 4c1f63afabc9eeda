// virtio-serial (virtio 1.2, 5.3 "Console Device", QEMU's hw/char/virtio-serial-bus.c): a
// multiport console device. Port 0's queues come first, then the control queues, then one
// receive/transmit pair per further port. Over the control queues the driver says it is ready,
// the device announces its ports (PORT_ADD), the driver readies each one, and the device tells it
// which is a console, each port's name and whether the host end is open; the driver reports the
// guest end opening and closing (PORT_OPEN). The ports themselves are virtio-console.ts.
import type { AddressSpace } from '../../exec/memory.js';
import { VirtIODevice, type VirtQueue, type VirtQueueElement, bufToIov, iovSize, iovToBuf } from '../virtio/virtio.js';

export const VIRTIO_ID_CONSOLE = 3;
export const VIRTIO_CONSOLE_F_SIZE = 0;
export const VIRTIO_CONSOLE_F_MULTIPORT = 1;
export const VIRTIO_CONSOLE_F_EMERG_WRITE = 2;

/** struct virtio_console_control's events. */
export const enum ConsoleCtrl {
  DEVICE_READY = 0, PORT_ADD = 1, PORT_REMOVE = 2, PORT_READY = 3, CONSOLE_PORT = 4, RESIZE = 5, PORT_OPEN = 6, PORT_NAME = 7,
}
const CTRL_SIZE = 8;
/** Queue sizes as QEMU's: 128 per port queue, 32 per control queue. */
const PORT_QUEUE_SIZE = 128;
const CTRL_QUEUE_SIZE = 32;
/** Control messages waiting for a driver buffer (QEMU drops them; we keep a bounded backlog). */
const CTRL_BACKLOG = 256;
/** Host bytes offered to the guest at once (QEMU's virtio_serial_guest_ready looks at 4 KiB). */
const RX_WINDOW = 4096;

/** One port on the bus: what the device needs of a virtconsole / virtserialport. */
export interface VirtIOSerialPortOps {
  readonly isConsole: boolean;
  readonly name: string | undefined;
  /** The guest wrote these bytes to the port (QEMU's have_data). */
  haveData(data: Uint8Array): void;
  /** The guest's end opened or closed (set_guest_connected). */
  setGuestConnected(open: boolean): void;
  /** The guest gave receive buffers: host input may flow again (guest_writable). */
  guestWritable(): void;
}

export class VirtIOSerialPort {
  hostConnected = false;
  guestConnected = false;
  /** The driver acknowledged the port (PORT_READY). */
  guestReady = false;
  ivq!: VirtQueue;
  ovq!: VirtQueue;

  constructor(readonly id: number, readonly ops: VirtIOSerialPortOps) {}
}

export class VirtIOSerial extends VirtIODevice {
  readonly deviceId = VIRTIO_ID_CONSOLE;
  readonly name = 'virtio-serial';
  readonly ports = new Map<number, VirtIOSerialPort>();
  private readonly ivqs: VirtQueue[] = [];
  private readonly ovqs: VirtQueue[] = [];
  private readonly cIvq: VirtQueue;
  private readonly cOvq: VirtQueue;
  private ctrlBacklog: Uint8Array[] = [];

  constructor(as: AddressSpace, readonly maxPorts: number, emergencyWrite: boolean) {
    super(as);
    if (maxPorts > 1) this.hostFeatures |= 1n << BigInt(VIRTIO_CONSOLE_F_MULTIPORT);
    if (emergencyWrite) this.hostFeatures |= 1n << BigInt(VIRTIO_CONSOLE_F_EMERG_WRITE);
    // Port 0's pair, the control pair, then one pair per further port (QEMU's queue order).
    this.addPortQueues(0);
    this.cIvq = this.addQueue(CTRL_QUEUE_SIZE, () => this.flushControl());
    this.cOvq = this.addQueue(CTRL_QUEUE_SIZE, (vq) => this.controlOut(vq));
    for (let i = 1; i < maxPorts; i++) this.addPortQueues(i);
  }

  private addPortQueues(i: number): void {
    this.ivqs.push(this.addQueue(PORT_QUEUE_SIZE, () => this.handleInput(i)));
    this.ovqs.push(this.addQueue(PORT_QUEUE_SIZE, () => this.handleOutput(i)));
  }

  private get multiport(): boolean {
    return (this.guestFeatures & (1n << BigInt(VIRTIO_CONSOLE_F_MULTIPORT))) !== 0n;
  }

  /** virtser_port_device_realize's id choice and checks, QEMU's texts: `nr`, else 0 for the first
   * console, else the lowest free id >= 1 (port 0 stays reserved for a console). */
  addPort(ops: VirtIOSerialPortOps, nr: number | undefined): VirtIOSerialPort {
    const plugPort0 = ops.isConsole && !this.ports.has(0);
    if (nr !== undefined && this.ports.has(nr)) throw new Error(`virtio-serial-bus: A port already exists at id ${nr}`);
    if (ops.name !== undefined && [...this.ports.values()].some((p) => p.ops.name === ops.name)) {
      throw new Error(`virtio-serial-bus: A port already exists by name ${ops.name}`);
    }
    let id = nr;
    if (id === undefined) {
      if (plugPort0) id = 0;
      else for (id = 1; this.ports.has(id);) id++;
    }
    if (id >= this.maxPorts) throw new Error(`virtio-serial-bus: Out-of-range port id specified, max. allowed: ${this.maxPorts - 1}`);
    const port = new VirtIOSerialPort(id, ops);
    port.ivq = this.ivqs[id];
    port.ovq = this.ovqs[id];
    this.ports.set(id, port);
    return port;
  }

  readConfig(offset: number, size: number): number {
    // struct virtio_console_config: le16 cols, le16 rows, le32 max_nr_ports, le32 emerg_wr.
    const cfg = new DataView(new ArrayBuffer(12));
    cfg.setUint32(4, this.maxPorts, true);
    if (offset + size > 12) return 0;
    return size === 1 ? cfg.getUint8(offset) : size === 2 ? cfg.getUint16(offset, true) : cfg.getUint32(offset, true);
  }

  /** set_config: an emergency write puts one byte out on port 0 (when offered and port 0 exists). */
  override writeConfig(offset: number, size: number, value: number): void {
    if (offset !== 8 || size !== 4 || value === 0) return;
    if (!(this.hostFeatures & (1n << BigInt(VIRTIO_CONSOLE_F_EMERG_WRITE)))) return;
    this.ports.get(0)?.ops.haveData(Uint8Array.of(value & 0xff));
  }

  override reset(): void {
    super.reset();
    this.ctrlBacklog = [];
    for (const p of this.ports.values()) {
      p.guestReady = false;
      if (p.guestConnected) { p.guestConnected = false; p.ops.setGuestConnected(false); }
    }
  }

  // ---- host side (the ports' chardev ends) ----

  /** virtio_serial_open / close: the host end of a port connected or went away. */
  setHostConnected(port: VirtIOSerialPort, open: boolean): void {
    if (port.hostConnected === open) return;
    port.hostConnected = open;
    this.sendControl(port.id, ConsoleCtrl.PORT_OPEN, open ? 1 : 0);
  }

  /** virtio_serial_guest_ready: bytes the guest can take on this port now (0: hold them). */
  guestReadyBytes(port: VirtIOSerialPort): number {
    if (!this.driverOk || !port.ivq.ready) return 0;
    if (this.multiport && !port.guestConnected) return 0;
    return port.ivq.availableInBytes(RX_WINDOW);
  }

  /** virtio_serial_write: host bytes into the port's receive buffers; returns how many fit. */
  write(port: VirtIOSerialPort, data: Uint8Array): number {
    let done = 0;
    while (done < data.length) {
      const elem = port.ivq.pop();
      if (!elem) break;
      const n = bufToIov(this.as, elem.in, 0, data.subarray(done));
      port.ivq.push(elem, n);
      done += n;
    }
    if (done > 0) port.ivq.notify();
    return done;
  }

  // ---- guest side ----

  private handleInput(i: number): void {
    const port = this.ports.get(i);
    if (port) port.ops.guestWritable();
  }

  /** do_flush_queued_data: everything the guest queued on the port goes to the host end. */
  private handleOutput(i: number): void {
    const vq = this.ovqs[i];
    const port = this.ports.get(i);
    let pushed = false;
    for (let elem = vq.pop(); elem; elem = vq.pop()) {
      if (port) {
        const buf = new Uint8Array(iovSize(elem.out));
        iovToBuf(this.as, elem.out, 0, buf);
        port.ops.haveData(buf);
      }
      vq.push(elem, 0);
      pushed = true;
    }
    if (pushed) vq.notify();
  }

  private controlOut(vq: VirtQueue): void {
    let pushed = false;
    for (let elem = vq.pop(); elem; elem = vq.pop()) {
      this.controlMessage(elem);
      vq.push(elem, 0);
      pushed = true;
    }
    if (pushed) vq.notify();
  }

  /** handle_control_message: the driver's side of the port protocol. */
  private controlMessage(elem: VirtQueueElement): void {
    const msg = new Uint8Array(Math.min(iovSize(elem.out), CTRL_SIZE));
    if (iovToBuf(this.as, elem.out, 0, msg) < CTRL_SIZE) return; // too short: ignored, as QEMU
    const v = new DataView(msg.buffer);
    const id = v.getUint32(0, true), event = v.getUint16(4, true), value = v.getUint16(6, true);
    if (event === ConsoleCtrl.DEVICE_READY) {
      if (!value) return; // the guest failed to add the device
      for (const p of this.ports.values()) this.sendControl(p.id, ConsoleCtrl.PORT_ADD, 1);
      return;
    }
    const port = this.ports.get(id);
    if (!port) return; // QEMU: "Unexpected port id"
    if (event === ConsoleCtrl.PORT_READY) {
      if (!value) return;
      port.guestReady = true;
      if (port.ops.isConsole) this.sendControl(id, ConsoleCtrl.CONSOLE_PORT, 1);
      if (port.ops.name !== undefined) {
        const name = new TextEncoder().encode(port.ops.name);
        this.sendControl(id, ConsoleCtrl.PORT_NAME, 1, Uint8Array.of(...name, 0));
      }
      if (port.hostConnected) this.sendControl(id, ConsoleCtrl.PORT_OPEN, 1);
      port.ops.guestWritable();
    } else if (event === ConsoleCtrl.PORT_OPEN) {
      const open = value !== 0;
      if (port.guestConnected === open) return;
      port.guestConnected = open;
      port.ops.setGuestConnected(open);
      if (open) port.ops.guestWritable();
    }
  }

  /** send_control_event / send_control_msg (multiport only): into the control receive queue. */
  private sendControl(id: number, event: ConsoleCtrl, value: number, extra?: Uint8Array): void {
    if (!this.multiport) return;
    const msg = new Uint8Array(CTRL_SIZE + (extra?.length ?? 0));
    const v = new DataView(msg.buffer);
    v.setUint32(0, id, true);
    v.setUint16(4, event, true);
    v.setUint16(6, value, true);
    if (extra) msg.set(extra, CTRL_SIZE);
    if (this.ctrlBacklog.length < CTRL_BACKLOG) this.ctrlBacklog.push(msg);
    this.flushControl();
  }

  private flushControl(): void {
    let pushed = false;
    while (this.ctrlBacklog.length > 0) {
      const elem = this.cIvq.pop();
      if (!elem) break;
      const msg = this.ctrlBacklog.shift() as Uint8Array;
      this.cIvq.push(elem, bufToIov(this.as, elem.in, 0, msg));
      pushed = true;
    }
    if (pushed) this.cIvq.notify();
  }
}
