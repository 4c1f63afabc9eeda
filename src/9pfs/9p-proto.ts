// 9P2000.L wire format (Linux include/net/9p/9p.h, Documentation/filesystems/9p.rst): message
// numbers, little-endian marshalling, and the constants the server shares with its back ends.
// Strings are kept as byte strings (one char per byte, latin1): a host file name that is not
// UTF-8 goes to the guest and comes back unchanged.

export const enum P9 {
  TLERROR = 6, RLERROR = 7, TSTATFS = 8, RSTATFS = 9, TLOPEN = 12, RLOPEN = 13, TLCREATE = 14, RLCREATE = 15,
  TSYMLINK = 16, RSYMLINK = 17, TMKNOD = 18, RMKNOD = 19, TRENAME = 20, RRENAME = 21, TREADLINK = 22, RREADLINK = 23,
  TGETATTR = 24, RGETATTR = 25, TSETATTR = 26, RSETATTR = 27, TXATTRWALK = 30, RXATTRWALK = 31,
  TXATTRCREATE = 32, RXATTRCREATE = 33, TREADDIR = 40, RREADDIR = 41, TFSYNC = 50, RFSYNC = 51, TLOCK = 52, RLOCK = 53,
  TGETLOCK = 54, RGETLOCK = 55, TLINK = 70, RLINK = 71, TMKDIR = 72, RMKDIR = 73, TRENAMEAT = 74, RRENAMEAT = 75,
  TUNLINKAT = 76, RUNLINKAT = 77, TVERSION = 100, RVERSION = 101, TAUTH = 102, TATTACH = 104, RATTACH = 105,
  TFLUSH = 108, RFLUSH = 109, TWALK = 110, RWALK = 111, TREAD = 116, RREAD = 117, TWRITE = 118, RWRITE = 119,
  TCLUNK = 120, RCLUNK = 121, TREMOVE = 122, RREMOVE = 123,
}

/** Linux errno values (what Rlerror carries, whatever the host). */
export const enum Errno {
  EPERM = 1, ENOENT = 2, EIO = 5, ENXIO = 6, E2BIG = 7, EBADF = 9, EAGAIN = 11, ENOMEM = 12, EACCES = 13,
  EBUSY = 16, EEXIST = 17, EXDEV = 18, ENODEV = 19, ENOTDIR = 20, EISDIR = 21, EINVAL = 22, ENFILE = 23, EMFILE = 24,
  EFBIG = 27, ENOSPC = 28, EROFS = 30, EMLINK = 31, ERANGE = 34, ENAMETOOLONG = 36, ENOSYS = 38, ENOTEMPTY = 39,
  ELOOP = 40, ENODATA = 61, EPROTO = 71, EOVERFLOW = 75, EOPNOTSUPP = 95,
}

/** An error a back end reports: its errno goes to the guest in Rlerror. */
export class FsError extends Error {
  constructor(readonly errno: number, why = '') {
    super(why || `errno ${errno}`);
  }
}

export const enum QidType { DIR = 0x80, SYMLINK = 0x02, FILE = 0 }
export const QID_SIZE = 13;
export interface Qid { type: number; version: number; path: bigint }

/** Linux open flags as 9P2000.L carries them (asm-generic values, what riscv64 uses). */
export const enum LFlag {
  O_ACCMODE = 3, O_WRONLY = 1, O_RDWR = 2, O_CREAT = 0o100, O_EXCL = 0o200, O_NOCTTY = 0o400, O_TRUNC = 0o1000,
  O_APPEND = 0o2000, O_NONBLOCK = 0o4000, O_DSYNC = 0o10000, O_FASYNC = 0o20000, O_DIRECT = 0o40000,
  O_LARGEFILE = 0o100000, O_DIRECTORY = 0o200000, O_NOFOLLOW = 0o400000, O_NOATIME = 0o1000000,
  O_CLOEXEC = 0o2000000, O_SYNC = 0o4010000,
}

export const enum SMode { IFMT = 0o170000, IFDIR = 0o040000, IFREG = 0o100000, IFLNK = 0o120000, IFCHR = 0o020000,
  IFBLK = 0o060000, IFIFO = 0o010000, IFSOCK = 0o140000 }

/** Tsetattr valid bits. */
export const enum SetattrValid { MODE = 1, UID = 2, GID = 4, SIZE = 8, ATIME = 0x10, MTIME = 0x20, CTIME = 0x40,
  ATIME_SET = 0x80, MTIME_SET = 0x100 }
export const P9_GETATTR_BASIC = 0x7ffn;
export const AT_REMOVEDIR = 0x200;
export const P9_NOFID = 0xffffffff;
export const P9_HDR = 7; // size[4] type[1] tag[2]

/** Thrown by P9Reader on a message shorter than its fields say: the request gets EINVAL/EPROTO. */
export class P9ProtoError extends Error {}

export class P9Reader {
  private readonly dv: DataView;
  pos = 0;
  constructor(readonly buf: Uint8Array) {
    this.dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }
  private need(n: number): void {
    if (this.pos + n > this.buf.length) throw new P9ProtoError('short message');
  }
  u8(): number { this.need(1); return this.dv.getUint8(this.pos++); }
  u16(): number { this.need(2); const v = this.dv.getUint16(this.pos, true); this.pos += 2; return v; }
  u32(): number { this.need(4); const v = this.dv.getUint32(this.pos, true); this.pos += 4; return v; }
  u64(): bigint { this.need(8); const v = this.dv.getBigUint64(this.pos, true); this.pos += 8; return v; }
  /** A u64 that must fit a JS number (offsets, sizes); larger values are a protocol error. */
  u64n(): number {
    const v = this.u64();
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new P9ProtoError('64-bit value out of range');
    return Number(v);
  }
  str(): string {
    const n = this.u16();
    this.need(n);
    let s = '';
    for (let i = 0; i < n; i++) s += String.fromCharCode(this.buf[this.pos + i]);
    this.pos += n;
    return s;
  }
  bytes(n: number): Uint8Array {
    this.need(n);
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }
}

/** Builds one reply; grows as needed, but the server checks the total against msize. */
export class P9Writer {
  buf: Uint8Array;
  private dv: DataView;
  pos = P9_HDR;
  constructor(size = 256) {
    this.buf = new Uint8Array(size);
    this.dv = new DataView(this.buf.buffer);
  }
  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const nb = new Uint8Array(Math.max(this.buf.length * 2, this.pos + n));
    nb.set(this.buf);
    this.buf = nb;
    this.dv = new DataView(nb.buffer);
  }
  u8(v: number): this { this.room(1); this.dv.setUint8(this.pos++, v); return this; }
  u16(v: number): this { this.room(2); this.dv.setUint16(this.pos, v, true); this.pos += 2; return this; }
  u32(v: number): this { this.room(4); this.dv.setUint32(this.pos, v >>> 0, true); this.pos += 4; return this; }
  u64(v: bigint | number): this {
    this.room(8);
    this.dv.setBigUint64(this.pos, BigInt.asUintN(64, BigInt(v)), true);
    this.pos += 8;
    return this;
  }
  str(s: string): this {
    this.u16(s.length);
    this.room(s.length);
    for (let i = 0; i < s.length; i++) this.buf[this.pos + i] = s.charCodeAt(i) & 0xff;
    this.pos += s.length;
    return this;
  }
  qid(q: Qid): this { return this.u8(q.type).u32(q.version).u64(q.path); }
  bytes(b: Uint8Array): this { this.room(b.length); this.buf.set(b, this.pos); this.pos += b.length; return this; }
  /** Size in bytes of a string field. */
  static strSize(s: string): number { return 2 + s.length; }
  /** Fill in the header and return the message. */
  finish(type: number, tag: number): Uint8Array {
    this.dv.setUint32(0, this.pos, true);
    this.dv.setUint8(4, type);
    this.dv.setUint16(5, tag, true);
    return this.buf.subarray(0, this.pos);
  }
}

/** A byte string (latin1) from bytes, and back: how names travel between server and back end. */
export function bytesToStr(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i += 4096) s += String.fromCharCode(...b.subarray(i, i + 4096));
  return s;
}
export function strToBytes(s: string): Uint8Array {
  const b = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i) & 0xff;
  return b;
}
