// virtio-net (virtio 1.2, 5.1 "Network Device"): queue 0 receives, queue 1 transmits; every
// buffer starts with a 12-byte virtio_net_hdr_v1. The device knows its peer (a -netdev back end,
// through the NetClientState link), never its transport (mmio or pci).
//
// Features: MAC, STATUS (link up/down), MRG_RXBUF, and the control queue (queue 2: CTRL_VQ,
// CTRL_RX, CTRL_RX_EXTRA, CTRL_VLAN, CTRL_MAC_ADDR; virtio-net-ctrl.ts) with QEMU's receive filter. When the peer is the user-mode stack, which
// takes whole TCP super-frames and writes correct checksums, we also offer the offloads Linux
// negotiates by default: CSUM + HOST_TSO4 (the guest sends up to 64 KiB TCP frames with a partial
// checksum; we complete checksums here) and GUEST_CSUM + GUEST_TSO4 (the stack sends large
// segments to the guest, marked DATA_VALID). Other peers (sockets, hubs) get plain frames: as
// QEMU does without a vnet-header back end, no offload is offered to the guest then.
import type { AddressSpace } from '../../exec/memory.js';
import { LogMask, qemuLogMask } from '../../qemu/log.js';
import { NET_BUFSIZE, NetClientState, connectPeers, macToString } from '../../net/net.js';
import { CtrlClass, VIRTIO_NET_ERR, VIRTIO_NET_OK, VirtIONetRxFilter } from './virtio-net-ctrl.js';
import { VirtIODevice, VirtioIsr, type VirtQueue, type VirtQueueElement, bufToIov, iovSize, iovToBuf } from './virtio.js';

export const VIRTIO_ID_NET = 1;

export const enum VirtioNetF {
  CSUM = 0, GUEST_CSUM = 1, MTU = 3, MAC = 5, GSO = 6, GUEST_TSO4 = 7, HOST_TSO4 = 11, MRG_RXBUF = 15, STATUS = 16,
  CTRL_GUEST_OFFLOADS = 2, CTRL_VQ = 17, CTRL_RX = 18, CTRL_VLAN = 19, CTRL_RX_EXTRA = 20, GUEST_ANNOUNCE = 21, CTRL_MAC_ADDR = 23,
}
const enum HdrFlag { NEEDS_CSUM = 1, DATA_VALID = 2 }
const enum GsoType { NONE = 0, TCPV4 = 1, ECN = 0x80 }
/** The guest offloads GUEST_OFFLOADS_SET may toggle (those we can offer: CSUM, TSO4). */
const GUEST_OFFLOAD_MASK = (1n << 1n) | (1n << 7n);
const HDR_LEN = 12; // virtio_net_hdr_v1 (VERSION_1 always has num_buffers)
/** A legacy driver without MRG_RXBUF: struct virtio_net_hdr, no num_buffers. */
const HDR_LEN_LEGACY = 10;
const QUEUE_SIZE = 256;
const VIRTIO_NET_S_LINK_UP = 1;
const ETH_MTU = 1500;
/** Frames above this are GSO super-frames (Ethernet header + MTU). */
const ETH_MAX_FRAME = 14 + ETH_MTU;

export interface VirtIONetProps {
  /** The NIC's id (its NetClientState name). */
  name: string;
  /** What `info network` calls the model (virtio-net-device, later virtio-net-pci). */
  model: string;
  mac: Uint8Array;
  /** The -netdev it is wired to (undefined: a NIC with no back end, frames go nowhere). */
  peer?: NetClientState;
}

/** The NIC's end of the link. */
class VirtIONetClient extends NetClientState {
  readonly type = 'nic';
  constructor(private readonly n: VirtIONet, name: string) {
    super(name);
  }
  receive(frame: Uint8Array): boolean { return this.n.receive(frame); }
  override canReceive(): boolean { return this.n.canReceive(); }
  override onSendCompleted(): void { this.n.flushTx(); }
  override guestAcceptsTso(): boolean { return this.n.guestTso(); }
  infoStr(): string { return `model=${this.n.props.model},macaddr=${macToString(this.n.mac)}`; }
  override linkStatusChanged(): void { this.n.linkChanged(); }
}

export class VirtIONet extends VirtIODevice {
  readonly deviceId = VIRTIO_ID_NET;
  readonly name = 'virtio-net';
  readonly nc: NetClientState;
  private readonly rx: VirtQueue;
  private readonly tx: VirtQueue;
  private readonly ctrl: VirtQueue;
  /** The current MAC (the guest may change it: CTRL_MAC_ADDR, or the legacy config write). */
  readonly mac: Uint8Array;
  readonly filter: VirtIONetRxFilter;
  /** The peer queued our last frame: tx waits for onSendCompleted (QEMU's tx_waiting). */
  private txWaiting = false;
  private readonly txBuf = new Uint8Array(HDR_LEN + NET_BUFSIZE);
  private readonly offloads: boolean;
  /** GUEST_OFFLOADS_SET's choice (undefined: every negotiated one, as after reset). */
  private guestOffloads: bigint | undefined;
  /** Guest errors seen on the data path (bad frames, too-small buffers). */
  errors = 0;

  constructor(as: AddressSpace, readonly props: VirtIONetProps) {
    super(as);
    this.nc = new VirtIONetClient(this, props.name);
    if (props.peer) connectPeers(this.nc, props.peer);
    this.offloads = props.peer?.acceptsOffloads() ?? false;
    this.mac = props.mac.slice();
    this.filter = new VirtIONetRxFilter(this.mac);
    const f = (b: VirtioNetF) => 1n << BigInt(b);
    // No MTU: QEMU offers it only with host_mtu= (then the config is 12 bytes, not 8).
    this.hostFeatures |= f(VirtioNetF.MAC) | f(VirtioNetF.STATUS) | f(VirtioNetF.MRG_RXBUF) |
      f(VirtioNetF.CTRL_VQ) | f(VirtioNetF.CTRL_RX) | f(VirtioNetF.CTRL_RX_EXTRA) | f(VirtioNetF.CTRL_VLAN) | f(VirtioNetF.CTRL_MAC_ADDR) |
      f(VirtioNetF.CTRL_GUEST_OFFLOADS) | f(VirtioNetF.GUEST_ANNOUNCE);
    // GSO (legacy only, as QEMU's legacy_features): "any GSO type" matters only with CSUM, and
    // with our offloads we take TCPv4 alone, so it is offered when they are not.
    if (!this.offloads) this.legacyFeatures |= f(VirtioNetF.GSO);
    if (this.offloads) {
      this.hostFeatures |= f(VirtioNetF.CSUM) | f(VirtioNetF.HOST_TSO4) | f(VirtioNetF.GUEST_CSUM) | f(VirtioNetF.GUEST_TSO4);
    }
    this.rx = this.addQueue(QUEUE_SIZE, () => this.nc.flushQueuedPackets());
    this.tx = this.addQueue(QUEUE_SIZE, () => this.flushTx());
    this.ctrl = this.addQueue(64, () => this.handleCtrl());
  }

  /** Control requests (QEMU's virtio_net_handle_ctrl); a malformed one breaks the device. */
  private handleCtrl(): void {
    if (this.broken) return;
    const features = { rxExtra: this.has(VirtioNetF.CTRL_RX_EXTRA), vlan: this.has(VirtioNetF.CTRL_VLAN), macAddr: this.has(VirtioNetF.CTRL_MAC_ADDR),
      other: (cls: number, cmd: number, d: Uint8Array) => this.ctrlOther(cls, cmd, d) };
    let pushed = false;
    for (let elem = this.ctrl.pop(); elem; elem = this.ctrl.pop()) {
      const n = this.filter.handle(this.as, elem, features);
      if (n === undefined) { this.error('virtio-net ctrl missing headers'); return; }
      this.ctrl.push(elem, n);
      pushed = true;
    }
    if (pushed) this.ctrl.notify();
  }

  /** QEMU's virtio_net_handle_offloads: GUEST_OFFLOADS_SET picks a subset of the negotiated
   * guest offloads (Linux: ethtool -K, XDP); refused without a back end that takes them (as
   * QEMU's without a vnet header). ANNOUNCE_ACK: we never announce (no migration), so it is
   * refused as QEMU's is when VIRTIO_NET_S_ANNOUNCE is clear. */
  private ctrlOther(cls: number, cmd: number, d: Uint8Array): number {
    if (cls !== CtrlClass.GUEST_OFFLOADS || cmd !== 0 || !this.has(VirtioNetF.CTRL_GUEST_OFFLOADS) || d.length !== 8 || !this.offloads) return VIRTIO_NET_ERR;
    const want = new DataView(d.buffer, d.byteOffset, 8).getBigUint64(0, true);
    if (want & ~(this.guestFeatures & GUEST_OFFLOAD_MASK)) return VIRTIO_NET_ERR;
    this.guestOffloads = want;
    return VIRTIO_NET_OK;
  }

  private has(b: VirtioNetF): boolean {
    return (this.guestFeatures & (1n << BigInt(b))) !== 0n;
  }

  /** virtio_net_hdr size (QEMU's guest_hdr_len): 12 with VERSION_1 or MRG_RXBUF, else 10. */
  private get hdrLen(): number {
    return this.has(VirtioNetF.MRG_RXBUF) || (this.guestFeatures & (1n << 32n)) !== 0n ? HDR_LEN : HDR_LEN_LEGACY;
  }

  /** A guest offload in force: negotiated and not switched off by GUEST_OFFLOADS_SET. */
  private offloadOn(b: VirtioNetF): boolean {
    const bit = 1n << BigInt(b);
    return (this.guestFeatures & bit) !== 0n && (this.guestOffloads === undefined || (this.guestOffloads & bit) !== 0n);
  }

  guestTso(): boolean {
    return this.driverOk && this.offloadOn(VirtioNetF.GUEST_TSO4) && this.offloadOn(VirtioNetF.GUEST_CSUM);
  }

  readConfig(offset: number, size: number): number {
    const cfg = new Uint8Array(12);
    cfg.set(this.mac, 0);
    const link = this.nc.linkDown || (this.nc.peer?.linkDown ?? false) ? 0 : VIRTIO_NET_S_LINK_UP;
    cfg[6] = link;
    cfg[8] = 1; // max_virtqueue_pairs
    cfg[10] = ETH_MTU & 0xff;
    cfg[11] = ETH_MTU >> 8;
    let v = 0;
    for (let i = size - 1; i >= 0; i--) v = v * 256 + (offset + i < cfg.length ? cfg[offset + i] : 0);
    return v;
  }

  override writeConfig(offset: number, size: number, value: number): void {
    // The MAC is writable by a legacy driver without CTRL_MAC_ADDR (virtio_net_set_config).
    if (this.has(VirtioNetF.CTRL_MAC_ADDR) || (this.guestFeatures & (1n << 32n)) !== 0n) return;
    for (let i = 0; i < size; i++) if (offset + i < 6) this.mac[offset + i] = (value / 256 ** i) & 0xff;
  }

  /** set_link or the peer's link changed: a config interrupt tells the driver. */
  linkChanged(): void {
    this.configGeneration++;
    if (this.driverOk) this.raiseIsr(VirtioIsr.CONFIG);
  }

  /** virtio_net_queue_reset: a reset tx queue no longer waits for the peer. */
  protected override queueResetHook(vq: VirtQueue): void {
    if (vq === this.tx) this.txWaiting = false;
  }

  override reset(): void {
    super.reset();
    this.guestOffloads = undefined;
    this.txWaiting = false;
    this.filter.reset();
    this.mac.set(this.props.mac); // virtio_net_reset: back to the configured address
    this.nc.purgeQueue();
  }

  canReceive(): boolean {
    return this.driverOk && this.rx.ready && !this.broken && this.rx.availableCount() > 0;
  }

  /** One frame into the guest's rx buffers; false (nothing consumed) when they do not suffice. */
  receive(frame: Uint8Array): boolean {
    if (!this.canReceive()) return false;
    if (!this.filter.accepts(frame, this.has(VirtioNetF.CTRL_VLAN))) { this.filter.dropped++; return true; }
    const mrg = this.has(VirtioNetF.MRG_RXBUF);
    const HDR_LEN = this.hdrLen;
    const hdr = new Uint8Array(HDR_LEN);
    if (frame.length > ETH_MAX_FRAME) {
      // Only the user-mode stack sends super-frames, and only after guestTso() said yes.
      if (!this.guestTso() || !this.fillGsoHeader(hdr, frame)) { this.errors++; return true; }
    } else if (this.offloads && this.offloadOn(VirtioNetF.GUEST_CSUM)) {
      hdr[0] = HdrFlag.DATA_VALID; // the stack wrote correct checksums
    }
    const total = HDR_LEN + frame.length;
    const elems: Array<{ elem: VirtQueueElement; len: number }> = [];
    let done = 0;
    while (done < total) {
      const elem = this.rx.pop();
      if (!elem) {
        if (this.broken) return true;
        this.rx.unpop(elems.length); // not enough buffers yet: keep the frame queued
        return false;
      }
      const room = iovSize(elem.in);
      if (room < (elems.length === 0 ? HDR_LEN : 1) || (!mrg && room < total)) {
        // A buffer too small for the frame: QEMU drops the frame (and logs it).
        this.guestError(`rx buffer of ${room} bytes for a ${total}-byte frame`);
        this.rx.push(elem, 0);
        for (const e of elems) this.rx.push(e.elem, 0);
        this.rx.notify();
        return true;
      }
      const n = Math.min(room, total - done);
      elems.push({ elem, len: n });
      done += n;
      if (!mrg) break;
    }
    if (mrg) {
      hdr[10] = elems.length & 0xff;
      hdr[11] = elems.length >> 8;
    }
    let pos = 0;
    for (const { elem, len } of elems) {
      let written = 0;
      if (pos === 0) { written = bufToIov(this.as, elem.in, 0, hdr); }
      const payloadFrom = Math.max(0, pos - HDR_LEN);
      const chunk = frame.subarray(payloadFrom, payloadFrom + len - written);
      bufToIov(this.as, elem.in, written, chunk);
      this.rx.push(elem, len);
      pos += len;
    }
    this.rx.notify();
    return true;
  }

  /** A TCP/IPv4 super-frame from the stack: gso_type, hdr_len and gso_size for the guest. */
  private fillGsoHeader(hdr: Uint8Array, frame: Uint8Array): boolean {
    if (frame.length < 14 + 40 || frame[12] !== 0x08 || frame[13] !== 0x00 || frame[23] !== 6) return false;
    const ihl = (frame[14] & 0xf) * 4;
    const thl = (frame[14 + ihl + 12] >> 4) * 4;
    const hdrLen = 14 + ihl + thl;
    hdr[0] = HdrFlag.DATA_VALID;
    hdr[1] = GsoType.TCPV4;
    hdr[2] = hdrLen & 0xff; hdr[3] = hdrLen >> 8;
    const mss = ETH_MTU - ihl - thl;
    hdr[4] = mss & 0xff; hdr[5] = mss >> 8;
    return true;
  }

  /** Send what the guest queued for transmission, until the peer asks us to wait. */
  flushTx(): void {
    this.txWaiting = false;
    if (!this.driverOk || this.broken) return;
    let pushed = false;
    const HDR_LEN = this.hdrLen;
    while (!this.txWaiting) {
      const elem = this.tx.pop();
      if (!elem) break;
      const len = iovToBuf(this.as, elem.out, 0, this.txBuf);
      this.tx.push(elem, 0);
      pushed = true;
      if (len < HDR_LEN || len === this.txBuf.length && iovSize(elem.out) > len) {
        this.guestError(`tx frame of ${iovSize(elem.out)} bytes`);
        continue;
      }
      const frame = this.txBuf.slice(HDR_LEN, len);
      if (!this.fixTxOffloads(this.txBuf, frame)) continue;
      if (!this.nc.send(frame)) this.txWaiting = true;
    }
    if (pushed) this.tx.notify();
  }

  /** Complete a partial checksum (NEEDS_CSUM); GSO frames only reach a peer that takes them. */
  private fixTxOffloads(hdr: Uint8Array, frame: Uint8Array): boolean {
    const gso = hdr[1] & ~GsoType.ECN;
    if (gso !== GsoType.NONE && (!this.offloads || gso !== GsoType.TCPV4)) {
      this.guestError(`gso_type ${hdr[1]} not negotiated`);
      return false;
    }
    if (hdr[0] & HdrFlag.NEEDS_CSUM) {
      const start = hdr[6] | (hdr[7] << 8);
      const off = hdr[8] | (hdr[9] << 8);
      if (start + off + 2 > frame.length) { this.guestError('csum_start/csum_offset past the frame'); return false; }
      let sum = 0;
      const end = frame.length;
      let i = start;
      for (; i + 1 < end; i += 2) sum += (frame[i] << 8) | frame[i + 1];
      if (i < end) sum += frame[i] << 8;
      while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
      const c = ~sum & 0xffff;
      frame[start + off] = c >> 8;
      frame[start + off + 1] = c & 0xff;
    }
    return true;
  }

  private guestError(why: string): void {
    this.errors++;
    qemuLogMask(LogMask.LOG_GUEST_ERROR, `${this.name}: ${why}\n`);
  }
}
