// virtio-rng (virtio 1.2, 5.4 "Entropy Device"): one request queue whose device-writable
// buffers are filled from the entropy source the host gives us.
import type { AddressSpace } from '../../exec/memory.js';
import { VirtIODevice, type VirtQueue, bufToIov, iovSize } from './virtio.js';

export const VIRTIO_ID_RNG = 4;
const QUEUE_SIZE = 8;
/** Largest fill per request: bounds the host allocation a guest can cause. */
const MAX_CHUNK = 64 * 1024;

/** Fills `buf` with random bytes (node:crypto's randomFillSync on Node, crypto.getRandomValues in a browser). */
export type EntropySource = (buf: Uint8Array) => void;

export class VirtIORNG extends VirtIODevice {
  readonly deviceId = VIRTIO_ID_RNG;
  readonly name = 'virtio-rng';

  constructor(as: AddressSpace, private readonly entropy: EntropySource) {
    super(as);
    this.addQueue(QUEUE_SIZE, (vq) => this.handleOutput(vq));
  }

  readConfig(): number {
    return 0; // no config space
  }

  private handleOutput(vq: VirtQueue): void {
    let pushed = false;
    for (let elem = vq.pop(); elem; elem = vq.pop()) {
      const buf = new Uint8Array(Math.min(iovSize(elem.in), MAX_CHUNK));
      this.entropy(buf);
      vq.push(elem, bufToIov(this.as, elem.in, 0, buf));
      pushed = true;
    }
    if (pushed) vq.notify();
  }
}
