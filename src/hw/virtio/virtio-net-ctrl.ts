// virtio-net's control virtqueue and receive filter (virtio 1.2, 5.1.6.5; QEMU's
// virtio_net_handle_ctrl and receive_filter): CTRL_RX (promiscuous, all-multicast, and with
// CTRL_RX_EXTRA all-unicast, no-multicast, no-unicast, no-broadcast), CTRL_MAC (the unicast and
// multicast address table, and MAC_ADDR_SET: `ip link set eth0 address ...` in the guest) and
// CTRL_VLAN (the 4096-bit VLAN filter). After reset the device is promiscuous, as QEMU's is,
// until the driver says otherwise (Linux does at `ip link set up`).
import type { AddressSpace } from '../../exec/memory.js';
import { type VirtQueueElement, bufToIov, iovSize, iovToBuf } from './virtio.js';

export const enum CtrlClass { RX = 0, MAC = 1, VLAN = 2, ANNOUNCE = 3, MQ = 4, GUEST_OFFLOADS = 5 }
const enum RxCmd { PROMISC = 0, ALLMULTI = 1, ALLUNI = 2, NOMULTI = 3, NOUNI = 4, NOBCAST = 5 }
const enum MacCmd { TABLE_SET = 0, ADDR_SET = 1 }
const enum VlanCmd { ADD = 0, DEL = 1 }
export const VIRTIO_NET_OK = 0;
export const VIRTIO_NET_ERR = 1;
/** The other classes (GUEST_OFFLOADS, ANNOUNCE): the device answers them. */
export interface CtrlFeatures { rxExtra: boolean; vlan: boolean; macAddr: boolean; other?(cls: number, cmd: number, d: Uint8Array): number }
/** QEMU's MAC_TABLE_ENTRIES: more addresses than this set the overflow flag (accept all). */
const MAC_TABLE_ENTRIES = 64;
const MAX_VLAN = 4096;
/** Longest command we read (two full MAC tables and their headers, with room). */
const CTRL_MAX = 2 + 8 + 2 * MAC_TABLE_ENTRIES * 6 + 64;

export class VirtIONetRxFilter {
  promisc = true;
  allmulti = false;
  alluni = false;
  nomulti = false;
  nouni = false;
  nobcast = false;
  private uni: Uint8Array[] = [];
  private multi: Uint8Array[] = [];
  private uniOverflow = false;
  private multiOverflow = false;
  private readonly vlans = new Uint32Array(MAX_VLAN / 32);
  /** Frames the filter dropped (tests, info). */
  dropped = 0;

  /** `mac` is the NIC's current address (MAC_ADDR_SET writes it in place). */
  constructor(readonly mac: Uint8Array) {}

  reset(): void {
    this.promisc = true;
    this.allmulti = this.alluni = this.nomulti = this.nouni = this.nobcast = false;
    this.uni = [];
    this.multi = [];
    this.uniOverflow = this.multiOverflow = false;
    this.vlans.fill(0);
  }

  /** Whether the guest wants `frame` (QEMU's receive_filter); `vlanFilter` when CTRL_VLAN is on. */
  accepts(frame: Uint8Array, vlanFilter: boolean): boolean {
    if (this.promisc || frame.length < 14) return true;
    if (vlanFilter && frame[12] === 0x81 && frame[13] === 0x00 && frame.length >= 16) {
      const vid = ((frame[14] << 8) | frame[15]) & 0xfff;
      if (!(this.vlans[vid >> 5] & (1 << (vid & 31)))) return false;
    }
    const eq = (m: Uint8Array) => m[0] === frame[0] && m[1] === frame[1] && m[2] === frame[2] && m[3] === frame[3] && m[4] === frame[4] && m[5] === frame[5];
    if (frame[0] & 1) {
      if (frame[0] === 0xff && frame[1] === 0xff && frame[2] === 0xff && frame[3] === 0xff && frame[4] === 0xff && frame[5] === 0xff) return !this.nobcast;
      if (this.nomulti) return false;
      if (this.allmulti || this.multiOverflow) return true;
      return this.multi.some(eq);
    }
    if (this.nouni) return false;
    if (this.alluni || this.uniOverflow) return true;
    return eq(this.mac) || this.uni.some(eq);
  }

  /**
   * One control request: class and command, then data, in the device-readable part; the ack
   * byte goes at the end of the device-writable part. Returns bytes written (for the used ring),
   * or undefined for a malformed element (QEMU: virtio_error).
   */
  handle(as: AddressSpace, elem: VirtQueueElement, features: CtrlFeatures): number | undefined {
    const inLen = iovSize(elem.in);
    const outLen = iovSize(elem.out);
    if (inLen < 1 || outLen < 2) return undefined;
    const buf = new Uint8Array(Math.min(outLen, CTRL_MAX));
    const n = iovToBuf(as, elem.out, 0, buf);
    const status = outLen > CTRL_MAX ? VIRTIO_NET_ERR : this.command(buf[0], buf[1], buf.subarray(2, n), features);
    bufToIov(as, elem.in, inLen - 1, new Uint8Array([status]));
    return 1;
  }

  private command(cls: number, cmd: number, d: Uint8Array, f: CtrlFeatures): number {
    switch (cls) {
      case CtrlClass.RX: {
        if (d.length !== 1) return VIRTIO_NET_ERR;
        const on = d[0] !== 0;
        if (cmd === RxCmd.PROMISC) this.promisc = on;
        else if (cmd === RxCmd.ALLMULTI) this.allmulti = on;
        else if (!f.rxExtra) return VIRTIO_NET_ERR;
        else if (cmd === RxCmd.ALLUNI) this.alluni = on;
        else if (cmd === RxCmd.NOMULTI) this.nomulti = on;
        else if (cmd === RxCmd.NOUNI) this.nouni = on;
        else if (cmd === RxCmd.NOBCAST) this.nobcast = on;
        else return VIRTIO_NET_ERR;
        return VIRTIO_NET_OK;
      }
      case CtrlClass.MAC:
        if (cmd === MacCmd.ADDR_SET) {
          if (!f.macAddr || d.length !== 6) return VIRTIO_NET_ERR;
          this.mac.set(d);
          return VIRTIO_NET_OK;
        }
        if (cmd === MacCmd.TABLE_SET) return this.tableSet(d);
        return VIRTIO_NET_ERR;
      case CtrlClass.VLAN: {
        if (!f.vlan || d.length !== 2) return VIRTIO_NET_ERR;
        const vid = d[0] | (d[1] << 8);
        if (vid >= MAX_VLAN) return VIRTIO_NET_ERR;
        if (cmd === VlanCmd.ADD) this.vlans[vid >> 5] |= 1 << (vid & 31);
        else if (cmd === VlanCmd.DEL) this.vlans[vid >> 5] &= ~(1 << (vid & 31));
        else return VIRTIO_NET_ERR;
        return VIRTIO_NET_OK;
      }
      default:
        return f.other?.(cls, cmd, d) ?? VIRTIO_NET_ERR;
    }
  }

  /** Two tables, each a little-endian u32 count and that many addresses; all or nothing. */
  private tableSet(d: Uint8Array): number {
    const tables: Uint8Array[][] = [];
    const overflow: boolean[] = [];
    let o = 0;
    for (let t = 0; t < 2; t++) {
      if (o + 4 > d.length) return VIRTIO_NET_ERR;
      const count = (d[o] | (d[o + 1] << 8) | (d[o + 2] << 16) | (d[o + 3] << 24)) >>> 0;
      o += 4;
      if (count > (d.length - o) / 6) return VIRTIO_NET_ERR;
      const macs: Uint8Array[] = [];
      for (let i = 0; i < count; i++) macs.push(d.slice(o + i * 6, o + i * 6 + 6));
      o += count * 6;
      overflow.push(count > MAC_TABLE_ENTRIES);
      tables.push(count > MAC_TABLE_ENTRIES ? [] : macs);
    }
    if (o !== d.length) return VIRTIO_NET_ERR;
    [this.uni, this.multi] = tables;
    [this.uniOverflow, this.multiOverflow] = overflow;
    return VIRTIO_NET_OK;
  }
}
