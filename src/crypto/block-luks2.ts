// LUKS2 (cryptsetup's on-disk format): a 4 KiB binary header followed by JSON metadata, the
// pair stored twice (primary at 0, secondary at hdr_size) with a sequence id and a checksum
// each; keyslots (argon2 or PBKDF2, AF-split key in a raw area), one crypt data segment.
//
//   off  len  binary header field      off  len
//     0    6  magic "LUKS\xba\xbe" /    168   40  uuid
//             "SKUL\xba\xbe" (2nd)     208   48  subsystem
//     6    2  version = 2              256    8  hdr_offset
//     8    8  hdr_size (bin + JSON)    448   64  checksum (over hdr_size bytes, this zeroed)
//    16    8  seqid
//    24   48  label
//    72   32  checksum algorithm
//   104   64  salt
import type { CryptoReadFunc, CryptoWriteFunc } from '../block/block_int.js';
import { QemuError } from '../qemu/error.js';
import { qcryptoArgon2 } from './argon2.js';
import { qcryptoBackend, qcryptoRandomBytes } from './backend.js';
import { base64Encode } from './base64.js';
import {
  LUKS_STRIPES, LuksCipherSpec, LuksVolume, QCryptoBlockLUKS, QCryptoSectorCipher, constantTimeEqual,
  luksEncryptionString, luksKeyslotRecover, luksKeyslotStore, luksKeyslotWipe, luksNewUUID, luksNewVolumeKey,
  luksParseEncryption, luksSplitKeyLen, readCString, writeCString,
} from './block-luks-common.js';
import type { LuksCreateParams } from './block-luks.js';
import { LUKS2_MAX_KEYSLOTS, Luks2Keyslot, Luks2Metadata, luks2ParseJson } from './block-luks2-json.js';
import { QCryptoHashAlgo, isHashAlgo, qcryptoHashBytesv, qcryptoHashDigestLen } from './hash.js';
import { qcryptoPbkdf2, qcryptoPbkdf2CountIters } from './pbkdf.js';

export const LUKS2_BIN_HEADER_LEN = 4096;
const MAGIC_2ND = [0x53, 0x4b, 0x55, 0x4c, 0xba, 0xbe];
const MAGIC_1ST = [0x4c, 0x55, 0x4b, 0x53, 0xba, 0xbe];
/** The header sizes LUKS2 allows (binary + JSON), 16 KiB to 4 MiB. */
const HDR_SIZES = [16, 32, 64, 128, 256, 512, 1024, 2048, 4096].map((k) => k * 1024);
const CSUM_OFF = 448;
const CSUM_LEN = 64;
const MIN_ITERATIONS = 1000;
const ARGON2_MIN_TIME = 4;
const CREATE_HDR_SIZE = 16384;

export interface Luks2CreateParams extends LuksCreateParams {
  sectorSize: number;
  kdf: 'pbkdf2' | 'argon2i' | 'argon2id';
  memoryKiB: number;
  parallel: number;
}

interface Luks2Binary {
  hdrSize: number;
  seqid: number;
  csumAlg: QCryptoHashAlgo;
  uuid: string;
  label: string;
  subsystem: string;
}

function dv(buf: Uint8Array): DataView { return new DataView(buf.buffer, buf.byteOffset, buf.byteLength); }

function u64(buf: Uint8Array, off: number, what: string): number {
  const v = dv(buf).getBigUint64(off);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new QemuError(`LUKS2 header ${what} is out of range`);
  return Number(v);
}

/** Binary header fields; `second` selects the expected magic and offset. */
function parseBinary(b: Uint8Array, second: boolean, at: number): Luks2Binary {
  const magic = second ? MAGIC_2ND : MAGIC_1ST;
  if (!magic.every((x, i) => b[i] === x)) throw new QemuError('Volume is not in LUKS format');
  const version = dv(b).getUint16(6);
  if (version !== 2) throw new QemuError(`LUKS version ${version} is not supported`);
  const hdrSize = u64(b, 8, 'hdr_size');
  if (!HDR_SIZES.includes(hdrSize)) throw new QemuError(`LUKS2 header size ${hdrSize} is invalid`);
  if (u64(b, 256, 'hdr_offset') !== at) throw new QemuError(`LUKS2 header offset does not match its location ${at}`);
  const csumAlg = readCString(b, 72, 32, 'checksum_alg');
  if (!isHashAlgo(csumAlg) || qcryptoHashDigestLen(csumAlg) > CSUM_LEN) throw new QemuError(`Unsupported LUKS2 checksum algorithm '${csumAlg}'`);
  return {
    hdrSize, seqid: u64(b, 16, 'seqid'), csumAlg, uuid: readCString(b, 168, 40, 'uuid'),
    label: readCString(b, 24, 48, 'label'), subsystem: readCString(b, 208, 48, 'subsystem'),
  };
}

function checksum(alg: QCryptoHashAlgo, whole: Uint8Array): Uint8Array {
  const zeroed = whole.slice(0, LUKS2_BIN_HEADER_LEN);
  zeroed.fill(0, CSUM_OFF, CSUM_OFF + CSUM_LEN);
  return qcryptoHashBytesv(alg, [zeroed, whole.subarray(LUKS2_BIN_HEADER_LEN)]);
}

interface Luks2Copy { bin: Luks2Binary; meta: Luks2Metadata; json: Record<string, unknown> }

/** Read, checksum and parse one header copy at `at`. */
async function readCopy(read: CryptoReadFunc, first: Uint8Array | null, at: number): Promise<Luks2Copy> {
  const head = first ?? new Uint8Array(LUKS2_BIN_HEADER_LEN);
  if (!first) await read(at, head);
  const bin = parseBinary(head, at !== 0, at);
  const whole = new Uint8Array(bin.hdrSize);
  whole.set(head);
  await read(at + LUKS2_BIN_HEADER_LEN, whole.subarray(LUKS2_BIN_HEADER_LEN));
  const want = checksum(bin.csumAlg, whole);
  if (!constantTimeEqual(want, head.subarray(CSUM_OFF, CSUM_OFF + want.length))) throw new QemuError('LUKS2 header checksum mismatch');
  const area = whole.subarray(LUKS2_BIN_HEADER_LEN);
  const nul = area.indexOf(0);
  if (nul < 0) throw new QemuError('LUKS2 header is corrupt: JSON area is not NUL-terminated');
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(area.subarray(0, nul));
  } catch {
    throw new QemuError('LUKS2 header is corrupt: JSON area is not UTF-8');
  }
  const { meta, json } = luks2ParseJson(text, bin.hdrSize);
  return { bin, meta, json };
}

/** The newest valid copy; the primary's error if neither is valid. */
async function readHeaders(first: Uint8Array, read: CryptoReadFunc): Promise<Luks2Copy> {
  let primary: Luks2Copy | null = null;
  let err: unknown = null;
  try { primary = await readCopy(read, first, 0); } catch (e) { err = e; }
  const offsets = primary ? [primary.bin.hdrSize] : HDR_SIZES;
  let secondary: Luks2Copy | null = null;
  for (const at of offsets) {
    try { secondary = await readCopy(read, null, at); break; } catch { /* try the next location */ }
  }
  if (primary && secondary && secondary.bin.seqid > primary.bin.seqid) return secondary;
  if (primary) return primary;
  if (secondary) return secondary;
  if (err instanceof QemuError) throw err;
  throw err instanceof Error ? new QemuError(`Unable to read LUKS2 header: ${err.message}`) : new QemuError('Unable to read LUKS2 header');
}

async function deriveSlotKey(k: Luks2Keyslot, pass: Uint8Array): Promise<Uint8Array> {
  const f = k.kdf;
  if (f.type === 'pbkdf2') return qcryptoPbkdf2(f.hash, pass, f.salt, f.iterations, k.areaSpec.keyBytes);
  return qcryptoArgon2(f, pass, f.salt, k.areaSpec.keyBytes);
}

class Luks2Volume implements LuksVolume {
  readonly version = 2;
  readonly numSlots = LUKS2_MAX_KEYSLOTS;
  constructor(public copy: Luks2Copy, readonly spec: LuksCipherSpec) {}

  private get meta(): Luks2Metadata { return this.copy.meta; }

  /** The digest that binds keyslots to segment 0. */
  private digest() {
    const d = this.meta.digests.find((x) => x.segments.includes(0));
    if (!d) throw new QemuError('LUKS2 header is corrupt: no digest for segment 0');
    return d;
  }

  slot(i: number): Luks2Keyslot | undefined { return this.meta.keyslots.find((k) => k.id === i); }
  isActive(i: number): boolean { return this.slot(i) !== undefined; }

  async trySlot(k: Luks2Keyslot, pass: Uint8Array, read: CryptoReadFunc): Promise<Uint8Array | null> {
    const d = this.digest();
    if (!d.keyslots.includes(k.id) || k.keySize !== this.spec.keyBytes) return null;
    const slotKey = await deriveSlotKey(k, pass);
    const vk = await luksKeyslotRecover(read, k.areaOffset, k.areaSpec, slotKey, k.afHash, k.keySize, k.stripes);
    const got = await qcryptoPbkdf2(d.hash, vk, d.salt, d.iterations, d.digest.length);
    return constantTimeEqual(got, d.digest) ? vk : null;
  }

  async unlock(pass: Uint8Array, read: CryptoReadFunc): Promise<Uint8Array | null> {
    // Priority 2 (high) first, then normal; priority 0 slots are never tried implicitly.
    const order = [...this.meta.keyslots].filter((k) => k.priority > 0).sort((a, b) => b.priority - a.priority || a.id - b.id);
    for (const k of order) {
      const vk = await this.trySlot(k, pass, read);
      if (vk) return vk;
    }
    return null;
  }

  async slotsMatching(pass: Uint8Array, read: CryptoReadFunc): Promise<number[]> {
    const r: number[] = [];
    for (const k of this.meta.keyslots) if (await this.trySlot(k, pass, read)) r.push(k.id);
    return r;
  }

  info(): Record<string, unknown> {
    const s = this.meta.segment;
    return {
      format: 'luks', version: 2, 'cipher-alg': this.spec.alg, 'cipher-mode': this.spec.mode,
      'ivgen-alg': this.spec.ivgen ?? undefined, 'ivgen-hash-alg': this.spec.ivgenHash ?? undefined,
      'detached-header': false, 'payload-offset': s.offset, 'sector-size': s.sectorSize, uuid: this.copy.bin.uuid,
      slots: this.meta.keyslots.map((k) => ({ id: k.id, active: true, kdf: k.kdf.type, 'key-offset': k.areaOffset })),
    };
  }

  /** The lowest free stretch of the keyslots area that holds `len` bytes. */
  private allocArea(len: number): number {
    const start = 2 * this.copy.bin.hdrSize;
    const end = start + this.meta.keyslotsSize;
    const used = this.meta.keyslots.map((k) => [k.areaOffset, k.areaOffset + k.areaSize]).sort((a, b) => a[0] - b[0]);
    let at = start;
    for (const [s, e] of used) {
      if (at + len <= s) break;
      at = Math.max(at, Math.ceil(e / 4096) * 4096);
    }
    if (at + len > end) throw new QemuError('No space left in the LUKS2 keyslots area');
    return at;
  }

  async storeSlot(i: number, vk: Uint8Array, pass: Uint8Array, iterTimeMs: number, write: CryptoWriteFunc): Promise<void> {
    const template = this.meta.keyslots[0];
    const kdfType = template?.kdf.type ?? 'argon2id';
    const memory = template && template.kdf.type !== 'pbkdf2' ? template.kdf.memory : 1048576;
    const cpus = template && template.kdf.type !== 'pbkdf2' ? template.kdf.cpus : 4;
    const areaSize = Math.ceil(luksSplitKeyLen(vk.length, LUKS_STRIPES) / 4096) * 4096;
    const offset = this.allocArea(areaSize);
    const entry = await luks2MakeKeyslot(this.spec, vk, pass, iterTimeMs, offset, areaSize, kdfType, memory, cpus, write);
    (this.copy.json.keyslots as Record<string, unknown>)[String(i)] = entry;
    const d = this.digestJson();
    d.keyslots = [...(d.keyslots as string[]), String(i)].sort((a, b) => Number(a) - Number(b));
    this.reparse();
  }

  async eraseSlot(i: number, write: CryptoWriteFunc): Promise<void> {
    const k = this.slot(i);
    if (!k) return;
    await luksKeyslotWipe(write, k.areaOffset, k.areaSize);
    delete (this.copy.json.keyslots as Record<string, unknown>)[String(i)];
    for (const d of Object.values(this.copy.json.digests as Record<string, Record<string, unknown>>)) {
      d.keyslots = (d.keyslots as string[]).filter((x) => x !== String(i));
    }
    this.reparse();
  }

  private digestJson(): Record<string, unknown> {
    const all = this.copy.json.digests as Record<string, Record<string, unknown>>;
    const found = Object.values(all).find((d) => (d.segments as string[]).includes('0'));
    if (!found) throw new QemuError('LUKS2 header is corrupt: no digest for segment 0');
    return found;
  }

  private reparse(): void {
    this.copy.meta = luks2ParseJson(JSON.stringify(this.copy.json), this.copy.bin.hdrSize).meta;
  }

  async commit(write: CryptoWriteFunc): Promise<void> {
    this.copy.bin.seqid++;
    await luks2WriteHeaders(this.copy.bin, this.copy.json, write);
  }
}

async function luks2MakeKeyslot(
  spec: LuksCipherSpec, vk: Uint8Array, pass: Uint8Array, iterTimeMs: number, offset: number, areaSize: number,
  kdfType: 'pbkdf2' | 'argon2i' | 'argon2id', memory: number, cpus: number, write: CryptoWriteFunc,
): Promise<Record<string, unknown>> {
  const salt = qcryptoRandomBytes(32);
  let kdf: Record<string, unknown>;
  let slotKey: Uint8Array;
  if (kdfType === 'pbkdf2') {
    const iterations = Math.max(MIN_ITERATIONS, await qcryptoPbkdf2CountIters('sha256', vk.length, 32, iterTimeMs));
    slotKey = await qcryptoPbkdf2('sha256', pass, salt, iterations, vk.length);
    kdf = { type: 'pbkdf2', hash: 'sha256', iterations, salt: base64Encode(salt) };
  } else {
    const time = await argon2CountTime(kdfType, memory, cpus, iterTimeMs);
    slotKey = await qcryptoArgon2({ type: kdfType, time, memory, cpus }, pass, salt, vk.length);
    kdf = { type: kdfType, time, memory, cpus, salt: base64Encode(salt) };
  }
  await luksKeyslotStore(write, offset, spec, slotKey, 'sha256', vk, LUKS_STRIPES);
  const enc = luksEncryptionString(spec);
  return {
    type: 'luks2', key_size: vk.length, af: { type: 'luks1', stripes: LUKS_STRIPES, hash: 'sha256' },
    area: { type: 'raw', offset: String(offset), size: String(areaSize), encryption: enc, key_size: vk.length }, kdf,
  };
}

/** Passes of argon2 at this memory cost that take about iterTimeMs (at least 4, as cryptsetup). */
async function argon2CountTime(type: 'argon2i' | 'argon2id', memory: number, cpus: number, iterTimeMs: number): Promise<number> {
  const b = qcryptoBackend();
  const t0 = b.nowMs();
  await qcryptoArgon2({ type, time: 1, memory, cpus }, new Uint8Array(8), new Uint8Array(16), 32);
  const dt = Math.max(b.nowMs() - t0, 0.01);
  return Math.min(Math.max(ARGON2_MIN_TIME, Math.floor(iterTimeMs / dt)), 1 << 20);
}

function serializeCopy(bin: Luks2Binary, json: Record<string, unknown>, second: boolean): Uint8Array {
  const whole = new Uint8Array(bin.hdrSize);
  const text = new TextEncoder().encode(JSON.stringify(json));
  if (text.length >= bin.hdrSize - LUKS2_BIN_HEADER_LEN) throw new QemuError('LUKS2 JSON metadata does not fit its area');
  whole.set(second ? MAGIC_2ND : MAGIC_1ST, 0);
  const v = dv(whole);
  v.setUint16(6, 2);
  v.setBigUint64(8, BigInt(bin.hdrSize));
  v.setBigUint64(16, BigInt(bin.seqid));
  writeCString(whole, 24, 48, bin.label);
  writeCString(whole, 72, 32, bin.csumAlg);
  whole.set(qcryptoRandomBytes(64), 104);
  writeCString(whole, 168, 40, bin.uuid);
  writeCString(whole, 208, 48, bin.subsystem);
  v.setBigUint64(256, BigInt(second ? bin.hdrSize : 0));
  whole.set(text, LUKS2_BIN_HEADER_LEN);
  whole.set(checksum(bin.csumAlg, whole), CSUM_OFF);
  return whole;
}

/** Write both copies: secondary first, so the primary's update is the commit point. */
async function luks2WriteHeaders(bin: Luks2Binary, json: Record<string, unknown>, write: CryptoWriteFunc): Promise<void> {
  await write(bin.hdrSize, serializeCopy(bin, json, true));
  await write(0, serializeCopy(bin, json, false));
}

export async function luks2Open(first: Uint8Array, pass: Uint8Array | null, read: CryptoReadFunc): Promise<QCryptoBlockLUKS> {
  const copy = await readHeaders(first, read);
  const seg = copy.meta.segment;
  const keyBytes = copy.meta.keyslots[0]?.keySize ?? 64;
  const spec = luksParseEncryption(seg.encryption, keyBytes);
  const vol = new Luks2Volume(copy, spec);
  if (!pass) return new QCryptoBlockLUKS(vol, null, null, seg.offset, seg.sectorSize, seg.ivTweak);
  const vk = await vol.unlock(pass, read);
  if (!vk) throw new QemuError('Invalid password, cannot unlock any keyslot');
  return new QCryptoBlockLUKS(vol, new QCryptoSectorCipher(spec, vk, seg.sectorSize), vk, seg.offset, seg.sectorSize, seg.ivTweak);
}

/** A new LUKS2 volume: 16 KiB headers x2, room for 8 keyslots, data 1 MiB aligned. */
export async function luks2Create(p: Luks2CreateParams, init: (len: number) => Promise<void>, write: CryptoWriteFunc): Promise<QCryptoBlockLUKS> {
  const vk = luksNewVolumeKey(p.spec);
  const areaSize = Math.ceil(luksSplitKeyLen(vk.length, LUKS_STRIPES) / 4096) * 4096;
  const areaStart = 2 * CREATE_HDR_SIZE;
  const dataOffset = Math.ceil((areaStart + 8 * areaSize) / (1 << 20)) * (1 << 20);
  const enc = luksEncryptionString(p.spec);
  await init(dataOffset);
  const slot0 = await luks2MakeKeyslot(p.spec, vk, p.passphrase, p.iterTimeMs, areaStart, areaSize, p.kdf, p.memoryKiB, p.parallel, write);
  const dIters = Math.max(MIN_ITERATIONS, Math.floor(await qcryptoPbkdf2CountIters(p.hash, vk.length, 32, p.iterTimeMs) / 16));
  const dSalt = qcryptoRandomBytes(32);
  const digest = await qcryptoPbkdf2(p.hash, vk, dSalt, dIters, qcryptoHashDigestLen(p.hash));
  const json: Record<string, unknown> = {
    keyslots: { 0: slot0 },
    tokens: {},
    segments: { 0: { type: 'crypt', offset: String(dataOffset), size: 'dynamic', iv_tweak: '0', encryption: enc, sector_size: p.sectorSize } },
    digests: { 0: { type: 'pbkdf2', keyslots: ['0'], segments: ['0'], hash: p.hash, iterations: dIters, salt: base64Encode(dSalt), digest: base64Encode(digest) } },
    config: { json_size: String(CREATE_HDR_SIZE - LUKS2_BIN_HEADER_LEN), keyslots_size: String(dataOffset - areaStart) },
  };
  const bin: Luks2Binary = { hdrSize: CREATE_HDR_SIZE, seqid: 1, csumAlg: 'sha256', uuid: luksNewUUID(), label: '', subsystem: '' };
  const { meta } = luks2ParseJson(JSON.stringify(json), bin.hdrSize);
  await luks2WriteHeaders(bin, json, write);
  const vol = new Luks2Volume({ bin, meta, json }, p.spec);
  return new QCryptoBlockLUKS(vol, new QCryptoSectorCipher(p.spec, vk, p.sectorSize), vk, dataOffset, p.sectorSize, 0);
}
