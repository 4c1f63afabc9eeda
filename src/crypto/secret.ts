// The `secret` object (QEMU's crypto/secret.c + secret_common.c): passphrases and keys given
// as --object secret,id=ID,data=...|file=...[,format=raw|base64][,keyid=ID,iv=BASE64].
// With keyid the payload is AES-256-CBC ciphertext under another secret (32 bytes), the IV in
// base64, PKCS#7 padded. Objects live in one registry (QEMU's /objects container) that the
// block layer consults by id.
import { QemuError } from '../qemu/error.js';
import { QemuOptsDict, checkKnownKeys, parseQemuOpts } from '../qemu/option.js';
import { base64Decode } from './base64.js';
import { QCryptoCipher } from './cipher.js';

export type QCryptoSecretFormat = 'raw' | 'base64';

export interface QCryptoSecret {
  readonly id: string;
  readonly format: QCryptoSecretFormat;
  /** The decoded, decrypted secret bytes. */
  readonly data: Uint8Array;
}

/** How a `file=` secret is read: injected by the host (node:fs, or a browser store). */
export type SecretFileReader = (path: string) => Uint8Array;

const objects = new Map<string, QCryptoSecret>();
const SECRET_KEYS = ['qom-type', 'id', 'data', 'file', 'format', 'keyid', 'iv'];

/** QEMU's id_wellformed(): a letter, then letters, digits, '-', '.', '_'. */
export function idWellFormed(id: string): boolean {
  return /^[A-Za-z][A-Za-z0-9._-]*$/.test(id);
}

function decryptSecret(id: string, keyid: string, ivText: string | undefined, input: Uint8Array): Uint8Array {
  const key = qcryptoSecretLookup(keyid);
  if (key.length !== 32) throw new QemuError(`Key should be 32 bytes in length`);
  if (ivText === undefined) throw new QemuError('IV is required to decrypt secret');
  const iv = base64Decode(ivText, 'IV');
  if (iv.length !== 16) throw new QemuError(`IV should be 16 bytes in length not ${iv.length}`);
  if (input.length === 0 || input.length % 16 !== 0) {
    throw new QemuError(`Encrypted secret '${id}' must be a non-empty multiple of 16 bytes`);
  }
  const aes = new QCryptoCipher('aes-256', 'cbc', key);
  aes.setIV(iv);
  const plain = new Uint8Array(input.length);
  aes.decrypt(input, plain);
  const pad = plain[plain.length - 1];
  // Stricter than QEMU: every padding byte must carry the pad length.
  const okPad = pad >= 1 && pad <= 16 && plain.subarray(plain.length - pad).every((b) => b === pad);
  if (!okPad) throw new QemuError(`Incorrect number of padding bytes (${pad}) found on decrypted data`);
  return plain.slice(0, plain.length - pad);
}

/** Build a secret from its QemuOpts (without registering it). */
export function qcryptoSecretNew(opts: QemuOptsDict, readFile?: SecretFileReader): QCryptoSecret {
  checkKnownKeys(opts, SECRET_KEYS, 'secret');
  const id = opts.get('id');
  if (id === undefined) throw new QemuError(`Parameter 'id' is missing`);
  if (!idWellFormed(id)) throw new QemuError(`Parameter 'id' expects an identifier`);
  const format = opts.get('format') ?? 'raw';
  if (format !== 'raw' && format !== 'base64') throw new QemuError(`Parameter 'format' does not accept value '${format}'`);
  const data = opts.get('data');
  const file = opts.get('file');
  if (data !== undefined && file !== undefined) throw new QemuError(`'data' and 'file' are mutually exclusive`);
  let input: Uint8Array;
  if (data !== undefined) {
    input = new TextEncoder().encode(data);
  } else if (file !== undefined) {
    if (!readFile) throw new QemuError(`Secret files are not available here`);
    input = readFile(file);
  } else {
    throw new QemuError(`Either 'file' or 'data' must be provided`);
  }
  const keyid = opts.get('keyid');
  if (keyid === undefined && opts.has('iv')) throw new QemuError(`'iv' requires 'keyid'`);
  if (format === 'base64') input = base64Decode(new TextDecoder().decode(input), `secret '${id}'`);
  const out = keyid !== undefined ? decryptSecret(id, keyid, opts.get('iv'), input) : input;
  return { id, format, data: out };
}

export function qcryptoSecretAdd(secret: QCryptoSecret): void {
  if (objects.has(secret.id)) throw new QemuError(`Duplicate ID '${secret.id}' for object`);
  objects.set(secret.id, secret);
}

/** --object secret,id=...: parse, build and register. Returns the new secret. */
export function qcryptoSecretAddOpts(text: string, readFile?: SecretFileReader): QCryptoSecret {
  const opts = parseQemuOpts(text, 'qom-type');
  const type = opts.get('qom-type');
  if (type !== 'secret') throw new QemuError(`Invalid object type '${type ?? ''}': only 'secret' is known here`);
  const s = qcryptoSecretNew(opts, readFile);
  qcryptoSecretAdd(s);
  return s;
}

export function qcryptoSecretDel(id: string): boolean { return objects.delete(id); }

export function qcryptoSecretLookup(id: string): Uint8Array {
  const s = objects.get(id);
  if (!s) throw new QemuError(`No secret with id '${id}'`);
  return s.data.slice();
}

export function qcryptoSecretLookupAsUtf8(id: string): string {
  const data = qcryptoSecretLookup(id);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(data);
  } catch {
    throw new QemuError(`Data from secret ${id} is not valid UTF-8`);
  }
}
