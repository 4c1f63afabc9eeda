// VirtIO core (virtio 1.2, 2.7 "Split Virtqueues"): the device base class shared by every
// transport, and VirtQueue with its descriptor walking. Everything the guest hands us is
// bounds-checked: a descriptor outside RAM, a chain longer than the table (a loop) or a bad
// index marks the device broken (DEVICE_NEEDS_RESET) and logs a guest error; the emulator
// goes on.
import type { AddressSpace } from '../../exec/memory.js';
import { LogMask, qemuLogMask } from '../../qemu/log.js';

export const enum VirtioStatus {
  ACKNOWLEDGE = 1, DRIVER = 2, DRIVER_OK = 4, FEATURES_OK = 8, DEVICE_NEEDS_RESET = 0x40, FAILED = 0x80,
}
export const enum VirtioIsr { QUEUE = 1, CONFIG = 2 }
export const VIRTIO_F_NOTIFY_ON_EMPTY = 24n;
export const VIRTIO_F_ANY_LAYOUT = 27n;
export const VIRTIO_F_RING_INDIRECT_DESC = 28n;
export const VIRTIO_F_VERSION_1 = 32n;
/** virtio 1.2, 6: a driver may reset one queue (modern transports: queue_reset). */
export const VIRTIO_F_RING_RESET = 40n;
/** virtio 1.2, 2.7.7/2.7.10: the driver's used_event and the device's avail_event words
 * (after the rings) replace the flags for suppressing interrupts and notifications. */
export const VIRTIO_RING_F_EVENT_IDX = 29n;

/** QEMU's smp_mb() between the device's ring stores and its next loads (avail_event then the
 * avail index; the used index then used_event): with -accel tcg,thread=multi the driver runs on
 * other threads, and a store may otherwise pass a later load (x86-64's store buffer), losing a
 * notification or an interrupt. A sequentially consistent read-modify-write is a full barrier
 * (a locked instruction on x86-64). */
const fenceCell = new Int32Array(typeof SharedArrayBuffer === 'function' ? new SharedArrayBuffer(4) : new ArrayBuffer(4));
function smpMb(): void {
  Atomics.add(fenceCell, 0, 0);
}

const enum VRingDesc { F_NEXT = 1, F_WRITE = 2, F_INDIRECT = 4, SIZE = 16 }

/** One guest buffer segment (guest-physical), already checked to lie inside RAM. */
export interface VirtIOSeg { addr: number; len: number }

export interface VirtQueueElement {
  /** Head descriptor index (what goes back in the used ring). */
  index: number;
  out: VirtIOSeg[]; // device-readable
  in: VirtIOSeg[]; // device-writable
  /** The queue's reset count when popped: a chain from before a queue reset is not pushed. */
  epoch?: number;
}

export class VirtQueue {
  num: number;
  ready = false;
  descAddr = 0;
  availAddr = 0;
  usedAddr = 0;
  private lastAvailIdx = 0;
  private usedIdx = 0;
  /** EVENT_IDX: the used index at the last interrupt (QEMU's signalled_used), valid after the first. */
  private signalledUsed = 0;
  private signalledUsedValid = false;
  /** Queue resets so far (VIRTIO_F_RING_RESET): requests in flight across one are dropped. */
  private epoch = 0;
  /** Chains popped and not yet pushed (QEMU's inuse: NOTIFY_ON_EMPTY). */
  private inuse = 0;
  /** Interrupts raised and ones suppressed (flags or used_event), for tests and bench. */
  readonly irqStats = { raised: 0, suppressed: 0 };

  constructor(readonly vdev: VirtIODevice, readonly numMax: number, readonly handleOutput: (vq: VirtQueue) => void) {
    this.num = numMax;
  }

  reset(): void {
    this.epoch++;
    this.num = this.numMax;
    this.ready = false;
    this.descAddr = this.availAddr = this.usedAddr = 0;
    this.lastAvailIdx = this.usedIdx = 0;
    this.signalledUsed = 0;
    this.signalledUsedValid = false;
    this.inuse = 0;
  }

  private get as(): AddressSpace {
    return this.vdev.as;
  }

  /** Read `size` bytes (2, 4 or 8) of guest RAM; undefined when outside RAM. */
  private ld(pa: number, size: 2 | 4 | 8): number | undefined {
    const off = this.as.ramHostOffset(pa, size);
    if (off < 0) return this.as.isRam(pa, size) ? Number(this.as.load(pa, size)) : undefined; // RAM beyond the wasm memory
    const v = this.as.view;
    return size === 2 ? v.getUint16(off, true) : size === 4 ? v.getUint32(off, true) : Number(v.getBigUint64(off, true));
  }

  private st(pa: number, size: 2 | 4, value: number): boolean {
    const off = this.as.ramHostOffset(pa, size, true);
    if (off < 0) return this.as.isRam(pa, size, true) && this.as.store(pa, size, BigInt(value));
    this.as.onRamWrite(pa, size);
    if (size === 2) this.as.view.setUint16(off, value, true);
    else this.as.view.setUint32(off, value, true);
    return true;
  }

  /** Take the next available chain, or null when none (or when the device broke on it). */
  pop(): VirtQueueElement | null {
    if (!this.ready || this.vdev.broken || this.num === 0) return null;
    const availIdx = this.ld(this.availAddr + 2, 2);
    if (availIdx === undefined) return this.fail('avail ring outside RAM');
    const waiting = (availIdx - this.lastAvailIdx) & 0xffff;
    if (waiting === 0) return null;
    if (waiting > this.num) return this.fail(`avail idx ${availIdx} runs ${waiting} ahead of ${this.num} entries`);
    const head = this.ld(this.availAddr + 4 + 2 * (this.lastAvailIdx % this.num), 2);
    if (head === undefined) return this.fail('avail ring outside RAM');
    if (head >= this.num) return this.fail(`head descriptor ${head} >= queue size ${this.num}`);
    const elem = this.walk(head);
    if (elem) {
      this.lastAvailIdx = (this.lastAvailIdx + 1) & 0xffff;
      this.inuse++;
      // avail_event: the driver notifies again once it makes entry lastAvailIdx available
      // (QEMU's vring_set_avail_event in virtqueue_split_pop).
      if (this.vdev.eventIdx) {
        if (!this.st(this.usedAddr + 4 + 8 * this.num, 2, this.lastAvailIdx)) return this.fail('used ring outside RAM');
        smpMb(); // visible before the next pop() reads the avail index
      }
    }
    return elem;
  }

  private walk(head: number): VirtQueueElement | null {
    const elem: VirtQueueElement = { index: head, out: [], in: [], epoch: this.epoch };
    let table = this.descAddr;
    let tableSize = this.num;
    let i = head;
    let seen = 0;
    let indirect = false;
    for (;;) {
      if (++seen > tableSize) return this.fail('descriptor chain loops or exceeds the table');
      const d = table + i * VRingDesc.SIZE;
      const addr = this.ld(d, 8);
      const len = this.ld(d + 8, 4);
      const flags = this.ld(d + 12, 2);
      const next = this.ld(d + 14, 2);
      if (addr === undefined || len === undefined || flags === undefined || next === undefined) {
        return this.fail(`descriptor ${i} outside RAM`);
      }
      if (flags & VRingDesc.F_INDIRECT) {
        if (indirect) return this.fail('nested indirect descriptor table');
        if (len === 0 || len % VRingDesc.SIZE !== 0) return this.fail(`bad indirect table length ${len}`);
        if (!this.as.isRam(addr, len)) return this.fail('indirect table outside RAM');
        indirect = true;
        table = addr;
        tableSize = len / VRingDesc.SIZE;
        i = 0;
        seen = 0;
        continue;
      }
      const write = (flags & VRingDesc.F_WRITE) !== 0;
      if (!this.as.isRam(addr, len, write)) return this.fail(`buffer 0x${addr.toString(16)}+${len} outside RAM`);
      if (!write && elem.in.length > 0) return this.fail('device-readable descriptor after a writable one');
      (write ? elem.in : elem.out).push({ addr, len });
      if (!(flags & VRingDesc.F_NEXT)) return elem;
      if (next >= tableSize) return this.fail(`next descriptor ${next} >= table size ${tableSize}`);
      i = next;
    }
  }

  /** Chains the driver made available that pop() has not taken yet (0 when not set up). */
  availableCount(): number {
    if (!this.ready || this.vdev.broken || this.num === 0) return 0;
    const availIdx = this.ld(this.availAddr + 2, 2);
    return availIdx === undefined ? 0 : Math.min((availIdx - this.lastAvailIdx) & 0xffff, this.num);
  }

  /** virtqueue_get_avail_bytes: device-writable bytes in the available chains, up to `limit`,
   * without taking them (a chardev asks how much the guest can receive). */
  availableInBytes(limit: number): number {
    const n = this.availableCount();
    let bytes = 0;
    for (let k = 0; k < n && bytes < limit; k++) {
      const head = this.ld(this.availAddr + 4 + 2 * ((this.lastAvailIdx + k) % this.num), 2);
      if (head === undefined || head >= this.num) return bytes;
      const elem = this.walk(head);
      if (!elem) return bytes;
      bytes += iovSize(elem.in);
    }
    return Math.min(bytes, limit);
  }

  /** virtqueue_unpop: give back the last `n` popped (not pushed) chains; pop() returns them again. */
  unpop(n = 1): void {
    this.lastAvailIdx = (this.lastAvailIdx - n) & 0xffff;
    this.inuse = Math.max(0, this.inuse - n);
  }

  /** Return a chain to the guest with `len` bytes written into its device-writable part. */
  push(elem: VirtQueueElement, len: number): void {
    if (this.vdev.broken || this.num === 0 || elem.epoch !== this.epoch) return;
    const slot = this.usedAddr + 4 + 8 * (this.usedIdx % this.num);
    if (!this.st(slot, 4, elem.index) || !this.st(slot + 4, 4, len)) { this.fail('used ring outside RAM'); return; }
    this.usedIdx = (this.usedIdx + 1) & 0xffff;
    if (this.inuse > 0) this.inuse--;
    if (!this.st(this.usedAddr + 2, 2, this.usedIdx)) this.fail('used ring outside RAM');
  }

  /** Interrupt the guest for the chains pushed since the last call, unless it asked for none:
   * VIRTQ_AVAIL_F_NO_INTERRUPT, or with EVENT_IDX when used_event lies outside them
   * (QEMU's virtio_split_should_notify). */
  notify(): void {
    if (this.num === 0) return;
    let raise: boolean;
    if (this.vdev.notifyOnEmpty && this.inuse === 0 && this.availableCount() === 0) {
      raise = true; // NOTIFY_ON_EMPTY (legacy): always when the driver has nothing left with us
    } else if (this.vdev.eventIdx) {
      const old = this.signalledUsed;
      const now = this.usedIdx;
      const valid = this.signalledUsedValid;
      this.signalledUsed = now;
      this.signalledUsedValid = true;
      smpMb(); // the used index out before used_event is read (virtio_split_should_notify)
      const usedEvent = this.ld(this.availAddr + 4 + 2 * this.num, 2);
      // vring_need_event: did the used index step over used_event since the last interrupt?
      raise = usedEvent !== undefined && (!valid || ((now - usedEvent - 1) & 0xffff) < ((now - old) & 0xffff));
    } else {
      const flags = this.ld(this.availAddr, 2);
      raise = flags !== undefined && (flags & 1) === 0;
    }
    if (raise) { this.irqStats.raised++; this.vdev.raiseIsr(VirtioIsr.QUEUE); } else this.irqStats.suppressed++;
  }

  private fail(why: string): null {
    this.vdev.error(why);
    return null;
  }
}

/** Transport side of a device: raises the interrupt line for ISR bits. */
export interface VirtioBusHooks {
  notifyIsr(): void;
}

export abstract class VirtIODevice {
  abstract readonly deviceId: number;
  abstract readonly name: string;
  /** QEMU's common features (indirect_desc=on, event_idx=on) and VERSION_1 (modern transports). */
  hostFeatures = (1n << VIRTIO_F_VERSION_1) | (1n << VIRTIO_F_RING_INDIRECT_DESC) | (1n << VIRTIO_RING_F_EVENT_IDX) |
    (1n << VIRTIO_F_RING_RESET);
  /** Offered to legacy drivers only (QEMU's VIRTIO_LEGACY_FEATURES: notify_on_empty=on,
   * any_layout=on, plus a device's own legacy_features). */
  legacyFeatures = (1n << VIRTIO_F_NOTIFY_ON_EMPTY) | (1n << VIRTIO_F_ANY_LAYOUT);
  guestFeatures = 0n;
  status = 0;
  isr = 0;
  configGeneration = 0;
  broken = false;
  readonly vqs: VirtQueue[] = [];
  bus: VirtioBusHooks = { notifyIsr() {} };

  /** VIRTIO_RING_F_EVENT_IDX negotiated (checked per request: a boolean, not a bigint test). */
  get eventIdx(): boolean {
    if (this.featuresSeen !== this.guestFeatures) this.seeFeatures();
    return this.eventIdxOn;
  }
  /** VIRTIO_F_NOTIFY_ON_EMPTY negotiated (a legacy driver only). */
  get notifyOnEmpty(): boolean {
    if (this.featuresSeen !== this.guestFeatures) this.seeFeatures();
    return this.notifyOnEmptyOn;
  }
  private seeFeatures(): void {
    this.featuresSeen = this.guestFeatures;
    this.eventIdxOn = (this.guestFeatures & (1n << VIRTIO_RING_F_EVENT_IDX)) !== 0n;
    this.notifyOnEmptyOn = (this.guestFeatures & (1n << VIRTIO_F_NOTIFY_ON_EMPTY)) !== 0n;
  }
  private featuresSeen = 0n;
  private eventIdxOn = false;
  private notifyOnEmptyOn = false;

  constructor(readonly as: AddressSpace) {}

  protected addQueue(numMax: number, handle: (vq: VirtQueue) => void): VirtQueue {
    const vq = new VirtQueue(this, numMax, handle);
    this.vqs.push(vq);
    return vq;
  }

  /** Device config space accessors (offset from the start of the config structure). */
  abstract readConfig(offset: number, size: number): number;
  writeConfig(_offset: number, _size: number, _value: number): void {}

  reset(): void {
    this.status = 0;
    this.isr = 0;
    this.guestFeatures = 0n;
    this.broken = false;
    for (const vq of this.vqs) vq.reset();
    this.bus.notifyIsr();
  }

  /** virtio_queue_reset (VIRTIO_F_RING_RESET): the device forgets the queue's requests
   * (queueResetHook), then the ring goes back to its reset state (disabled, no addresses). */
  queueReset(index: number): void {
    const vq = this.vqs[index];
    if (!vq) return;
    this.queueResetHook(vq);
    vq.reset();
  }
  protected queueResetHook(_vq: VirtQueue): void {}

  /** virtio_notify_config: the config space changed (a new generation, the config interrupt). */
  notifyConfig(): void {
    this.configGeneration = (this.configGeneration + 1) >>> 0;
    if (this.driverOk) this.raiseIsr(VirtioIsr.CONFIG);
  }

  raiseIsr(bit: VirtioIsr): void {
    this.isr |= bit;
    this.bus.notifyIsr();
  }

  /** virtio_error: the guest broke the protocol; stop processing until the driver resets us. */
  error(why: string): void {
    qemuLogMask(LogMask.LOG_GUEST_ERROR, `${this.name}: ${why}\n`);
    this.broken = true;
    if (this.guestFeatures & (1n << VIRTIO_F_VERSION_1)) {
      this.status |= VirtioStatus.DEVICE_NEEDS_RESET;
      this.raiseIsr(VirtioIsr.CONFIG);
    }
  }

  get driverOk(): boolean {
    return (this.status & VirtioStatus.DRIVER_OK) !== 0;
  }
}

/** Copy up to `dst.length` bytes out of a segment list, starting `skip` bytes in. */
export function iovToBuf(as: AddressSpace, segs: readonly VirtIOSeg[], skip: number, dst: Uint8Array): number {
  let done = 0;
  for (const s of segs) {
    if (skip >= s.len) { skip -= s.len; continue; }
    const n = Math.min(s.len - skip, dst.length - done);
    if (!as.dmaReadInto(s.addr + skip, dst.subarray(done, done + n))) break;
    done += n;
    skip = 0;
    if (done === dst.length) break;
  }
  return done;
}

/** Copy `src` into a segment list starting `skip` bytes in; returns bytes written. */
export function bufToIov(as: AddressSpace, segs: readonly VirtIOSeg[], skip: number, src: Uint8Array): number {
  let done = 0;
  for (const s of segs) {
    if (skip >= s.len) { skip -= s.len; continue; }
    const n = Math.min(s.len - skip, src.length - done);
    if (!as.dmaWrite(s.addr + skip, src.subarray(done, done + n))) break;
    done += n;
    skip = 0;
    if (done === src.length) break;
  }
  return done;
}

export function iovSize(segs: readonly VirtIOSeg[]): number {
  return segs.reduce((n, s) => n + s.len, 0);
}

/** The sub-list covering bytes [from, from+len) of a segment list. */
export function iovSlice(segs: readonly VirtIOSeg[], from: number, len: number): VirtIOSeg[] {
  const out: VirtIOSeg[] = [];
  for (const s of segs) {
    if (len <= 0) break;
    if (from >= s.len) { from -= s.len; continue; }
    const n = Math.min(s.len - from, len);
    out.push({ addr: s.addr + from, len: n });
    len -= n;
    from = 0;
  }
  return out;
}
