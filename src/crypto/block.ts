// The generic encryption layer (QEMU's crypto/block.c): open, create and amend a LUKS header
// through I/O callbacks, with options named as QEMU names them ("key-secret", "cipher-alg",
// ...). The luks format driver and qcow2's encrypt.format=luks both go through here.
import type {
  BlockOptions, CryptoInitFunc, CryptoReadFunc, CryptoWriteFunc, QCryptoBlock, QCryptoBlockProvider,
} from '../block/block_int.js';
import { QemuError } from '../qemu/error.js';
import { parseBool } from '../qemu/option.js';
import { Argon2Type } from './argon2.js';
import { LUKS1_HEADER_LEN, luks1Create, luks1Open, luksHasMagic } from './block-luks.js';
import { luksAmend } from './block-luks-amend.js';
import { LuksAmendRequest, LuksCipherSpec, QCryptoBlockLUKS, luksCheckSpecSupported } from './block-luks-common.js';
import { LUKS2_BIN_HEADER_LEN, Luks2CreateParams, luks2Create, luks2Open } from './block-luks2.js';
import { qcryptoCipherAlgoParse, qcryptoCipherGetKeyLen, qcryptoCipherModeParse } from './cipher.js';
import { QCryptoHashAlgo, qcryptoHashAlgoParse } from './hash.js';
import { QCryptoIVGenAlgo, qcryptoIVGenAlgoParse } from './ivgen.js';
import { qcryptoSecretLookup } from './secret.js';

const OPEN_KEYS = ['format', 'key-secret'];
const CREATE_KEYS = [
  'format', 'key-secret', 'cipher-alg', 'cipher-mode', 'ivgen-alg', 'ivgen-hash-alg', 'hash-alg', 'iter-time',
  'luks-version', 'pbkdf', 'pbkdf-memory', 'pbkdf-parallel', 'sector-size',
];
const AMEND_KEYS = ['format', 'state', 'keyslot', 'new-secret', 'old-secret', 'iter-time', 'force'];

function checkKeys(opts: BlockOptions, known: readonly string[]): void {
  for (const k of opts.keys()) if (!known.includes(k)) throw new QemuError(`Invalid parameter '${k}' for LUKS encryption`);
  const fmt = opts.get('format');
  if (fmt !== undefined && fmt !== 'luks') throw new QemuError(`Unsupported encryption format '${fmt}'`);
}

/** A decimal integer option in [min, max]. */
export function intOpt(opts: BlockOptions, key: string, def: number, min: number, max: number): number {
  const v = opts.get(key);
  if (v === undefined) return def;
  if (!/^[0-9]+$/.test(v)) throw new QemuError(`Parameter '${key}' expects a number`);
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < min || n > max) throw new QemuError(`Parameter '${key}' must be between ${min} and ${max}`);
  return n;
}

function secretOpt(opts: BlockOptions, key: string): Uint8Array | null {
  const id = opts.get(key);
  return id === undefined ? null : qcryptoSecretLookup(id);
}

async function readHeader(read: CryptoReadFunc, len: number): Promise<Uint8Array> {
  const buf = new Uint8Array(len);
  try {
    await read(0, buf);
  } catch (e) {
    if (e instanceof QemuError) throw new QemuError(`Unable to read LUKS header: ${e.message}`);
    throw e;
  }
  return buf;
}

export async function qcryptoBlockOpen(opts: BlockOptions, read: CryptoReadFunc, noIO: boolean): Promise<QCryptoBlockLUKS> {
  checkKeys(opts, OPEN_KEYS);
  let pass: Uint8Array | null = null;
  if (!noIO) {
    pass = secretOpt(opts, 'key-secret');
    if (!pass) throw new QemuError(`Parameter 'key-secret' is required for cipher`);
  }
  const hdr = await readHeader(read, LUKS1_HEADER_LEN);
  if (!luksHasMagic(hdr)) throw new QemuError('Volume is not in LUKS format');
  const version = (hdr[6] << 8) | hdr[7];
  if (version === 1) return luks1Open(hdr, pass, read);
  if (version === 2) return luks2Open(await readHeader(read, LUKS2_BIN_HEADER_LEN), pass, read);
  throw new QemuError(`LUKS version ${version} is not supported`);
}

function createSpec(opts: BlockOptions): LuksCipherSpec {
  const alg = qcryptoCipherAlgoParse(opts.get('cipher-alg') ?? 'aes-256');
  const mode = qcryptoCipherModeParse(opts.get('cipher-mode') ?? 'xts');
  const ivName = opts.get('ivgen-alg');
  let ivgen: QCryptoIVGenAlgo | null = mode === 'ecb' ? null : qcryptoIVGenAlgoParse(ivName ?? 'plain64');
  if (mode === 'ecb' && ivName !== undefined) throw new QemuError(`Cipher mode ecb does not take an IV generator`);
  let ivgenHash: QCryptoHashAlgo | null = null;
  const ivHashName = opts.get('ivgen-hash-alg');
  if (ivgen === 'essiv') ivgenHash = qcryptoHashAlgoParse(ivHashName ?? 'sha256');
  else if (ivHashName !== undefined) throw new QemuError(`Parameter 'ivgen-hash-alg' is only valid with ivgen-alg=essiv`);
  if (mode === 'ctr') throw new QemuError(`Cipher mode ctr is not supported for LUKS`);
  ivgen = ivgen ?? null;
  const spec = { alg, mode, ivgen, ivgenHash, keyBytes: qcryptoCipherGetKeyLen(alg, mode) };
  luksCheckSpecSupported(spec);
  return spec;
}

function parseKdf(name: string): Argon2Type | 'pbkdf2' {
  if (name !== 'pbkdf2' && name !== 'argon2i' && name !== 'argon2id') throw new QemuError(`Unsupported PBKDF '${name}'`);
  return name;
}

export async function qcryptoBlockCreate(opts: BlockOptions, init: CryptoInitFunc, write: CryptoWriteFunc): Promise<QCryptoBlockLUKS> {
  checkKeys(opts, CREATE_KEYS);
  const pass = secretOpt(opts, 'key-secret');
  if (!pass) throw new QemuError(`Parameter 'key-secret' is required for cipher`);
  const spec = createSpec(opts);
  const hash = qcryptoHashAlgoParse(opts.get('hash-alg') ?? 'sha256');
  const iterTimeMs = intOpt(opts, 'iter-time', 2000, 1, 3600 * 1000);
  const version = intOpt(opts, 'luks-version', 1, 1, 2);
  if (version === 1) {
    for (const k of ['pbkdf', 'pbkdf-memory', 'pbkdf-parallel']) if (opts.has(k)) throw new QemuError(`Parameter '${k}' requires luks-version=2`);
    if (intOpt(opts, 'sector-size', 512, 512, 512) !== 512) throw new QemuError('LUKS1 sector size is 512');
    return luks1Create({ spec, hash, iterTimeMs, passphrase: pass }, init, write);
  }
  const sectorSize = intOpt(opts, 'sector-size', 4096, 512, 4096);
  if ((sectorSize & (sectorSize - 1)) !== 0) throw new QemuError(`Parameter 'sector-size' must be a power of two between 512 and 4096`);
  const p: Luks2CreateParams = {
    spec, hash, iterTimeMs, passphrase: pass, sectorSize, kdf: parseKdf(opts.get('pbkdf') ?? 'argon2id'),
    memoryKiB: intOpt(opts, 'pbkdf-memory', 1048576, 32, 4 * 1048576), parallel: intOpt(opts, 'pbkdf-parallel', 4, 1, 16),
  };
  return luks2Create(p, init, write);
}

export async function qcryptoBlockAmend(block: QCryptoBlock, opts: BlockOptions, read: CryptoReadFunc, write: CryptoWriteFunc): Promise<void> {
  if (!(block instanceof QCryptoBlockLUKS)) throw new QemuError('Amending is only supported for LUKS volumes');
  checkKeys(opts, AMEND_KEYS);
  const state = opts.get('state');
  if (state !== 'active' && state !== 'inactive') throw new QemuError(`Parameter 'state' must be 'active' or 'inactive'`);
  const req: LuksAmendRequest = {
    state,
    keyslot: opts.has('keyslot') ? intOpt(opts, 'keyslot', 0, 0, 0xffff) : null,
    newSecret: secretOpt(opts, 'new-secret'),
    oldSecret: secretOpt(opts, 'old-secret'),
    iterTimeMs: intOpt(opts, 'iter-time', 2000, 1, 3600 * 1000),
    force: opts.has('force') ? parseBool('force', opts.get('force')!) : false,
  };
  await luksAmend(block.volume, block.volumeKey, req, read, write);
}

/** The provider the block layer (luks driver, qcow2) reaches through setCryptoProvider. */
export const qcryptoBlockProvider: QCryptoBlockProvider = {
  open: qcryptoBlockOpen,
  create: qcryptoBlockCreate,
  amend: qcryptoBlockAmend,
};
