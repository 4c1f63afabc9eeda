// The eMMC Replay Protected Memory Block (JEDEC JESD84-B51 6.6.22): 512-byte frames carrying
// a 256-byte half-sector each, authenticated with HMAC-SHA256 under a key programmed once, and a
// write counter that only goes up. Frame layout (big-endian fields):
//   [0,196) stuff | [196,228) key / MAC | [228,484) data | [484,500) nonce | [500,504) write counter
//   [504,506) address | [506,508) block count | [508,510) result | [510,512) request / response
// The MAC covers bytes [228,512) of every frame of a request or response, in order.
// Unlike QEMU 10.2 (whose key and counter are lost at every restart), the key and the counter
// live in an RPMBStateStore the machine gives us, so a programmed part stays programmed.
import { qcryptoHmacBytesv } from '../../crypto/hash.js';

export const RPMB_FRAME = 512;
export const RPMB_HALF_SECTOR = 256;
const KEY_MAC = 196, DATA = 228, NONCE = 484, COUNTER = 500, ADDRESS = 504, BLOCK_COUNT = 506, RESULT = 508, REQ = 510;

export const enum RPMBReq { PROGRAM_KEY = 1, READ_COUNTER = 2, AUTH_WRITE = 3, AUTH_READ = 4, RESULT_READ = 5 }
export const enum RPMBResult {
  OK = 0, GENERAL_FAILURE = 1, AUTH_FAILURE = 2, COUNTER_FAILURE = 3, ADDRESS_FAILURE = 4, WRITE_FAILURE = 5,
  READ_FAILURE = 6, NO_KEY = 7, COUNTER_EXPIRED = 0x80,
}

/** The part's non-volatile registers. */
export interface RPMBState { key: Uint8Array | null; counter: number }

/** Where the key and counter persist (a small file beside the image on Node). */
export interface RPMBStateStore {
  load(): RPMBState | null;
  save(s: RPMBState): void;
}

/** The RPMB data area: 256-byte half-sectors at `address * 256` of the partition. */
export interface RPMBData {
  size: number;
  read(off: number, len: number): Promise<Uint8Array>;
  write(off: number, data: Uint8Array): Promise<void>;
}

const be16 = (f: Uint8Array, off: number) => (f[off] << 8) | f[off + 1];
const be32 = (f: Uint8Array, off: number) => ((f[off] << 24) | (f[off + 1] << 16) | (f[off + 2] << 8) | f[off + 3]) >>> 0;
const put16 = (f: Uint8Array, off: number, v: number) => { f[off] = (v >> 8) & 0xff; f[off + 1] = v & 0xff; };
const put32 = (f: Uint8Array, off: number, v: number) => { for (let i = 0; i < 4; i++) f[off + i] = (v >>> (24 - 8 * i)) & 0xff; };

/** Constant-time comparison of two MACs. */
function macEqual(a: Uint8Array, b: Uint8Array): boolean {
  let d = a.length ^ b.length;
  for (let i = 0; i < a.length && i < b.length; i++) d |= a[i] ^ b[i];
  return d === 0;
}

export class RPMB {
  private state: RPMBState;
  /** The response the next read returns (set by the last request). */
  private pending: { type: number; result: number; counter: number; address: number; nonce?: Uint8Array;
    blocks?: number } | null = null;

  constructor(private readonly data: RPMBData, private readonly store?: RPMBStateStore) {
    this.state = store?.load() ?? { key: null, counter: 0 };
  }

  get keyProgrammed(): boolean { return this.state.key !== null; }
  get counter(): number { return this.state.counter; }

  private mac(frames: readonly Uint8Array[]): Uint8Array {
    return qcryptoHmacBytesv('sha256', this.state.key as Uint8Array, frames.map((f) => f.subarray(DATA, RPMB_FRAME)));
  }

  private persist(): void {
    this.store?.save({ key: this.state.key && this.state.key.slice(), counter: this.state.counter });
  }

  /**
   * A write transfer (CMD25 after CMD23) of `frames`; `reliable` is CMD23's reliable-write bit.
   * Returns false when the transfer itself is refused (the host sees a general failure later).
   */
  async request(frames: Uint8Array[], reliable: boolean): Promise<void> {
    const first = frames[0];
    const type = be16(first, REQ);
    const resp = (t: number, result: number, extra: Partial<NonNullable<RPMB['pending']>> = {}) => {
      const expired = this.state.counter === 0xffffffff ? RPMBResult.COUNTER_EXPIRED : 0;
      this.pending = { type: t, result: result | expired, counter: this.state.counter, address: 0, ...extra };
    };
    switch (type) {
      case RPMBReq.PROGRAM_KEY:
        if (frames.length !== 1 || !reliable) { resp(0x0100, RPMBResult.GENERAL_FAILURE); return; }
        if (this.state.key) { resp(0x0100, RPMBResult.WRITE_FAILURE); return; }
        this.state.key = first.slice(KEY_MAC, KEY_MAC + 32);
        this.persist();
        resp(0x0100, RPMBResult.OK);
        return;
      case RPMBReq.READ_COUNTER:
        if (frames.length !== 1) { resp(0x0200, RPMBResult.GENERAL_FAILURE); return; }
        this.pending = null;
        if (!this.state.key) { resp(0x0200, RPMBResult.NO_KEY, { nonce: first.slice(NONCE, NONCE + 16) }); return; }
        resp(0x0200, RPMBResult.OK, { nonce: first.slice(NONCE, NONCE + 16) });
        return;
      case RPMBReq.AUTH_WRITE: {
        const address = be16(first, ADDRESS);
        if (!reliable || be16(first, BLOCK_COUNT) !== frames.length) { resp(0x0300, RPMBResult.GENERAL_FAILURE, { address }); return; }
        if (!this.state.key) { resp(0x0300, RPMBResult.NO_KEY, { address }); return; }
        const last = frames[frames.length - 1];
        if (!macEqual(this.mac(frames), last.subarray(KEY_MAC, KEY_MAC + 32))) { resp(0x0300, RPMBResult.AUTH_FAILURE, { address }); return; }
        if (be32(first, COUNTER) !== this.state.counter) { resp(0x0300, RPMBResult.COUNTER_FAILURE, { address }); return; }
        if ((address + frames.length) * RPMB_HALF_SECTOR > this.data.size) { resp(0x0300, RPMBResult.ADDRESS_FAILURE, { address }); return; }
        if (this.state.counter === 0xffffffff) { resp(0x0300, RPMBResult.WRITE_FAILURE, { address }); return; }
        const buf = new Uint8Array(frames.length * RPMB_HALF_SECTOR);
        frames.forEach((f, i) => buf.set(f.subarray(DATA, DATA + RPMB_HALF_SECTOR), i * RPMB_HALF_SECTOR));
        try {
          await this.data.write(address * RPMB_HALF_SECTOR, buf);
        } catch {
          resp(0x0300, RPMBResult.WRITE_FAILURE, { address });
          return;
        }
        this.state.counter++;
        this.persist();
        resp(0x0300, RPMBResult.OK, { address });
        return;
      }
      case RPMBReq.AUTH_READ: {
        const address = be16(first, ADDRESS);
        if (frames.length !== 1) { resp(0x0400, RPMBResult.GENERAL_FAILURE, { address }); return; }
        resp(0x0400, this.state.key ? RPMBResult.OK : RPMBResult.NO_KEY, { address, nonce: first.slice(NONCE, NONCE + 16) });
        return;
      }
      case RPMBReq.RESULT_READ:
        // Keeps the response of the preceding write (program key or authenticated write).
        if (!this.pending || (this.pending.type !== 0x0100 && this.pending.type !== 0x0300)) resp(0x0000, RPMBResult.GENERAL_FAILURE);
        return;
      default:
        resp(0x0000, RPMBResult.GENERAL_FAILURE);
    }
  }

  /** A read transfer (CMD18) of `n` frames: the response to the last request. */
  async response(n: number): Promise<Uint8Array[]> {
    const p = this.pending ?? { type: 0, result: RPMBResult.GENERAL_FAILURE, counter: this.state.counter, address: 0 };
    const frames = Array.from({ length: n }, () => new Uint8Array(RPMB_FRAME));
    let result = p.result;
    if (p.type === 0x0400 && result === RPMBResult.OK) {
      if ((p.address + n) * RPMB_HALF_SECTOR > this.data.size) result = RPMBResult.ADDRESS_FAILURE;
      else {
        try {
          const d = await this.data.read(p.address * RPMB_HALF_SECTOR, n * RPMB_HALF_SECTOR);
          frames.forEach((f, i) => f.set(d.subarray(i * RPMB_HALF_SECTOR, (i + 1) * RPMB_HALF_SECTOR), DATA));
        } catch {
          result = RPMBResult.READ_FAILURE;
        }
      }
    }
    for (const f of frames) {
      if (p.nonce) f.set(p.nonce, NONCE);
      if (p.type !== 0x0400) put32(f, COUNTER, p.counter);
      put16(f, ADDRESS, p.address);
      if (p.type === 0x0400) put16(f, BLOCK_COUNT, n);
      put16(f, RESULT, result);
      put16(f, REQ, p.type);
    }
    // Responses are authenticated whenever there is a key (not the key programming one).
    if (this.state.key && p.type !== 0x0100 && p.type !== 0) frames[n - 1].set(this.mac(frames), KEY_MAC);
    return frames;
  }
}
