// LUKS2's JSON metadata (cryptsetup's docs/on-disk-format-luks2): keyslots, segments, digests,
// config, tokens. Every field we use is type- and range-checked here, so a hostile header
// yields one clear error; 64-bit sizes and offsets are decimal strings in the JSON.
import { QemuError } from '../qemu/error.js';
import { Argon2Type, qcryptoArgon2Validate } from './argon2.js';
import { base64Decode } from './base64.js';
import { LUKS_MAX_KEY_BYTES, LUKS_STRIPES, LuksCipherSpec, luksParseEncryption, luksSplitKeyLen } from './block-luks-common.js';
import { QCryptoHashAlgo, isHashAlgo } from './hash.js';
import { PBKDF2_MAX_ITERATIONS } from './pbkdf.js';

export const LUKS2_MAX_KEYSLOTS = 32;

export type Luks2Kdf =
  | { type: 'pbkdf2'; hash: QCryptoHashAlgo; iterations: number; salt: Uint8Array }
  | { type: Argon2Type; time: number; memory: number; cpus: number; salt: Uint8Array };

export interface Luks2Keyslot {
  id: number;
  keySize: number;
  areaOffset: number;
  areaSize: number;
  areaSpec: LuksCipherSpec;
  stripes: number;
  afHash: QCryptoHashAlgo;
  kdf: Luks2Kdf;
  /** 0 = ignore (not tried unless named), 1 = normal, 2 = high. */
  priority: number;
}

export interface Luks2Segment {
  offset: number;
  /** Bytes, or null for "dynamic" (to the end of the device). */
  size: number | null;
  ivTweak: number;
  encryption: string;
  sectorSize: number;
}

export interface Luks2Digest {
  keyslots: number[];
  segments: number[];
  hash: QCryptoHashAlgo;
  iterations: number;
  salt: Uint8Array;
  digest: Uint8Array;
}

export interface Luks2Metadata {
  keyslots: Luks2Keyslot[];
  segment: Luks2Segment;
  digests: Luks2Digest[];
  jsonSize: number;
  keyslotsSize: number;
}

type JsonObject = { [k: string]: unknown };

function bad(what: string): QemuError { return new QemuError(`LUKS2 header is corrupt: ${what}`); }

function obj(v: unknown, what: string): JsonObject {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw bad(`${what} is not an object`);
  return v as JsonObject;
}

function str(v: unknown, what: string): string {
  if (typeof v !== 'string') throw bad(`${what} is not a string`);
  return v;
}

function int(v: unknown, what: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw bad(`${what} is out of range`);
  return v;
}

/** A u64 written as a decimal string (offsets and sizes); must fit 2^53. */
function u64(v: unknown, what: string): number {
  const s = str(v, what);
  if (!/^[0-9]{1,16}$/.test(s) || !Number.isSafeInteger(Number(s))) throw bad(`${what} '${s}' is not a valid number`);
  return Number(s);
}

function id(k: string, what: string, max: number): number {
  if (!/^[0-9]{1,3}$/.test(k) || Number(k) >= max) throw bad(`${what} id '${k}' is invalid`);
  return Number(k);
}

function hash(v: unknown, what: string): QCryptoHashAlgo {
  const h = str(v, what);
  if (!isHashAlgo(h)) throw new QemuError(`Unsupported LUKS2 hash '${h}' in ${what}`);
  return h;
}

function b64(v: unknown, what: string, min: number, max: number): Uint8Array {
  const d = base64Decode(str(v, what), what);
  if (d.length < min || d.length > max) throw bad(`${what} has an invalid length ${d.length}`);
  return d;
}

function parseKdf(v: unknown, what: string): Luks2Kdf {
  const k = obj(v, what);
  const type = str(k.type, `${what} type`);
  const salt = b64(k.salt, `${what} salt`, 8, 256);
  if (type === 'pbkdf2') {
    return { type, hash: hash(k.hash, `${what} hash`), iterations: int(k.iterations, `${what} iterations`, 1, PBKDF2_MAX_ITERATIONS), salt };
  }
  if (type === 'argon2i' || type === 'argon2id') {
    const p = { type: type as Argon2Type, time: int(k.time, `${what} time`, 1, 0xffffffff), memory: int(k.memory, `${what} memory`, 1, 0xffffffff), cpus: int(k.cpus, `${what} cpus`, 1, 0xffffffff) };
    qcryptoArgon2Validate(p);
    return { ...p, salt };
  }
  throw new QemuError(`Unsupported LUKS2 KDF '${type}' in ${what}`);
}

function parseKeyslot(slotId: number, v: unknown): Luks2Keyslot {
  const what = `keyslot ${slotId}`;
  const k = obj(v, what);
  const type = str(k.type, `${what} type`);
  if (type !== 'luks2') throw new QemuError(`Unsupported LUKS2 keyslot type '${type}' (keyslot ${slotId})`);
  const keySize = int(k.key_size, `${what} key_size`, 1, LUKS_MAX_KEY_BYTES);
  const af = obj(k.af, `${what} af`);
  if (str(af.type, `${what} af type`) !== 'luks1') throw new QemuError(`Unsupported LUKS2 AF type in ${what}`);
  const stripes = int(af.stripes, `${what} af stripes`, 0, 0xffffffff);
  if (stripes !== LUKS_STRIPES) throw bad(`${what} stripes ${stripes} != ${LUKS_STRIPES}`);
  const area = obj(k.area, `${what} area`);
  if (str(area.type, `${what} area type`) !== 'raw') throw new QemuError(`Unsupported LUKS2 keyslot area type in ${what}`);
  const areaKeySize = int(area.key_size, `${what} area key_size`, 1, LUKS_MAX_KEY_BYTES);
  const areaSpec = luksParseEncryption(str(area.encryption, `${what} area encryption`), areaKeySize);
  const areaOffset = u64(area.offset, `${what} area offset`);
  const areaSize = u64(area.size, `${what} area size`);
  if (areaSize < luksSplitKeyLen(keySize, stripes)) throw bad(`${what} area is too small for its key material`);
  const priority = k.priority === undefined ? 1 : int(k.priority, `${what} priority`, 0, 2);
  return {
    id: slotId, keySize, areaOffset, areaSize, areaSpec, stripes, afHash: hash(af.hash, `${what} af hash`),
    kdf: parseKdf(k.kdf, `${what} kdf`), priority,
  };
}

function parseSegment(v: unknown): Luks2Segment {
  const s = obj(v, 'segment 0');
  const type = str(s.type, 'segment 0 type');
  if (type !== 'crypt') throw new QemuError(`Unsupported LUKS2 segment type '${type}'`);
  if (s.integrity !== undefined) throw new QemuError('LUKS2 integrity protection is not supported');
  const sectorSize = int(s.sector_size, 'segment 0 sector_size', 512, 4096);
  if ((sectorSize & (sectorSize - 1)) !== 0) throw bad(`segment sector_size ${sectorSize} is not a power of two`);
  const offset = u64(s.offset, 'segment 0 offset');
  if (offset % sectorSize !== 0) throw bad('segment offset is not aligned to its sector size');
  const size = s.size === 'dynamic' ? null : u64(s.size, 'segment 0 size');
  if (size !== null && size % sectorSize !== 0) throw bad('segment size is not a multiple of its sector size');
  return { offset, size, ivTweak: u64(s.iv_tweak, 'segment 0 iv_tweak'), encryption: str(s.encryption, 'segment 0 encryption'), sectorSize };
}

function idList(v: unknown, what: string, max: number): number[] {
  if (!Array.isArray(v)) throw bad(`${what} is not an array`);
  return v.map((x) => id(str(x, what), what, max));
}

function parseDigest(v: unknown, n: string): Luks2Digest {
  const what = `digest ${n}`;
  const d = obj(v, what);
  const type = str(d.type, `${what} type`);
  if (type !== 'pbkdf2') throw new QemuError(`Unsupported LUKS2 digest type '${type}'`);
  return {
    keyslots: idList(d.keyslots, `${what} keyslots`, LUKS2_MAX_KEYSLOTS), segments: idList(d.segments, `${what} segments`, 1000),
    hash: hash(d.hash, `${what} hash`), iterations: int(d.iterations, `${what} iterations`, 1, PBKDF2_MAX_ITERATIONS),
    salt: b64(d.salt, `${what} salt`, 1, 256), digest: b64(d.digest, `${what} digest`, 1, 256),
  };
}

/** Parse the JSON text of a header (already checksummed) and check it against its layout. */
export function luks2ParseJson(text: string, hdrSize: number): { meta: Luks2Metadata; json: JsonObject } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw bad('JSON metadata does not parse');
  }
  const json = obj(parsed, 'JSON metadata');
  const config = obj(json.config, 'config');
  const jsonSize = u64(config.json_size, 'config json_size');
  if (jsonSize !== hdrSize - 4096) throw bad(`json_size ${jsonSize} does not match the header size ${hdrSize}`);
  const keyslotsSize = u64(config.keyslots_size, 'config keyslots_size');
  if (config.requirements !== undefined) {
    const req = obj(config.requirements, 'config requirements');
    if (Array.isArray(req.mandatory) && req.mandatory.length > 0) {
      throw new QemuError(`LUKS2 volume has unmet requirements: ${req.mandatory.map(String).join(', ')}`);
    }
  }
  const segs = obj(json.segments, 'segments');
  const segKeys = Object.keys(segs);
  if (segKeys.length !== 1 || segKeys[0] !== '0') throw new QemuError('LUKS2 volumes with other than one segment (reencryption) are not supported');
  const segment = parseSegment(segs['0']);
  const keyslots = Object.entries(obj(json.keyslots, 'keyslots')).map(([k, v]) => parseKeyslot(id(k, 'keyslot', LUKS2_MAX_KEYSLOTS), v));
  const digests = Object.entries(obj(json.digests, 'digests')).map(([k, v]) => parseDigest(v, k));
  obj(json.tokens ?? {}, 'tokens');
  const meta = { keyslots, segment, digests, jsonSize, keyslotsSize };
  luks2CheckLayout(meta, hdrSize);
  return { meta, json };
}

/** Areas inside the keyslots area, not overlapping each other or the data segment. */
function luks2CheckLayout(m: Luks2Metadata, hdrSize: number): void {
  const areaStart = 2 * hdrSize;
  const areaEnd = areaStart + m.keyslotsSize;
  if (!Number.isSafeInteger(areaEnd)) throw bad('keyslots_size is out of range');
  if (m.segment.offset < areaEnd && m.segment.offset !== 0) throw bad('data segment overlaps the keyslots area');
  for (const k of m.keyslots) {
    if (k.areaOffset < areaStart || k.areaOffset + k.areaSize > areaEnd) throw bad(`keyslot ${k.id} area is outside the keyslots area`);
    for (const o of m.keyslots) {
      if (o.id > k.id && k.areaOffset < o.areaOffset + o.areaSize && o.areaOffset < k.areaOffset + k.areaSize) {
        throw bad(`keyslot ${k.id} area overlaps keyslot ${o.id}`);
      }
    }
  }
  for (const d of m.digests) {
    for (const s of d.keyslots) if (!m.keyslots.some((k) => k.id === s)) throw bad(`digest references missing keyslot ${s}`);
  }
}
