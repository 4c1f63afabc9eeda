// LUKS1 (QEMU's crypto/block-luks.c; the on-disk format of cryptsetup's LUKS1 spec 1.2.3):
// a 592-byte big-endian header, eight keyslots each holding the volume key AF-split and
// encrypted under a PBKDF2-derived key, and the volume key's PBKDF2 digest to recognise it.
//
//   off  len  field                 off  len  field (keyslot i at 208 + 48*i)
//     0    6  magic "LUKS\xba\xbe"    0    4  active (0x00AC71F3 / 0x0000DEAD)
//     6    2  version = 1             4    4  iterations
//     8   32  cipher name            8   32  salt
//    40   32  cipher mode           40    4  key material offset (512-byte sectors)
//    72   32  hash spec             44    4  stripes
//   104    4  payload offset (sectors)
//   108    4  key bytes
//   112   20  mk digest, 132 32 mk digest salt, 164 4 mk digest iterations
//   168   40  uuid
import type { CryptoReadFunc, CryptoWriteFunc } from '../block/block_int.js';
import { QemuError } from '../qemu/error.js';
import { qcryptoRandomBytes } from './backend.js';
import { QCryptoHashAlgo, isHashAlgo, qcryptoHashSupports } from './hash.js';
import { qcryptoPbkdf2, qcryptoPbkdf2CountIters } from './pbkdf.js';
import {
  LUKS_MAGIC, LUKS_SALT_LEN, LUKS_SECTOR_SIZE, LUKS_STRIPES, LuksCipherSpec, LuksVolume, QCryptoBlockLUKS,
  QCryptoSectorCipher, constantTimeEqual, luksCipherStrings, luksKeyslotRecover, luksKeyslotStore, luksKeyslotWipe,
  luksNewUUID, luksNewVolumeKey, luksParseCipher, luksSplitKeyLen, readCString, writeCString,
} from './block-luks-common.js';

export const LUKS1_HEADER_LEN = 592;
export const LUKS1_NUM_SLOTS = 8;
const SLOT_ENABLED = 0x00ac71f3;
const SLOT_DISABLED = 0x0000dead;
const DIGEST_LEN = 20;
/** cryptsetup's floor for PBKDF2 iterations in LUKS1. */
export const LUKS1_MIN_ITERATIONS = 1000;
const ALIGN_KEYSLOTS = 4096;

export interface Luks1Slot {
  active: boolean;
  iterations: number;
  salt: Uint8Array;
  /** In 512-byte sectors. */
  keyOffset: number;
  stripes: number;
}

export interface Luks1Header {
  cipherName: string;
  cipherMode: string;
  hashSpec: string;
  payloadOffset: number;
  keyBytes: number;
  mkDigest: Uint8Array;
  mkDigestSalt: Uint8Array;
  mkDigestIter: number;
  uuid: string;
  slots: Luks1Slot[];
}

export function luksHasMagic(buf: Uint8Array): boolean {
  return buf.length >= 6 && LUKS_MAGIC.every((b, i) => buf[i] === b);
}

/** Decode the header fields; structural checks only (see luks1Check for semantics). */
export function luks1Parse(buf: Uint8Array): Luks1Header {
  if (buf.length < LUKS1_HEADER_LEN) throw new QemuError('LUKS header is truncated');
  if (!luksHasMagic(buf)) throw new QemuError('Volume is not in LUKS format');
  const dv = new DataView(buf.buffer, buf.byteOffset, LUKS1_HEADER_LEN);
  const version = dv.getUint16(6);
  if (version !== 1) throw new QemuError(`LUKS version ${version} is not supported`);
  const slots: Luks1Slot[] = [];
  for (let i = 0; i < LUKS1_NUM_SLOTS; i++) {
    const o = 208 + 48 * i;
    const state = dv.getUint32(o);
    if (state !== SLOT_ENABLED && state !== SLOT_DISABLED) throw new QemuError(`Keyslot ${i} state 0x${state.toString(16)} is corrupt`);
    slots.push({
      active: state === SLOT_ENABLED, iterations: dv.getUint32(o + 4), salt: buf.slice(o + 8, o + 40),
      keyOffset: dv.getUint32(o + 40), stripes: dv.getUint32(o + 44),
    });
  }
  return {
    cipherName: readCString(buf, 8, 32, 'cipher name'), cipherMode: readCString(buf, 40, 32, 'cipher mode'),
    hashSpec: readCString(buf, 72, 32, 'hash spec'), payloadOffset: dv.getUint32(104), keyBytes: dv.getUint32(108),
    mkDigest: buf.slice(112, 132), mkDigestSalt: buf.slice(132, 164), mkDigestIter: dv.getUint32(164),
    uuid: readCString(buf, 168, 40, 'uuid'), slots,
  };
}

export function luks1Serialize(h: Luks1Header): Uint8Array {
  const buf = new Uint8Array(LUKS1_HEADER_LEN);
  const dv = new DataView(buf.buffer);
  buf.set(LUKS_MAGIC, 0);
  dv.setUint16(6, 1);
  writeCString(buf, 8, 32, h.cipherName);
  writeCString(buf, 40, 32, h.cipherMode);
  writeCString(buf, 72, 32, h.hashSpec);
  dv.setUint32(104, h.payloadOffset);
  dv.setUint32(108, h.keyBytes);
  buf.set(h.mkDigest, 112);
  buf.set(h.mkDigestSalt, 132);
  dv.setUint32(164, h.mkDigestIter);
  writeCString(buf, 168, 40, h.uuid);
  h.slots.forEach((s, i) => {
    const o = 208 + 48 * i;
    dv.setUint32(o, s.active ? SLOT_ENABLED : SLOT_DISABLED);
    dv.setUint32(o + 4, s.iterations);
    buf.set(s.salt, o + 8);
    dv.setUint32(o + 40, s.keyOffset);
    dv.setUint32(o + 44, s.stripes);
  });
  return buf;
}

function parseHash(name: string): QCryptoHashAlgo {
  if (!isHashAlgo(name) || !qcryptoHashSupports(name)) throw new QemuError(`Unsupported LUKS hash '${name}'`);
  return name;
}

/** Semantic checks (QEMU's qcrypto_block_luks_check_header, plus cryptsetup's). */
export function luks1Check(h: Luks1Header): { spec: LuksCipherSpec; hash: QCryptoHashAlgo } {
  const spec = luksParseCipher(h.cipherName, h.cipherMode, h.keyBytes);
  const hash = parseHash(h.hashSpec);
  if (h.mkDigestIter < 1) throw new QemuError('LUKS volume key digest iteration count is zero');
  const headerSectors = Math.ceil(LUKS1_HEADER_LEN / LUKS_SECTOR_SIZE);
  if (h.payloadOffset !== 0 && h.payloadOffset < headerSectors) throw new QemuError('LUKS payload is overlapping with the header');
  const splitSectors = luksSplitKeyLen(h.keyBytes, LUKS_STRIPES) / LUKS_SECTOR_SIZE;
  h.slots.forEach((s, i) => {
    if (s.stripes !== LUKS_STRIPES) throw new QemuError(`Keyslot ${i} is corrupted (stripes ${s.stripes} != ${LUKS_STRIPES})`);
    if (s.active && s.iterations < 1) throw new QemuError(`Keyslot ${i} iteration count is zero`);
    if (s.keyOffset < headerSectors) throw new QemuError(`Keyslot ${i} is overlapping with the LUKS header`);
    const end = s.keyOffset + splitSectors;
    if (h.payloadOffset !== 0 && end > h.payloadOffset) throw new QemuError(`Keyslot ${i} is overlapping with the encrypted payload`);
    h.slots.forEach((t, j) => {
      if (j <= i) return;
      if (s.keyOffset < t.keyOffset + splitSectors && t.keyOffset < end) throw new QemuError(`Keyslot ${i} is overlapping with keyslot ${j}`);
    });
  });
  return { spec, hash };
}

/** Try the passphrase on each active keyslot; the volume key whose digest matches wins. */
async function luks1Unlock(h: Luks1Header, spec: LuksCipherSpec, hash: QCryptoHashAlgo, pass: Uint8Array, read: CryptoReadFunc): Promise<Uint8Array | null> {
  for (const s of h.slots) {
    if (!s.active) continue;
    const mk = await luks1TrySlot(h, s, spec, hash, pass, read);
    if (mk) return mk;
  }
  return null;
}

async function luks1TrySlot(h: Luks1Header, s: Luks1Slot, spec: LuksCipherSpec, hash: QCryptoHashAlgo, pass: Uint8Array, read: CryptoReadFunc): Promise<Uint8Array | null> {
  const slotKey = await qcryptoPbkdf2(hash, pass, s.salt, s.iterations, h.keyBytes);
  const mk = await luksKeyslotRecover(read, s.keyOffset * LUKS_SECTOR_SIZE, spec, slotKey, hash, h.keyBytes, s.stripes);
  const digest = await qcryptoPbkdf2(hash, mk, h.mkDigestSalt, h.mkDigestIter, DIGEST_LEN);
  return constantTimeEqual(digest, h.mkDigest) ? mk : null;
}

class Luks1Volume implements LuksVolume {
  readonly version = 1;
  constructor(public header: Luks1Header, readonly spec: LuksCipherSpec, readonly hash: QCryptoHashAlgo) {}

  info(): Record<string, unknown> {
    const h = this.header;
    return {
      format: 'luks', 'cipher-alg': this.spec.alg, 'cipher-mode': this.spec.mode, 'ivgen-alg': this.spec.ivgen ?? undefined,
      'ivgen-hash-alg': this.spec.ivgenHash ?? undefined, 'hash-alg': this.hash, 'detached-header': false,
      'payload-offset': h.payloadOffset * LUKS_SECTOR_SIZE, 'master-key-iters': h.mkDigestIter, uuid: h.uuid,
      slots: h.slots.map((s) => (s.active
        ? { active: true, iters: s.iterations, stripes: s.stripes, 'key-offset': s.keyOffset * LUKS_SECTOR_SIZE }
        : { active: false, 'key-offset': s.keyOffset * LUKS_SECTOR_SIZE })),
    };
  }

  readonly numSlots = LUKS1_NUM_SLOTS;
  isActive(i: number): boolean { return this.header.slots[i].active; }
  async commit(write: CryptoWriteFunc): Promise<void> { await write(0, luks1Serialize(this.header)); }

  /** Key material bytes of one slot, rounded to sectors. */
  slotLen(): number { return luksSplitKeyLen(this.header.keyBytes, LUKS_STRIPES); }

  async storeSlot(i: number, volumeKey: Uint8Array, pass: Uint8Array, iterTimeMs: number, write: CryptoWriteFunc): Promise<void> {
    const h = this.header;
    const iters = Math.max(LUKS1_MIN_ITERATIONS, await qcryptoPbkdf2CountIters(this.hash, h.keyBytes, LUKS_SALT_LEN, iterTimeMs));
    const salt = qcryptoRandomBytes(LUKS_SALT_LEN);
    const slotKey = await qcryptoPbkdf2(this.hash, pass, salt, iters, h.keyBytes);
    const s = h.slots[i];
    await luksKeyslotStore(write, s.keyOffset * LUKS_SECTOR_SIZE, this.spec, slotKey, this.hash, volumeKey, LUKS_STRIPES);
    h.slots[i] = { ...s, active: true, iterations: iters, salt };
  }

  async eraseSlot(i: number, write: CryptoWriteFunc): Promise<void> {
    const s = this.header.slots[i];
    await luksKeyslotWipe(write, s.keyOffset * LUKS_SECTOR_SIZE, this.slotLen());
    this.header.slots[i] = { ...s, active: false, iterations: 0, salt: new Uint8Array(LUKS_SALT_LEN) };
  }

  /** Which active slots `pass` opens. */
  async slotsMatching(pass: Uint8Array, read: CryptoReadFunc): Promise<number[]> {
    const r: number[] = [];
    for (let i = 0; i < LUKS1_NUM_SLOTS; i++) {
      const s = this.header.slots[i];
      if (s.active && await luks1TrySlot(this.header, s, this.spec, this.hash, pass, read)) r.push(i);
    }
    return r;
  }
}

export async function luks1Open(hdrBuf: Uint8Array, pass: Uint8Array | null, read: CryptoReadFunc): Promise<QCryptoBlockLUKS> {
  const h = luks1Parse(hdrBuf);
  const { spec, hash } = luks1Check(h);
  const vol = new Luks1Volume(h, spec, hash);
  const payload = h.payloadOffset * LUKS_SECTOR_SIZE;
  if (!pass) return new QCryptoBlockLUKS(vol, null, null, payload, LUKS_SECTOR_SIZE);
  const mk = await luks1Unlock(h, spec, hash, pass, read);
  if (!mk) throw new QemuError('Invalid password, cannot unlock any keyslot');
  return new QCryptoBlockLUKS(vol, new QCryptoSectorCipher(spec, mk, LUKS_SECTOR_SIZE), mk, payload, LUKS_SECTOR_SIZE);
}

export interface LuksCreateParams {
  spec: LuksCipherSpec;
  hash: QCryptoHashAlgo;
  iterTimeMs: number;
  passphrase: Uint8Array;
}

/** Lay out a new LUKS1 volume: keyslots from 4 KiB, each 4 KiB aligned, the payload right after
 * them (QEMU's layout: 2068480 bytes for aes-256-xts; cryptsetup would align it to 1 MiB). */
export async function luks1Create(p: LuksCreateParams, init: (len: number) => Promise<void>, write: CryptoWriteFunc): Promise<QCryptoBlockLUKS> {
  const keyBytes = p.spec.keyBytes;
  const slotBytes = Math.ceil(luksSplitKeyLen(keyBytes, LUKS_STRIPES) / ALIGN_KEYSLOTS) * ALIGN_KEYSLOTS;
  const slots: Luks1Slot[] = [];
  for (let i = 0; i < LUKS1_NUM_SLOTS; i++) {
    slots.push({ active: false, iterations: 0, salt: new Uint8Array(LUKS_SALT_LEN), keyOffset: (ALIGN_KEYSLOTS + i * slotBytes) / LUKS_SECTOR_SIZE, stripes: LUKS_STRIPES });
  }
  const payloadBytes = ALIGN_KEYSLOTS + LUKS1_NUM_SLOTS * slotBytes;
  const mk = luksNewVolumeKey(p.spec);
  const mkIters = Math.max(LUKS1_MIN_ITERATIONS, Math.floor(await qcryptoPbkdf2CountIters(p.hash, DIGEST_LEN, LUKS_SALT_LEN, p.iterTimeMs) / 8));
  const mkDigestSalt = qcryptoRandomBytes(LUKS_SALT_LEN);
  const names = luksCipherStrings(p.spec);
  const h: Luks1Header = {
    cipherName: names.name, cipherMode: names.mode, hashSpec: p.hash, payloadOffset: payloadBytes / LUKS_SECTOR_SIZE,
    keyBytes, mkDigest: await qcryptoPbkdf2(p.hash, mk, mkDigestSalt, mkIters, DIGEST_LEN), mkDigestSalt,
    mkDigestIter: mkIters, uuid: luksNewUUID(), slots,
  };
  const vol = new Luks1Volume(h, p.spec, p.hash);
  await init(payloadBytes);
  await vol.storeSlot(0, mk, p.passphrase, p.iterTimeMs, write);
  await vol.commit(write);
  return new QCryptoBlockLUKS(vol, new QCryptoSectorCipher(p.spec, mk, LUKS_SECTOR_SIZE), mk, payloadBytes, LUKS_SECTOR_SIZE);
}
