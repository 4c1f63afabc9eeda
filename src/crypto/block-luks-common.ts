// What LUKS1 and LUKS2 share (QEMU's crypto/block-luks.c helpers and crypto/block.c): cipher
// specifications ("aes" + "xts-plain64"), sector encryption with an IV generator, keyslot
// material (AF split, encrypted in 512-byte sectors), and the opened volume (QCryptoBlock).
import type { CryptoReadFunc, CryptoWriteFunc, QCryptoBlock } from '../block/block_int.js';
import { QemuError } from '../qemu/error.js';
import { qcryptoRandomBytes } from './backend.js';
import { qcryptoAfsplitDecode, qcryptoAfsplitEncode } from './afsplit.js';
import {
  QCryptoCipher, QCryptoCipherAlgo, QCryptoCipherMode, isCipherMode, qcryptoCipherGetKeyLen, qcryptoCipherSupports,
} from './cipher.js';
import { QCryptoHashAlgo, isHashAlgo, qcryptoHashSupports } from './hash.js';
import { QCryptoIVGen, QCryptoIVGenAlgo, qcryptoIVGenEssivCipher } from './ivgen.js';

export const LUKS_MAGIC = [0x4c, 0x55, 0x4b, 0x53, 0xba, 0xbe]; // "LUKS\xba\xbe"
export const LUKS_SECTOR_SIZE = 512;
export const LUKS_STRIPES = 4000;
export const LUKS_SALT_LEN = 32;
/** Keyslot material is read in one piece: bound it (a 64-byte key x 4000 stripes = 250 KiB). */
export const LUKS_MAX_KEY_BYTES = 128;

export interface LuksCipherSpec {
  alg: QCryptoCipherAlgo;
  mode: QCryptoCipherMode;
  ivgen: QCryptoIVGenAlgo | null;
  ivgenHash: QCryptoHashAlgo | null;
  keyBytes: number;
}

const AES_BY_KEYLEN: Record<number, QCryptoCipherAlgo> = { 16: 'aes-128', 24: 'aes-192', 32: 'aes-256' };

/** Parse LUKS's split cipher name ("aes") and mode ("cbc-essiv:sha256") for a key size. */
export function luksParseCipher(name: string, modeSpec: string, keyBytes: number): LuksCipherSpec {
  if (name !== 'aes') throw new QemuError(`Unsupported LUKS cipher algorithm '${name}'`);
  const dash = modeSpec.indexOf('-');
  const modeName = dash < 0 ? modeSpec : modeSpec.slice(0, dash);
  const ivSpec = dash < 0 ? '' : modeSpec.slice(dash + 1);
  if (!isCipherMode(modeName)) throw new QemuError(`Unsupported LUKS cipher mode '${modeSpec}'`);
  const mode = modeName;
  if (!Number.isInteger(keyBytes) || keyBytes < 1 || keyBytes > LUKS_MAX_KEY_BYTES) {
    throw new QemuError(`LUKS key size ${keyBytes} bytes is out of range`);
  }
  const alg = AES_BY_KEYLEN[mode === 'xts' ? keyBytes / 2 : keyBytes];
  if (!alg) throw new QemuError(`LUKS key size ${keyBytes} bytes is invalid for ${name}-${mode}`);
  let ivgen: QCryptoIVGenAlgo | null = null;
  let ivgenHash: QCryptoHashAlgo | null = null;
  if (mode === 'ecb') {
    if (ivSpec !== '') throw new QemuError(`Cipher mode ecb does not take an IV generator ('${modeSpec}')`);
  } else {
    const colon = ivSpec.indexOf(':');
    const ivName = colon < 0 ? ivSpec : ivSpec.slice(0, colon);
    if (ivName === 'plain' || ivName === 'plain64') {
      if (colon >= 0) throw new QemuError(`IV generator ${ivName} does not take a hash ('${modeSpec}')`);
      ivgen = ivName;
    } else if (ivName === 'essiv') {
      const h = colon < 0 ? '' : ivSpec.slice(colon + 1);
      if (!isHashAlgo(h)) throw new QemuError(`Unsupported ESSIV hash '${h}' in '${modeSpec}'`);
      ivgen = 'essiv';
      ivgenHash = h;
      qcryptoIVGenEssivCipher(alg, h);
    } else {
      throw new QemuError(`Unsupported LUKS IV generator '${ivSpec}' in '${modeSpec}'`);
    }
  }
  const spec = { alg, mode, ivgen, ivgenHash, keyBytes };
  luksCheckSpecSupported(spec);
  return spec;
}

export function luksCheckSpecSupported(spec: LuksCipherSpec): void {
  if (qcryptoCipherGetKeyLen(spec.alg, spec.mode) !== spec.keyBytes) {
    throw new QemuError(`LUKS key size ${spec.keyBytes} bytes is invalid for ${spec.alg}-${spec.mode}`);
  }
  if (!qcryptoCipherSupports(spec.alg, spec.mode)) throw new QemuError(`Cipher ${spec.alg}-${spec.mode} is not supported`);
  if (spec.ivgenHash && !qcryptoHashSupports(spec.ivgenHash)) throw new QemuError(`Hash ${spec.ivgenHash} is not supported`);
}

/** The LUKS spelling of a spec: {name: "aes", mode: "xts-plain64"}. */
export function luksCipherStrings(spec: LuksCipherSpec): { name: string; mode: string } {
  let mode: string = spec.mode;
  if (spec.ivgen) mode += `-${spec.ivgen}${spec.ivgenHash ? `:${spec.ivgenHash}` : ''}`;
  return { name: 'aes', mode };
}

/** LUKS2 writes the whole spec as one string: "aes-xts-plain64". */
export function luksParseEncryption(enc: string, keyBytes: number): LuksCipherSpec {
  const dash = enc.indexOf('-');
  if (dash < 0) throw new QemuError(`Unsupported LUKS2 encryption '${enc}'`);
  return luksParseCipher(enc.slice(0, dash), enc.slice(dash + 1), keyBytes);
}

export function luksEncryptionString(spec: LuksCipherSpec): string {
  const s = luksCipherStrings(spec);
  return `${s.name}-${s.mode}`;
}

/** Sector-wise encryption under one key: the payload, or a keyslot's material. */
export class QCryptoSectorCipher {
  private readonly cipher: QCryptoCipher;
  private readonly ivgen: QCryptoIVGen | null;
  private readonly iv: Uint8Array;

  constructor(readonly spec: LuksCipherSpec, key: Uint8Array, readonly sectorSize: number) {
    this.cipher = new QCryptoCipher(spec.alg, spec.mode, key);
    this.ivgen = spec.ivgen ? new QCryptoIVGen(spec.ivgen, spec.alg, spec.ivgenHash, key) : null;
    this.iv = new Uint8Array(this.cipher.ivLen);
  }

  /** Transform buf in place; its first sector has IV sector number `sector`. */
  run(encrypt: boolean, sector: number, buf: Uint8Array): void {
    const ss = this.sectorSize;
    if (buf.length % ss !== 0) throw new QemuError(`Length ${buf.length} is not a multiple of the sector size ${ss}`);
    for (let off = 0; off < buf.length; off += ss, sector++) {
      const s = buf.subarray(off, off + ss);
      if (this.ivgen) {
        this.ivgen.calculate(sector, this.iv);
        this.cipher.setIV(this.iv);
      }
      if (encrypt) this.cipher.encrypt(s); else this.cipher.decrypt(s);
    }
  }
}

export function luksSplitKeyLen(keyBytes: number, stripes: number): number {
  return Math.ceil((keyBytes * stripes) / LUKS_SECTOR_SIZE) * LUKS_SECTOR_SIZE;
}

/** Read and decrypt a keyslot's AF material, then merge it into a candidate volume key. */
export async function luksKeyslotRecover(
  read: CryptoReadFunc, offset: number, spec: LuksCipherSpec, slotKey: Uint8Array, hash: QCryptoHashAlgo,
  volumeKeyBytes: number, stripes: number,
): Promise<Uint8Array> {
  const material = new Uint8Array(luksSplitKeyLen(volumeKeyBytes, stripes));
  await read(offset, material);
  new QCryptoSectorCipher(spec, slotKey, LUKS_SECTOR_SIZE).run(false, 0, material);
  return qcryptoAfsplitDecode(hash, volumeKeyBytes, stripes, material);
}

/** AF-split and encrypt a volume key into keyslot material, and write it. */
export async function luksKeyslotStore(
  write: CryptoWriteFunc, offset: number, spec: LuksCipherSpec, slotKey: Uint8Array, hash: QCryptoHashAlgo,
  volumeKey: Uint8Array, stripes: number,
): Promise<void> {
  const material = new Uint8Array(luksSplitKeyLen(volumeKey.length, stripes));
  material.set(qcryptoAfsplitEncode(hash, volumeKey.length, stripes, volumeKey));
  new QCryptoSectorCipher(spec, slotKey, LUKS_SECTOR_SIZE).run(true, 0, material);
  await write(offset, material);
}

/** Overwrite a keyslot's material with random bytes, so the old key cannot be recovered. */
export async function luksKeyslotWipe(write: CryptoWriteFunc, offset: number, len: number): Promise<void> {
  await write(offset, qcryptoRandomBytes(len));
}

/** A new volume key; XTS keys get distinct halves. */
export function luksNewVolumeKey(spec: LuksCipherSpec): Uint8Array {
  for (;;) {
    const k = qcryptoRandomBytes(spec.keyBytes);
    if (spec.mode !== 'xts') return k;
    const h = k.length / 2;
    if (k.subarray(0, h).some((b, i) => b !== k[h + i])) return k;
  }
}

export function luksNewUUID(): string {
  const b = qcryptoRandomBytes(16);
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i] ^ b[i];
  return d === 0;
}

/** A NUL-terminated ASCII field; a field without its NUL, or with non-printing bytes, is corrupt. */
export function readCString(buf: Uint8Array, off: number, len: number, what: string): string {
  const f = buf.subarray(off, off + len);
  const end = f.indexOf(0);
  if (end < 0) throw new QemuError(`LUKS header field '${what}' is not NUL-terminated`);
  let s = '';
  for (let i = 0; i < end; i++) {
    if (f[i] < 0x20 || f[i] > 0x7e) throw new QemuError(`LUKS header field '${what}' has invalid characters`);
    s += String.fromCharCode(f[i]);
  }
  return s;
}

export function writeCString(buf: Uint8Array, off: number, len: number, s: string): void {
  if (s.length >= len) throw new QemuError(`'${s}' does not fit the LUKS header field`);
  for (let i = 0; i < s.length; i++) buf[off + i] = s.charCodeAt(i);
}

/** A keyslot change asked for by amend (QEMU's QCryptoBlockAmendOptionsLUKS), secrets resolved. */
export interface LuksAmendRequest {
  state: 'active' | 'inactive';
  keyslot: number | null;
  newSecret: Uint8Array | null;
  oldSecret: Uint8Array | null;
  iterTimeMs: number;
  /** qemu-img amend --force: allow erasing the last keyslot. */
  force: boolean;
}

/** One LUKS version's header logic behind an opened volume (info, keyslot management). */
export interface LuksVolume {
  readonly version: 1 | 2;
  readonly numSlots: number;
  info(): Record<string, unknown>;
  isActive(slot: number): boolean;
  /** Which active slots `pass` opens. */
  slotsMatching(pass: Uint8Array, read: CryptoReadFunc): Promise<number[]>;
  /** Write a keyslot for `pass` (header updated in memory; commit writes it). */
  storeSlot(slot: number, volumeKey: Uint8Array, pass: Uint8Array, iterTimeMs: number, write: CryptoWriteFunc): Promise<void>;
  eraseSlot(slot: number, write: CryptoWriteFunc): Promise<void>;
  commit(write: CryptoWriteFunc): Promise<void>;
}

/** An opened LUKS volume: the payload cipher (null when opened without a key). */
export class QCryptoBlockLUKS implements QCryptoBlock {
  constructor(
    readonly volume: LuksVolume,
    private readonly cipher: QCryptoSectorCipher | null,
    readonly volumeKey: Uint8Array | null,
    readonly payloadOffset: number,
    readonly sectorSize: number,
    /** LUKS2 iv_tweak: added to every sector number. */
    private readonly ivTweak = 0,
  ) {}

  private run(encrypt: boolean, offset: number, buf: Uint8Array): void {
    if (!this.cipher) throw new QemuError('LUKS volume was opened without a key: no data I/O possible');
    if (offset % this.sectorSize !== 0) throw new QemuError(`Offset ${offset} is not aligned to the sector size ${this.sectorSize}`);
    this.cipher.run(encrypt, offset / this.sectorSize + this.ivTweak, buf);
  }

  async encrypt(offset: number, buf: Uint8Array): Promise<void> { this.run(true, offset, buf); }
  async decrypt(offset: number, buf: Uint8Array): Promise<void> { this.run(false, offset, buf); }
  getInfo(): Record<string, unknown> { return this.volume.info(); }
}
