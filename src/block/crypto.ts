// The 'luks' format driver (QEMU's block/crypto.c): a LUKS1 or LUKS2 volume on a `file` child.
// The header logic lives in src/crypto/; this file maps guest offsets onto the encrypted
// payload, encrypting on write (through a bounce buffer: the caller's data stays plaintext)
// and decrypting on read, one sector (512, or LUKS2's up to 4096) at a time.
import { QemuError } from '../qemu/error.js';
import { LUKS1_HEADER_LEN, luksHasMagic } from '../crypto/block-luks.js';
import { QCryptoBlockLUKS } from '../crypto/block-luks-common.js';
import { qcryptoBlockAmend, qcryptoBlockCreate, qcryptoBlockOpen } from '../crypto/block.js';
import { GENERIC_KEYS } from './block.js';
import {
  BdrvAmendOps, BdrvCreateContext, BdrvOpenContext, BdrvOpenFlags, BlockDriver, BlockDriverState, BlockOptions,
  CryptoReadFunc, CryptoWriteFunc, FormatSpecificInfo, PreallocMode,
} from './block_int.js';
import { bdrvPread, bdrvPwrite } from './io.js';

/** Requests are en/decrypted in pieces of this size, bounding the bounce buffer. */
const CHUNK = 1 << 20;
const OPEN_KEYS = ['key-secret', 'file', 'x-probed'];

function headerIO(child: BlockDriverState): { read: CryptoReadFunc; write: CryptoWriteFunc } {
  return {
    read: async (offset, buf) => {
      if (offset + buf.length > child.getLength()) {
        throw new QemuError(`LUKS header area at offset ${offset} (${buf.length} bytes) is past the end of the image`);
      }
      await bdrvPread(child, offset, buf);
    },
    write: (offset, buf) => bdrvPwrite(child, offset, buf),
  };
}

class BDRVCryptoState extends BlockDriverState implements BdrvAmendOps {
  constructor(drv: BlockDriver, flags: BdrvOpenFlags, readonly child: BlockDriverState, readonly crypto: QCryptoBlockLUKS) {
    super(drv, flags);
    this.file = child;
    this.filename = child.filename;
    this.encrypted = true;
    this.requestAlignment = Math.max(crypto.sectorSize, child.requestAlignment);
  }

  getLength(): number {
    const bytes = Math.max(0, this.child.getLength() - this.crypto.payloadOffset);
    return bytes - (bytes % this.crypto.sectorSize);
  }

  async preadv(offset: number, buf: Uint8Array): Promise<void> {
    for (let done = 0; done < buf.length; done += CHUNK) {
      const piece = buf.subarray(done, Math.min(buf.length, done + CHUNK));
      await bdrvPread(this.child, this.crypto.payloadOffset + offset + done, piece);
      await this.crypto.decrypt(offset + done, piece);
    }
  }

  async pwritev(offset: number, buf: Uint8Array, flags: number): Promise<void> {
    const bounce = new Uint8Array(Math.min(buf.length, CHUNK));
    for (let done = 0; done < buf.length; done += CHUNK) {
      const n = Math.min(CHUNK, buf.length - done);
      const piece = bounce.subarray(0, n);
      piece.set(buf.subarray(done, done + n));
      await this.crypto.encrypt(offset + done, piece);
      await bdrvPwrite(this.child, this.crypto.payloadOffset + offset + done, piece, flags);
    }
  }

  flush(): Promise<void> { return this.child.flush(); }
  close(): Promise<void> { return this.child.close(); }

  override async truncate(offset: number, exact: boolean, prealloc: PreallocMode, shrink: boolean): Promise<void> {
    if (offset % this.crypto.sectorSize !== 0) throw new QemuError(`The new size must be a multiple of ${this.crypto.sectorSize}`);
    await this.child.truncate(this.crypto.payloadOffset + offset, exact, prealloc, shrink);
  }

  override getSpecificInfo(): FormatSpecificInfo { return { type: 'luks', data: this.crypto.getInfo() }; }

  async amend(opts: BlockOptions): Promise<void> {
    const io = headerIO(this.child);
    await qcryptoBlockAmend(this.crypto, opts, io.read, io.write);
  }
}

/** The options that reach the crypto layer; a key it does not know is an error. */
function cryptoOpenOptions(opts: BlockOptions): BlockOptions {
  const r: BlockOptions = new Map();
  for (const [k, v] of opts) {
    if (GENERIC_KEYS.includes(k) || k.startsWith('file.') || OPEN_KEYS.includes(k)) {
      if (k === 'key-secret') r.set(k, v);
      continue;
    }
    throw new QemuError(`Invalid parameter '${k}'`);
  }
  return r;
}

const SIZE_KEYS = ['size', 'preallocation'];

export const bdrvCrypto: BlockDriver = {
  formatName: 'luks',
  isProtocol: false,
  probe(header: Uint8Array): number {
    if (header.length < 8 || !luksHasMagic(header)) return 0;
    const version = (header[6] << 8) | header[7];
    return version === 1 || version === 2 ? 100 : 0;
  },
  async open(ctx: BdrvOpenContext): Promise<BlockDriverState> {
    const copts = cryptoOpenOptions(ctx.options);
    const child = await ctx.openFile();
    try {
      if (child.getLength() < LUKS1_HEADER_LEN) throw new QemuError('LUKS header is truncated');
      // Without a key a read-only open still shows the header (qemu-img info); data I/O fails.
      const noIO = !copts.has('key-secret') && ctx.flags.readOnly;
      const crypto = await qcryptoBlockOpen(copts, headerIO(child).read, noIO);
      return new BDRVCryptoState(bdrvCrypto, ctx.flags, child, crypto);
    } catch (e) {
      await child.close();
      throw e;
    }
  },
  async create(ctx: BdrvCreateContext): Promise<void> {
    const copts: BlockOptions = new Map([...ctx.options].filter(([k]) => !SIZE_KEYS.includes(k)));
    const prealloc = (ctx.options.get('preallocation') ?? 'off') as PreallocMode;
    if (!['off', 'falloc', 'full'].includes(prealloc)) throw new QemuError(`Invalid parameter '${prealloc}'`);
    const size = ctx.size - (ctx.size % 512);
    const f = await ctx.createFile(ctx.filename, 'off', 0);
    try {
      const io = headerIO(f);
      await qcryptoBlockCreate(copts, (headerLen) => f.truncate(headerLen + size, true, prealloc, false), io.write);
    } finally {
      await f.close();
    }
  },
  createOptions: [
    { name: 'key-secret', type: 'string', help: 'ID of secret providing LUKS passphrase' },
    { name: 'cipher-alg', type: 'string', help: 'Name of encryption cipher algorithm', def: 'aes-256' },
    { name: 'cipher-mode', type: 'string', help: 'Name of encryption cipher mode', def: 'xts' },
    { name: 'ivgen-alg', type: 'string', help: 'Name of IV generator algorithm', def: 'plain64' },
    { name: 'ivgen-hash-alg', type: 'string', help: 'Name of IV generator hash algorithm' },
    { name: 'hash-alg', type: 'string', help: 'Name of encryption hash algorithm', def: 'sha256' },
    { name: 'iter-time', type: 'number', help: 'Time to spend in PBKDF in milliseconds', def: '2000' },
    { name: 'luks-version', type: 'number', help: 'LUKS on-disk format version (1 or 2)', def: '1' },
    { name: 'pbkdf', type: 'string', help: 'LUKS2 keyslot PBKDF (argon2id, argon2i, pbkdf2)', def: 'argon2id' },
    { name: 'pbkdf-memory', type: 'number', help: 'LUKS2 argon2 memory cost in KiB', def: '1048576' },
    { name: 'pbkdf-parallel', type: 'number', help: 'LUKS2 argon2 parallel cost', def: '4' },
    { name: 'sector-size', type: 'number', help: 'LUKS2 encryption sector size', def: '4096' },
    { name: 'size', type: 'size', help: 'Virtual disk size' },
    { name: 'preallocation', type: 'string', help: 'Preallocation mode (allowed values: off, falloc, full)' },
  ],
};
