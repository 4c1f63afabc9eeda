// virtio-blk (virtio 1.2, 5.2): read, write, flush, get-id, discard, write-zeroes on a
// BlockBackend. Requests run asynchronously; completions fill the used ring in completion
// order. A request from before a device reset is dropped when it completes; a reset with
// requests in flight hands their drain to onResetInFlight, which holds the vCPUs until the
// data has landed (QEMU's virtio_blk_reset drains synchronously: nothing reaches guest RAM
// after the guest saw the reset).
// Failed requests follow -drive rerror=/werror= (QEMU's BlockdevOnError): report (IOERR to the
// guest), ignore (completed as success), stop (the VM pauses in io-error state and the request
// is retried on `cont`), enospc (stop on ENOSPC, report otherwise).
import type { AddressSpace } from '../../exec/memory.js';
import type { BlockBackend } from '../../block/block-backend.js';
import { LogMask, qemuLogMask } from '../../qemu/log.js';
import { QemuError } from '../../qemu/error.js';
import {
  VIRTIO_F_ANY_LAYOUT, VIRTIO_RING_F_EVENT_IDX, VirtIODevice, type VirtQueue, type VirtQueueElement, bufToIov, iovSize, iovSlice, iovToBuf,
} from './virtio.js';
import { ioRequestBegin, ioRequestEnd } from '../../main-loop/io-inflight.js';

export const VIRTIO_ID_BLOCK = 2;

export const enum VirtioBlkFeature {
  SIZE_MAX = 1, SEG_MAX = 2, GEOMETRY = 4, RO = 5, BLK_SIZE = 6, FLUSH = 9, TOPOLOGY = 10, CONFIG_WCE = 11, MQ = 12, DISCARD = 13, WRITE_ZEROES = 14,
}
export const enum VirtioBlkType { IN = 0, OUT = 1, FLUSH = 4, GET_ID = 8, DISCARD = 11, WRITE_ZEROES = 13 }
export const enum VirtioBlkStatus { OK = 0, IOERR = 1, UNSUPP = 2 }

const SECTOR = 512;
const QUEUE_SIZE = 256;
const SEG_MAX = QUEUE_SIZE - 2;
const ID_BYTES = 20;
/** Limits advertised for discard / write-zeroes (QEMU's defaults: 4 GiB - 512 in one segment). */
const MAX_DISCARD_SECTORS = 0x3fffff;
const MAX_DISCARD_SEG = 1;
const WRITE_ZEROES_UNMAP = 1;
/** notifyLater's microtask: then() on a settled promise queues its callback at once. */
const resolved = Promise.resolve();

export type BlockdevOnError = 'report' | 'ignore' | 'stop' | 'enospc';

/** -drive werror=/rerror= values, as QEMU's parse_block_error_action (rerror has no enospc). */
export function parseBlockErrorAction(value: string, isRead: boolean): BlockdevOnError {
  if (value === 'report' || value === 'ignore' || value === 'stop' || (value === 'enospc' && !isRead)) return value;
  throw new QemuError(`'${value}' invalid ${isRead ? 'read' : 'write'} error action`);
}

export interface VirtIOBlkProps {
  /** -drive serial= (the GET_ID answer, up to 20 bytes). */
  serial?: string;
  /** Defaults: werror=enospc, rerror=report. */
  werror?: BlockdevOnError;
  rerror?: BlockdevOnError;
  /** A request failed with the stop action: pause the VM (RUN_STATE_IO_ERROR). */
  onIoErrorStop?: () => void;
  /** A reset found requests in flight: keep the guest from running until `drained` resolves
   * (an io_uring READ_FIXED or a thread-pool read still writes into guest RAM until then). */
  onResetInFlight?: (drained: Promise<void>) => void;
  /** -device ...,event_idx=off: don't offer VIRTIO_RING_F_EVENT_IDX (QEMU's default: on). */
  eventIdx?: boolean;
  /** Request queues (QEMU's num-queues; more than one offers VIRTIO_BLK_F_MQ). Default 1. */
  numQueues?: number;
}

type BlkResult = { status: number; len: number };
interface StoppedReq { vq: VirtQueue; elem: VirtQueueElement; gen: number }

export class VirtIOBlock extends VirtIODevice {
  readonly deviceId = VIRTIO_ID_BLOCK;
  readonly name = 'virtio-blk';
  private generation = 0;
  /** Requests in flight (for tests and a clean shutdown). */
  inflight = 0;
  private readonly idle: Array<() => void> = [];
  /** Requests that failed with the stop action, retried by restart() (QEMU's s->rq). */
  private stopped: StoppedReq[] = [];

  constructor(as: AddressSpace, readonly blk: BlockBackend, private readonly props: VirtIOBlkProps = {}) {
    super(as);
    const f = (b: VirtioBlkFeature) => 1n << BigInt(b);
    // QEMU's virtio_blk_get_features with its defaults (config-wce=on, discard=on, write-zeroes=on;
    // FLUSH as x-enable-wce-if-config-wce gives it with CONFIG_WCE).
    this.hostFeatures |= f(VirtioBlkFeature.SEG_MAX) | f(VirtioBlkFeature.GEOMETRY) | f(VirtioBlkFeature.BLK_SIZE) |
      f(VirtioBlkFeature.FLUSH) | f(VirtioBlkFeature.TOPOLOGY) | f(VirtioBlkFeature.CONFIG_WCE) | f(VirtioBlkFeature.DISCARD) |
      f(VirtioBlkFeature.WRITE_ZEROES);
    this.geometry = chsForSize(blk.getLength() / SECTOR);
    // QEMU guesses at realize from the MBR (hd_geometry_guess); the guest reads the config long after.
    const mbr = new Uint8Array(SECTOR);
    if (blk.getLength() >= SECTOR && blk.preadInternal) void blk.preadInternal(0, mbr).then(() => { this.geometry = hdGeometryGuess(mbr, blk.getLength() / SECTOR); }, () => {});
    if (blk.readOnly) this.hostFeatures |= f(VirtioBlkFeature.RO);
    if (props.eventIdx === false) this.hostFeatures &= ~(1n << VIRTIO_RING_F_EVENT_IDX);
    // A legacy driver is offered SCSI (bit 7; its requests answer UNSUPP, as QEMU's since 5.0)
    // and no ANY_LAYOUT (QEMU's virtio_blk_get_features without VERSION_1).
    this.legacyFeatures = (this.legacyFeatures & ~(1n << VIRTIO_F_ANY_LAYOUT)) | (1n << 7n);
    this.numQueues = props.numQueues ?? 1;
    if (this.numQueues > 1) this.hostFeatures |= f(VirtioBlkFeature.MQ);
    for (let i = 0; i < this.numQueues; i++) this.addQueue(QUEUE_SIZE, (vq) => this.handleOutput(vq));
    blk.setResizeCallback?.(() => this.notifyConfig()); // virtio_blk_resize: the capacity changed
  }

  override reset(): void {
    this.generation++;
    this.stopped = []; // QEMU's reset frees the requests kept for a retry
    this.toNotify.length = 0;
    super.reset();
    if (this.inflight > 0) {
      this.stats.resetsInFlight++;
      this.props.onResetInFlight?.(this.drain());
    }
  }

  /** The VM runs again (`cont`): resubmit the requests a stop action kept. */
  restart(): void {
    for (const r of this.stopped.splice(0)) if (r.gen === this.generation) this.submit(r.vq, r.elem);
  }

  /** Queue notifications that produced requests, and requests (the engine's batching is per notification). */
  readonly stats = { notifies: 0, requests: 0, resetsInFlight: 0, depthSum: 0, completed: 0, decisions: 0 };

  /** Scratch for the request header and the status byte (read or written at once, never
   * across an await): no per-request ArrayBuffer. */
  private readonly hdr = new Uint8Array(16);
  private readonly hdrView = new DataView(this.hdr.buffer);
  private readonly statusByte = new Uint8Array(1);

  private readonly numQueues: number;
  /** The geometry virtio_blk_config reports (QEMU's blkconf_geometry guess). */
  private geometry: Chs;

  /** Requests kept for a retry (tests). */
  get stoppedRequests(): number { return this.stopped.length; }

  /** virtio_blk_config, little-endian, built on each read (capacity may change). */
  private config(): DataView {
    const c = new DataView(new ArrayBuffer(64));
    c.setBigUint64(0, BigInt(Math.floor(this.blk.getLength() / SECTOR)), true); // capacity
    c.setUint32(12, SEG_MAX, true); // seg_max
    c.setUint16(16, this.geometry.cyls, true);
    c.setUint8(18, this.geometry.heads);
    c.setUint8(19, this.geometry.secs);
    c.setUint32(20, SECTOR, true); // blk_size
    c.setUint8(32, this.blk.writeCacheEnabled?.() === false ? 0 : 1); // wce
    c.setUint16(34, this.numQueues, true);
    c.setUint32(36, MAX_DISCARD_SECTORS, true);
    c.setUint32(40, MAX_DISCARD_SEG, true);
    c.setUint32(44, 1, true); // discard_sector_alignment (sectors)
    c.setUint32(48, MAX_DISCARD_SECTORS, true); // max_write_zeroes_sectors
    c.setUint32(52, MAX_DISCARD_SEG, true);
    c.setUint8(56, 1); // write_zeroes_may_unmap
    return c;
  }

  /** virtio_blk_set_config: the guest's cache_type (wce) switches the drive's write cache. */
  override writeConfig(offset: number, size: number, value: number): void {
    if (offset !== 32 || size !== 1 || (this.guestFeatures & (1n << BigInt(VirtioBlkFeature.CONFIG_WCE))) === 0n) return;
    this.blk.setWriteCache?.(value !== 0);
  }

  readConfig(offset: number, size: number): number {
    if (offset + size > 60) return 0;
    const c = this.config();
    return size === 1 ? c.getUint8(offset) : size === 2 ? c.getUint16(offset, true) : c.getUint32(offset, true);
  }

  private handleOutput(vq: VirtQueue): void {
    let n = 0;
    for (let elem = vq.pop(); elem; elem = vq.pop(), n++) this.submit(vq, elem);
    if (n > 0) { this.stats.notifies++; this.stats.requests += n; }
  }

  private submit(vq: VirtQueue, elem: VirtQueueElement): void {
    const gen = this.generation;
    const info = { read: false };
    this.inflight++;
    this.stats.depthSum += this.inflight; // requests in flight counting this one (mean depth at submit)
    ioRequestBegin();
    void this.handleRequest(elem, info).then((r) => this.complete(vq, elem, gen, r), (e: unknown) => this.failed(vq, elem, gen, info.read, e));
  }

  /** virtio_blk_handle_rw_error: the drive's error action decides what the guest sees. */
  private failed(vq: VirtQueue, elem: VirtQueueElement, gen: number, read: boolean, e: unknown): void {
    const policy = read ? (this.props.rerror ?? 'report') : (this.props.werror ?? 'enospc');
    const code = (e as { code?: unknown } | null)?.code;
    const action = policy === 'enospc' ? (code === 'ENOSPC' ? 'stop' : 'report') : policy;
    if (action === 'stop' && gen === this.generation && this.props.onIoErrorStop) {
      this.stopped.push({ vq, elem, gen });
      this.finish();
      this.props.onIoErrorStop();
      return;
    }
    this.complete(vq, elem, gen, { status: action === 'ignore' ? VirtioBlkStatus.OK : VirtioBlkStatus.IOERR, len: 0 });
  }

  private complete(vq: VirtQueue, elem: VirtQueueElement, gen: number, r: BlkResult): void {
    if (gen === this.generation && !this.broken) {
      const inSize = iovSize(elem.in);
      this.statusByte[0] = r.status;
      bufToIov(this.as, elem.in, inSize - 1, this.statusByte);
      vq.push(elem, r.len + 1);
      this.stats.completed++;
      this.notifyLater(vq);
    }
    this.finish();
  }

  /** Queues with chains pushed since their last notify() (an array and a resolved promise's
   * then(), not a Set and queueMicrotask: Set.prototype.clear is a C++ builtin and node's
   * queueMicrotask runs each callback in an async scope, ~1.5% of a random-read guest's CPU). */
  private readonly toNotify: VirtQueue[] = [];
  private readonly notifyPending = (): void => {
    const qs = this.toNotify;
    this.stats.decisions++;
    for (let i = 0; i < qs.length; i++) qs[i].notify();
    qs.length = 0;
  };

  /** One interrupt decision for the completions of one host event (an io_uring batch, a
   * thread-pool wake-up): they all complete in the same run of microtasks, this runs after. */
  private notifyLater(vq: VirtQueue): void {
    if (this.toNotify.length === 0) void resolved.then(this.notifyPending);
    if (!this.toNotify.includes(vq)) this.toNotify.push(vq);
  }

  private finish(): void {
    this.inflight--;
    ioRequestEnd();
    if (this.inflight === 0) this.idle.splice(0).forEach((f) => f());
  }

  /** Resolves when no request is in flight. */
  drain(): Promise<void> {
    return this.inflight === 0 ? Promise.resolve() : new Promise((r) => this.idle.push(r));
  }

  /** Runs one request; `info.read` tells a failure's error action which policy applies. */
  private async handleRequest(elem: VirtQueueElement, info: { read: boolean }): Promise<BlkResult> {
    if (iovToBuf(this.as, elem.out, 0, this.hdr) < 16 || iovSize(elem.in) < 1) {
      this.error('request without header or status byte');
      return { status: VirtioBlkStatus.IOERR, len: 0 };
    }
    const type = this.hdrView.getUint32(0, true);
    info.read = type === VirtioBlkType.IN;
    const sector = this.hdrView.getBigUint64(8, true);
    const dataIn = iovSlice(elem.in, 0, iovSize(elem.in) - 1);
    const dataOut = iovSlice(elem.out, 16, iovSize(elem.out) - 16);
    switch (type) {
      case VirtioBlkType.IN: return this.rw(sector, dataIn, false);
      case VirtioBlkType.OUT: return this.rw(sector, dataOut, true);
      case VirtioBlkType.FLUSH:
        await this.blk.flush();
        return { status: VirtioBlkStatus.OK, len: 0 };
      case VirtioBlkType.GET_ID: {
        const id = new Uint8Array(ID_BYTES);
        id.set(new TextEncoder().encode(this.props.serial ?? '').subarray(0, ID_BYTES));
        const n = bufToIov(this.as, dataIn, 0, id.subarray(0, Math.min(ID_BYTES, iovSize(dataIn))));
        return { status: VirtioBlkStatus.OK, len: n };
      }
      case VirtioBlkType.DISCARD:
      case VirtioBlkType.WRITE_ZEROES:
        return this.discardWriteZeroes(type, dataOut);
    }
    qemuLogMask(LogMask.LOG_UNIMP, `virtio-blk: unsupported request type ${type}\n`);
    return { status: VirtioBlkStatus.UNSUPP, len: 0 };
  }

  /** Does [sector, +bytes) lie inside the disk? */
  private inRange(sector: bigint, bytes: number): boolean {
    const len = BigInt(this.blk.getLength());
    return sector * 512n + BigInt(bytes) <= len;
  }

  private async rw(sector: bigint, segs: ReturnType<typeof iovSlice>, write: boolean): Promise<{ status: number; len: number }> {
    const bytes = iovSize(segs);
    if (bytes % SECTOR !== 0 || !this.inRange(sector, bytes)) {
      qemuLogMask(LogMask.LOG_GUEST_ERROR, `virtio-blk: bad ${write ? 'write' : 'read'} of ${bytes} bytes at sector ${sector}\n`);
      return { status: VirtioBlkStatus.IOERR, len: 0 };
    }
    if (write && this.blk.readOnly) return { status: VirtioBlkStatus.IOERR, len: 0 };
    const spans: Uint8Array[][] = [];
    for (const s of segs) {
      const v = this.as.ramSpans(s.addr, s.len, !write); // one view, or one per host buffer of RAM crossed
      if (!v) {
        if (!write) spans.forEach((_, i) => this.as.dmaLanded(segs[i].addr, segs[i].len)); // unpin: nothing comes
        return { status: VirtioBlkStatus.IOERR, len: 0 };
      }
      spans.push(v);
    }
    // Every segment is submitted at once, so one notification's requests share one batch.
    const jobs: Promise<void>[] = [];
    let off = Number(sector) * SECTOR;
    segs.forEach((s, i) => {
      let pa = s.addr;
      for (const view of spans[i]) {
        const at = pa;
        if (write) jobs.push(this.blk.pwrite(off, view));
        else jobs.push(this.blk.pread(off, view).finally(() => this.as.dmaLanded(at, view.length))); // after the data landed, so stale code (and resident copies) follow
        off += view.length;
        pa += view.length;
      }
    });
    if (jobs.length === 1) { await jobs[0]; return { status: VirtioBlkStatus.OK, len: write ? 0 : bytes }; }
    // Settle every segment before completing (or failing): a failed one must not end the
    // request while a sibling still writes into guest RAM.
    const failed = (await Promise.allSettled(jobs)).find((r) => r.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;
    return { status: VirtioBlkStatus.OK, len: write ? 0 : bytes };
  }

  private async discardWriteZeroes(type: number, segs: ReturnType<typeof iovSlice>): Promise<{ status: number; len: number }> {
    const size = iovSize(segs);
    if (size === 0 || size % 16 !== 0 || size / 16 > MAX_DISCARD_SEG) return { status: VirtioBlkStatus.UNSUPP, len: 0 };
    if (this.blk.readOnly) return { status: VirtioBlkStatus.IOERR, len: 0 };
    const seg = new Uint8Array(16);
    iovToBuf(this.as, segs, 0, seg);
    const d = new DataView(seg.buffer);
    const sector = d.getBigUint64(0, true);
    const num = d.getUint32(8, true);
    const flags = d.getUint32(12, true);
    if (num > MAX_DISCARD_SECTORS || !this.inRange(sector, num * SECTOR)) return { status: VirtioBlkStatus.IOERR, len: 0 };
    if (type === VirtioBlkType.DISCARD) {
      if (flags !== 0) return { status: VirtioBlkStatus.UNSUPP, len: 0 };
      await this.blk.pdiscard(Number(sector) * SECTOR, num * SECTOR);
    } else {
      if (flags & ~WRITE_ZEROES_UNMAP) return { status: VirtioBlkStatus.UNSUPP, len: 0 };
      await this.blk.pwriteZeroes(Number(sector) * SECTOR, num * SECTOR, (flags & WRITE_ZEROES_UNMAP) !== 0);
    }
    return { status: VirtioBlkStatus.OK, len: 0 };
  }
}

interface Chs { cyls: number; heads: number; secs: number }

/** QEMU's guess_chs_for_size: a standard 16-head, 63-sector disk. */
function chsForSize(sectors: number): Chs {
  return { cyls: Math.min(16383, Math.max(2, Math.floor(sectors / (16 * 63)))), heads: 16, secs: 63 };
}

/** QEMU's hd_geometry_guess for a drive without a probed geometry: the MBR's logical CHS
 * (guess_disk_lchs) when it has at most 16 heads, else the standard geometry. */
export function hdGeometryGuess(mbr: Uint8Array, sectors: number): Chs {
  if (mbr[510] !== 0x55 || mbr[511] !== 0xaa) return chsForSize(sectors);
  for (let i = 0; i < 4; i++) {
    const p = 0x1be + i * 16;
    const nrSects = mbr[p + 12] | (mbr[p + 13] << 8) | (mbr[p + 14] << 16) | (mbr[p + 15] << 24);
    const endHead = mbr[p + 5];
    if (nrSects === 0 || endHead === 0) continue;
    const heads = endHead + 1, secs = mbr[p + 6] & 63;
    if (secs === 0) continue;
    const cyls = Math.floor(sectors / (heads * secs));
    if (cyls < 1 || cyls > 16383) continue;
    return heads > 16 ? chsForSize(sectors) : { cyls, heads, secs };
  }
  return chsForSize(sectors);
}
