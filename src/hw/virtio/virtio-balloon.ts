// virtio-balloon (virtio 1.2, 5.5 "Traditional Memory Balloon Device"): the host asks for a
// number of 4 KiB pages (num_pages, QMP `balloon`), the driver gives them back on the inflate
// queue and reports how many it holds (actual, QMP `query-balloon`). Pages given back are
// not returned to the host here (nothing is unmapped: the WebAssembly memory is one block);
// the bookkeeping is what management tools (libvirt) look at. No stats queue, no free-page hints.
import type { AddressSpace } from '../../exec/memory.js';
import { VirtIODevice, type VirtQueue } from './virtio.js';

export const VIRTIO_ID_BALLOON = 5;
const QUEUE_SIZE = 128;
export const BALLOON_PAGE_SIZE = 4096;

export class VirtIOBalloon extends VirtIODevice {
  readonly deviceId = VIRTIO_ID_BALLOON;
  readonly name = 'virtio-balloon';
  /** Pages the host wants in the balloon, and the pages the driver says it holds. */
  numPages = 0;
  actual = 0;
  /** The guest changed `actual` (QEMU's BALLOON_CHANGE event). */
  onActualChange: (actualBytes: number) => void = () => {};

  constructor(as: AddressSpace, readonly ramSize: number) {
    super(as);
    // inflate and deflate: page frame numbers the driver gives or takes back; consumed as-is.
    this.addQueue(QUEUE_SIZE, (vq) => this.drain(vq));
    this.addQueue(QUEUE_SIZE, (vq) => this.drain(vq));
  }

  /** QMP balloon: the guest should have `target` bytes (rounded down to pages, at most the RAM). */
  setTarget(target: number): void {
    const t = Math.min(Math.max(target, 0), this.ramSize);
    this.numPages = Math.floor((this.ramSize - t) / BALLOON_PAGE_SIZE);
    this.notifyConfig();
  }

  /** What query-balloon reports: the RAM not in the balloon. */
  get actualBytes(): number {
    return this.ramSize - this.actual * BALLOON_PAGE_SIZE;
  }

  readConfig(offset: number, size: number): number {
    const cfg = new DataView(new ArrayBuffer(8));
    cfg.setUint32(0, this.numPages, true);
    cfg.setUint32(4, this.actual, true);
    let v = 0;
    for (let i = 0; i < size; i++) v |= (offset + i < 8 ? cfg.getUint8(offset + i) : 0) << (8 * i);
    return v >>> 0;
  }

  override writeConfig(offset: number, size: number, value: number): void {
    if (offset !== 4 || size !== 4) return; // only `actual` is the driver's
    const pages = Math.min(value >>> 0, Math.floor(this.ramSize / BALLOON_PAGE_SIZE));
    if (pages === this.actual) return;
    this.actual = pages;
    this.onActualChange(this.actualBytes);
  }

  override reset(): void {
    super.reset();
    this.actual = 0;
  }

  private drain(vq: VirtQueue): void {
    let pushed = false;
    for (let elem = vq.pop(); elem; elem = vq.pop()) {
      vq.push(elem, 0);
      pushed = true;
    }
    if (pushed) vq.notify();
  }
}
