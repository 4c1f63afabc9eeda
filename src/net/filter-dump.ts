// -object filter-dump,id=ID,netdev=NETDEV,file=FILE[,maxlen=N] (QEMU's net/dump.c): every frame
// the netdev sends or receives goes to a pcap file (libpcap format 2.4, LINKTYPE_ETHERNET),
// truncated to maxlen bytes (65536 by default), readable by tcpdump -r and wireshark.
import type { NetFilter, NetFilterDirection } from './net.js';

const PCAP_MAGIC = 0xa1b2c3d4;
const LINKTYPE_ETHERNET = 1;

export interface PcapSink {
  write(data: Uint8Array): void;
  close(): void;
}

export class FilterDump implements NetFilter {
  readonly type = 'filter-dump';
  frames = 0;

  constructor(readonly id: string, readonly netdev: string, readonly file: string, private readonly out: PcapSink,
    private readonly maxlen: number, private readonly nowMs: () => number) {
    const h = new DataView(new ArrayBuffer(24));
    h.setUint32(0, PCAP_MAGIC, true);
    h.setUint16(4, 2, true);
    h.setUint16(6, 4, true);
    h.setUint32(16, maxlen, true); // snaplen
    h.setUint32(20, LINKTYPE_ETHERNET, true);
    out.write(new Uint8Array(h.buffer));
  }

  frame(frame: Uint8Array, _dir: NetFilterDirection): void {
    const cap = Math.min(frame.length, this.maxlen);
    const rec = new Uint8Array(16 + cap);
    const v = new DataView(rec.buffer);
    const ms = this.nowMs();
    v.setUint32(0, Math.floor(ms / 1000), true);
    v.setUint32(4, Math.floor((ms % 1000) * 1000), true);
    v.setUint32(8, cap, true);
    v.setUint32(12, frame.length, true);
    rec.set(frame.subarray(0, cap), 16);
    this.out.write(rec);
    this.frames++;
  }

  info(): string {
    return `${this.id}: type=filter-dump,netdev=${this.netdev},file=${this.file}`;
  }

  close(): void {
    this.out.close();
  }
}
