// virtio-balloon (virtio 1.2, 5.5 "Traditional Memory Balloon Device"): the host asks for a
// number of 4 KiB pages (num_pages, QMP `balloon`), the driver gives them back on the inflate
// queue and reports how many it holds (actual, QMP `query-balloon`). Pages given back are
// not returned to the host here (nothing is unmapped: the WebAssembly memory is one block);
// the bookkeeping is what management tools (libvirt) look at. The stats queue (STATS_VQ) is
// QEMU's: the driver hands in a buffer of {le16 tag, le64 value} records, the device keeps it and
// gives it back every guest-stats-polling-interval seconds to ask for fresh values; QOM's
// guest-stats shows the last ones (libvirt's `virsh dommemstat`). No free-page hints.
import type { AddressSpace } from '../../exec/memory.js';
import { VirtIODevice, type VirtQueue, type VirtQueueElement, iovToBuf } from './virtio.js';

export const VIRTIO_BALLOON_F_STATS_VQ = 1;
/** QEMU's balloon_stat_names, by tag (VIRTIO_BALLOON_S_*). */
export const BALLOON_STAT_NAMES = ['stat-swap-in', 'stat-swap-out', 'stat-major-faults', 'stat-minor-faults', 'stat-free-memory',
  'stat-total-memory', 'stat-available-memory', 'stat-disk-caches', 'stat-htlb-pgalloc', 'stat-htlb-pgfail'];
const STAT_NONE = 0xffffffffffffffffn;
const STAT_RECORD = 10;

/** A one-shot timer (the host's; QEMU's is QEMU_CLOCK_VIRTUAL). */
export type BalloonTimer = (ms: number, cb: () => void) => () => void;
const hostTimer: BalloonTimer = (ms, cb) => { const t = globalThis.setTimeout(cb, ms); return () => globalThis.clearTimeout(t); };

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

  /** The driver's last statistics by tag (all ones: never reported), and when (seconds since the epoch). */
  readonly stats: bigint[] = BALLOON_STAT_NAMES.map(() => STAT_NONE);
  statsLastUpdate = 0;
  /** guest-stats-polling-interval, seconds (0: off). */
  pollInterval = 0;
  private statsElem: VirtQueueElement | undefined;
  private cancelTimer: (() => void) | undefined;
  private readonly svq: VirtQueue;

  constructor(as: AddressSpace, readonly ramSize: number, private readonly timer: BalloonTimer = hostTimer,
    private readonly now: () => number = () => Math.floor(Date.now() / 1000)) {
    super(as);
    this.hostFeatures |= 1n << BigInt(VIRTIO_BALLOON_F_STATS_VQ);
    // inflate and deflate: page frame numbers the driver gives or takes back; consumed as-is.
    this.addQueue(QUEUE_SIZE, (vq) => this.drain(vq));
    this.addQueue(QUEUE_SIZE, (vq) => this.drain(vq));
    this.svq = this.addQueue(QUEUE_SIZE, (vq) => this.receiveStats(vq));
  }

  /** QOM guest-stats: {stats: {stat-*: value}, last-update}. */
  guestStats(): { stats: Record<string, bigint>; 'last-update': number } {
    return { stats: Object.fromEntries(BALLOON_STAT_NAMES.map((n, i) => [n, this.stats[i]])), 'last-update': this.statsLastUpdate };
  }

  /** QOM guest-stats-polling-interval's setter (balloon_stats_set_poll_interval), QEMU's errors. */
  setPollInterval(value: number): void {
    if (value < 0) throw new Error('timer value must be greater than zero');
    if (value > 0xffffffff) throw new Error('timer value is too big');
    if (value === this.pollInterval) return;
    this.pollInterval = value;
    this.armTimer();
  }

  private armTimer(): void {
    this.cancelTimer?.();
    this.cancelTimer = undefined;
    if (this.pollInterval > 0) this.cancelTimer = this.timer(this.pollInterval * 1000, () => { this.cancelTimer = undefined; this.pollStats(); });
  }

  private get statsNegotiated(): boolean {
    return (this.guestFeatures & (1n << BigInt(VIRTIO_BALLOON_F_STATS_VQ))) !== 0n;
  }

  /** balloon_stats_poll_cb: give the held buffer back (the driver refills it), or wait another interval. */
  private pollStats(): void {
    const elem = this.statsElem;
    if (!elem || !this.statsNegotiated) { this.armTimer(); return; }
    this.statsElem = undefined;
    this.svq.push(elem, 0);
    this.svq.notify();
  }

  /** virtio_balloon_receive_stats: read the records, keep the buffer until the next poll. */
  private receiveStats(vq: VirtQueue): void {
    const elem = vq.pop();
    if (!elem) return;
    if (this.statsElem) { this.error('stats queue: a second buffer while one is held'); return; }
    const len = elem.out.reduce((n, s) => n + s.len, 0);
    const buf = new Uint8Array(len - (len % STAT_RECORD));
    const got = iovToBuf(this.as, elem.out, 0, buf);
    const dv = new DataView(buf.buffer);
    for (let off = 0; off + STAT_RECORD <= got; off += STAT_RECORD) {
      const tag = dv.getUint16(off, true);
      if (tag < this.stats.length) this.stats[tag] = dv.getBigUint64(off + 2, true);
    }
    this.statsElem = elem;
    this.statsLastUpdate = this.now();
    this.armTimer();
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
    this.statsElem = undefined; // virtio_balloon_device_reset: the held buffer is dropped
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
