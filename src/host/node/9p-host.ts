// Host primitives of the 9p local back end: descriptor-relative names through /proc/self/fd, the
// native fsdev addon (xattrs, mknod, utimensat, stat with mapped ownership) and errno mapping.
//
// Containment: Node has no openat(). A name is reached as "/proc/self/fd/<dirfd>/<name>": the
// kernel resolves the magic link to the directory the descriptor holds (wherever it has been
// moved since), then looks up one checked name in it. Every directory on the way from the export
// root is opened this way with O_DIRECTORY|O_NOFOLLOW, so neither '..', an absolute symlink nor a
// symlink swapped in between two requests leads outside: the walk never follows a link.
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import { promisify } from 'node:util';
import { nativeAddonPath } from './dist-path.js';
import { Errno, FsError, LFlag } from '../../9pfs/9p-proto.js';
import type { FsStat } from '../../9pfs/fsdriver.js';

export const C = fs.constants;
/** O_PATH (Linux, every architecture Node runs on): a handle for *at use only. */
export const O_PATH = 0o10000000;

export const pOpen = promisify(fs.open) as (p: fs.PathLike, flags: number, mode?: number) => Promise<number>;
export const pClose = promisify(fs.close);
export const pRead = (fd: number, b: Uint8Array, o: number, l: number, p: number): Promise<number> =>
  new Promise((res, rej) => fs.read(fd, b, o, l, p, (e, n) => (e ? rej(e) : res(n))));
export const pWrite = (fd: number, b: Uint8Array, o: number, l: number, p: number): Promise<number> =>
  new Promise((res, rej) => fs.write(fd, b, o, l, p, (e, n) => (e ? rej(e) : res(n))));
export const fsp = fs.promises;

/** "/proc/self/fd/<fd>/<name>" as bytes (names are byte strings). */
export function at(dirfd: number, name: string): Buffer {
  return Buffer.from(`/proc/self/fd/${dirfd}/${name}`, 'latin1');
}
export function self(fd: number): Buffer {
  return Buffer.from(`/proc/self/fd/${fd}`);
}

/** Node's error as the guest's errno. */
export function fsErr(e: unknown): FsError {
  if (e instanceof FsError) return e;
  const n = (e as NodeJS.ErrnoException).errno;
  return new FsError(typeof n === 'number' && n < 0 ? -n : Errno.EIO, (e as Error).message);
}
export async function host<T>(p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (e) {
    throw fsErr(e);
  }
}

/** Guest (asm-generic) open flags to this host's. */
export function hostOpenFlags(f: number): number {
  let h = f & LFlag.O_ACCMODE;
  const map: Array<[number, number]> = [
    [LFlag.O_CREAT, C.O_CREAT], [LFlag.O_EXCL, C.O_EXCL], [LFlag.O_TRUNC, C.O_TRUNC], [LFlag.O_APPEND, C.O_APPEND],
    [LFlag.O_DSYNC, C.O_DSYNC], [LFlag.O_DIRECTORY, C.O_DIRECTORY], [LFlag.O_NOATIME, C.O_NOATIME ?? 0],
  ];
  for (const [g, hv] of map) if (f & g) h |= hv;
  if ((f & LFlag.O_SYNC) === LFlag.O_SYNC) h |= C.O_SYNC;
  // Never follow a last-component link; never block on a FIFO or device (QEMU's openat_file).
  return h | C.O_NOFOLLOW | C.O_NONBLOCK;
}

// ---- the native addon ----

export const enum FsOp { LGETXATTR = 1, LSETXATTR = 2, LLISTXATTR = 3, LREMOVEXATTR = 4, MKNOD = 5, UTIMENSAT = 6,
  LSTAT = 7, FSTAT = 8, WALKDIR = 11, LSTATAT = 12, SETMAPPED = 13 }
interface FsdevAddon {
  fsCall(op: number, path: Uint8Array | null, name: Uint8Array | null, buf: ArrayBufferView | null,
    a: number, b: number, c: number, d: number): Promise<number>;
  /** The stat ops (LSTAT, FSTAT, LSTATAT) on this thread: the result or -errno. An older build lacks it. */
  fsCallSync?(op: number, path: Uint8Array | null, name: null, buf: BigInt64Array, a: number, b: number, c: number, d: number): number;
}
let addon: FsdevAddon | null | undefined;
export function fsdevAddon(): FsdevAddon | null {
  if (addon !== undefined) return addon;
  addon = null;
  if (process.env.TSQEMU_NO_NATIVE || process.env.TSQEMU_NO_FSDEV) return addon;
  try {
    addon = createRequire(import.meta.url)(nativeAddonPath('tsqemu_fsdev')) as FsdevAddon;
  } catch { /* not built */ }
  return addon;
}
export const NO_ADDON = 'the native tsqemu_fsdev addon is not built (npm install builds it with node-gyp)';

export async function call(op: FsOp, path: Uint8Array | null, name: string | null, buf: ArrayBufferView | null,
  a = 0, b = 0, c = 0, d = 0): Promise<number> {
  const n = fsdevAddon();
  if (!n) throw new FsError(Errno.EOPNOTSUPP, NO_ADDON);
  const r = await n.fsCall(op, path, name === null ? null : Buffer.from(name, 'latin1'), buf, a, b, c, d);
  if (r < 0) throw new FsError(-r);
  return r;
}

const ST_COUNT = 16;
function statFrom(o: BigInt64Array): FsStat {
  const ns = (s: number) => o[s] * 1_000_000_000n + o[s + 1];
  return {
    mode: Number(o[0]), uid: Number(o[1]), gid: Number(o[2]), nlink: Number(o[3]), rdev: Number(BigInt.asUintN(64, o[4])),
    size: Number(o[5]), blksize: Number(o[6]), blocks: Number(o[7]), atimeNs: ns(8), mtimeNs: ns(10), ctimeNs: ns(12),
    ino: BigInt.asUintN(64, o[14]), dev: BigInt.asUintN(64, o[15]),
  };
}
function statFromNode(s: fs.BigIntStats): FsStat {
  return {
    mode: Number(s.mode), uid: Number(s.uid), gid: Number(s.gid), nlink: Number(s.nlink), rdev: Number(s.rdev),
    size: Number(s.size), blksize: Number(s.blksize), blocks: Number(s.blocks), atimeNs: s.atimeNs, mtimeNs: s.mtimeNs,
    ctimeNs: s.ctimeNs, ino: s.ino, dev: s.dev,
  };
}

/** lstat of a path, with user.virtfs.* ownership laid over it when `mapped`. */
export async function lstatPath(path: Buffer, mapped: boolean): Promise<FsStat> {
  if (!fsdevAddon()) {
    if (mapped) throw new FsError(Errno.EOPNOTSUPP, NO_ADDON);
    return statFromNode(await host(fsp.lstat(path, { bigint: true })));
  }
  const o = new BigInt64Array(ST_COUNT);
  await call(FsOp.LSTAT, path, null, o, mapped ? 1 : 0);
  return statFrom(o);
}

/** lstat of the relative path `rel` ("a/b/c") below `dirfd` in one thread-pool trip (needs the addon). */
export async function lstatBelow(dirfd: number, rel: string, mapped: boolean): Promise<FsStat> {
  const o = new BigInt64Array(ST_COUNT);
  await call(FsOp.LSTATAT, Buffer.from(rel, 'latin1'), null, o, mapped ? 1 : 0, dirfd);
  return statFrom(o);
}

/** Whether the addon can stat on this thread (lstatBelowSync, lstatPathSync). */
export function canStatSync(): boolean {
  return typeof fsdevAddon()?.fsCallSync === 'function';
}

function statSync(op: FsOp, path: Uint8Array, mapped: boolean, fd = 0): FsStat {
  const o = new BigInt64Array(ST_COUNT);
  const r = (fsdevAddon() as Required<FsdevAddon>).fsCallSync(op, path, null, o, mapped ? 1 : 0, fd, 0, 0);
  if (r < 0) throw new FsError(-r);
  return statFrom(o);
}

/** lstatBelow on this thread (canStatSync). */
export function lstatBelowSync(dirfd: number, rel: string, mapped: boolean): FsStat {
  return statSync(FsOp.LSTATAT, Buffer.from(rel, 'latin1'), mapped, dirfd);
}

/** lstatPath on this thread (canStatSync). */
export function lstatPathSync(path: Buffer, mapped: boolean): FsStat {
  return statSync(FsOp.LSTAT, path, mapped);
}

export async function fstatFd(fd: number, mapped: boolean): Promise<FsStat> {
  if (!fsdevAddon()) {
    if (mapped) throw new FsError(Errno.EOPNOTSUPP, NO_ADDON);
    return statFromNode(await host(promisify(fs.fstat)(fd, { bigint: true }) as Promise<fs.BigIntStats>));
  }
  const o = new BigInt64Array(ST_COUNT);
  await call(FsOp.FSTAT, null, null, o, mapped ? 1 : 0, fd);
  return statFrom(o);
}

/** user.virtfs.<key> as QEMU stores it: little-endian u32 (uid, gid, mode) or u64 (rdev), in one trip. */
export async function setMappedXattrs(path: Buffer, cred: { uid: number; gid: number; mode: number; rdev: number }): Promise<void> {
  const v = (x: number) => (x === -1 ? -1 : x >>> 0);
  await call(FsOp.SETMAPPED, path, null, null, v(cred.uid), v(cred.gid), v(cred.mode), cred.rdev === -1 ? -1 : cred.rdev);
}
