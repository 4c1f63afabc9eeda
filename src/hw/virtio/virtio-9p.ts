// virtio-9p (virtio 1.2 device ID 9, "9P transport"; QEMU's hw/9pfs/virtio-9p-device.c): one request
// queue; each chain is one 9P message out and room for its reply in. The mount tag sits in
// config space (u16 tag_len, tag bytes) behind VIRTIO_9P_MOUNT_TAG. The 9P server is
// transport-free (src/9pfs/9p.ts); this file only moves bytes. Replies go back in completion
// order; a reset drops the replies of requests from before it and the session's fids.
import type { AddressSpace } from '../../exec/memory.js';
import { V9fsState, P9_MAX_MSIZE } from '../../9pfs/9p.js';
import { VirtIODevice, type VirtQueue, type VirtQueueElement, bufToIov, iovSize, iovToBuf } from './virtio.js';

export const VIRTIO_ID_9P = 9;
const VIRTIO_9P_MOUNT_TAG = 0n;
/** QEMU's MAX_REQ: requests in flight per device. */
const QUEUE_SIZE = 128;
export const MAX_TAG_LEN = 65535;

export class VirtIO9P extends VirtIODevice {
  readonly deviceId = VIRTIO_ID_9P;
  readonly name = 'virtio-9p';
  private readonly config: Uint8Array;
  private generation = 0;
  inflight = 0;
  private readonly idle: Array<() => void> = [];

  constructor(as: AddressSpace, readonly server: V9fsState, readonly mountTag: string) {
    super(as);
    this.hostFeatures |= 1n << VIRTIO_9P_MOUNT_TAG;
    const tag = new TextEncoder().encode(mountTag);
    this.config = new Uint8Array(2 + tag.length);
    new DataView(this.config.buffer).setUint16(0, tag.length, true);
    this.config.set(tag, 2);
    this.addQueue(QUEUE_SIZE, (vq) => this.handleOutput(vq));
  }

  readConfig(offset: number, size: number): number {
    let v = 0;
    for (let i = size - 1; i >= 0; i--) v = v * 256 + (this.config[offset + i] ?? 0);
    return v;
  }

  override reset(): void {
    this.generation++;
    super.reset();
    void this.server.resetSession();
  }

  /** Resolves when no request is in flight. */
  drain(): Promise<void> {
    return this.inflight === 0 ? Promise.resolve() : new Promise((r) => this.idle.push(r));
  }

  private handleOutput(vq: VirtQueue): void {
    for (let elem = vq.pop(); elem; elem = vq.pop()) this.submit(vq, elem);
  }

  private submit(vq: VirtQueue, elem: VirtQueueElement): void {
    const req = new Uint8Array(Math.min(iovSize(elem.out), P9_MAX_MSIZE));
    const got = iovToBuf(this.as, elem.out, 0, req);
    // Twalk/Tgetattr/Tclunk complete here, before the guest's kick returns (9p.ts handleSync).
    const now = this.server.handleSync(req.subarray(0, got), iovSize(elem.in));
    if (now !== undefined) {
      if (!now) { this.error('9p reply does not fit the device-writable buffers'); return; }
      vq.push(elem, bufToIov(this.as, elem.in, 0, now));
      vq.notify();
      return;
    }
    const gen = this.generation;
    this.inflight++;
    void this.server.handle(req.subarray(0, got), iovSize(elem.in)).then((reply) => {
      if (gen !== this.generation || this.broken) return;
      if (!reply) { this.error('9p reply does not fit the device-writable buffers'); return; }
      vq.push(elem, bufToIov(this.as, elem.in, 0, reply));
      vq.notify();
    }).finally(() => {
      if (--this.inflight === 0) for (const r of this.idle.splice(0)) r();
    });
  }
}
