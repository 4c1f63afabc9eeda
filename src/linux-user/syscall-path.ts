// System calls naming files by path (the *at family), stat/statx/statfs, directory reading,
// the current directory and umask.
import { NR } from './syscall-nr.js';
import { Errno, SyscallError } from './errno.js';
import { int, long, ptr, uint, type SyscallTable } from './syscall-types.js';
import { AT_FDCWD, type TaskState } from './qemu.js';
import type { HostStat } from './host.js';
import { KernelWord } from './layout.js';
import { S_IFDIR, S_IFMT } from './syscall-file.js';
import { guestFdDir, guestFds, memFile } from './proc.js';
import { check } from './blocking.js';

const AT_SYMLINK_NOFOLLOW = 0x100, AT_REMOVEDIR = 0x200, AT_EMPTY_PATH = 0x1000;
const S_IFLNK = 0o120000n;
const O_CREAT = 0o100, O_CLOEXEC = 0o2000000, O_TMPFILE = 0o20000000;

function path(ts: TaskState, dirfd: number, p: bigint): string {
  return ts.hostPath(dirfd, ts.mm.cstring(ptr(p)));
}

function openat(ts: TaskState, dirfd: number, pathname: bigint, flags: number, mode: number): number {
  const guest = ts.mm.cstring(ptr(pathname));
  const node = ts.procNode(dirfd, guest);
  if (node?.kind === 'file') {
    if (flags & 3) throw new SyscallError(Errno.EACCES); // made-up files are read-only
    return ts.fdt.install(memFile(ts, node.data(ts)), (flags & O_CLOEXEC) !== 0);
  }
  const p = node ? node.path : ts.hostPath(dirfd, guest);
  const umask = ts.mm.kw[KernelWord.UMASK];
  const m = flags & (O_CREAT | O_TMPFILE) ? mode & ~umask & 0o7777 : 0;
  const h = ts.fs.open(p, flags & ~O_CLOEXEC, m);
  return ts.fdt.install(h, (flags & O_CLOEXEC) !== 0);
}

/** struct stat of asm-generic (riscv64): 128 bytes. */
export function encodeStat(st: HostStat): Uint8Array {
  const b = new Uint8Array(128);
  const dv = new DataView(b.buffer);
  dv.setBigUint64(0, st.dev, true);
  dv.setBigUint64(8, st.ino, true);
  dv.setUint32(16, Number(st.mode), true);
  dv.setUint32(20, Number(st.nlink), true);
  dv.setUint32(24, Number(st.uid), true);
  dv.setUint32(28, Number(st.gid), true);
  dv.setBigUint64(32, st.rdev, true);
  dv.setBigInt64(48, st.size, true);
  dv.setInt32(56, Number(st.blksize), true);
  dv.setBigInt64(64, st.blocks, true);
  const times = [st.atimeNs, st.mtimeNs, st.ctimeNs];
  times.forEach((t, i) => {
    dv.setBigInt64(72 + i * 16, t / 1000000000n, true);
    dv.setBigUint64(80 + i * 16, t % 1000000000n, true);
  });
  return b;
}

const major = (d: bigint) => Number(((d >> 8n) & 0xfffn) | ((d >> 32n) & ~0xfffn));
const minor = (d: bigint) => Number((d & 0xffn) | ((d >> 12n) & ~0xffn));

/** struct statx: 256 bytes. */
function encodeStatx(st: HostStat): Uint8Array {
  const b = new Uint8Array(256);
  const dv = new DataView(b.buffer);
  dv.setUint32(0, 0x7ff, true); // STATX_BASIC_STATS | STATX_BTIME
  dv.setUint32(4, Number(st.blksize), true);
  dv.setUint32(16, Number(st.nlink), true);
  dv.setUint32(20, Number(st.uid), true);
  dv.setUint32(24, Number(st.gid), true);
  dv.setUint16(28, Number(st.mode), true);
  dv.setBigUint64(32, st.ino, true);
  dv.setBigUint64(40, st.size, true);
  dv.setBigUint64(48, st.blocks, true);
  const ts = (off: number, t: bigint) => {
    dv.setBigInt64(off, t / 1000000000n, true);
    dv.setUint32(off + 8, Number(t % 1000000000n), true);
  };
  ts(64, st.atimeNs); ts(80, st.birthtimeNs); ts(96, st.ctimeNs); ts(112, st.mtimeNs);
  dv.setUint32(128, major(st.rdev), true);
  dv.setUint32(132, minor(st.rdev), true);
  dv.setUint32(136, major(st.dev), true);
  dv.setUint32(140, minor(st.dev), true);
  return b;
}

function statAt(ts: TaskState, dirfd: number, pathname: bigint, flags: number, mask = 0): HostStat {
  const p = ts.mm.cstring(ptr(pathname));
  // Linux's do_statx / vfs_statx: STATX__RESERVED in the mask, both sync types, unknown flags.
  const AT_NO_AUTOMOUNT = 0x800, AT_STATX_SYNC_TYPE = 0x6000, STATX__RESERVED = 0x80000000;
  if (mask & STATX__RESERVED || (flags & AT_STATX_SYNC_TYPE) === AT_STATX_SYNC_TYPE) throw new SyscallError(Errno.EINVAL);
  if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT | AT_EMPTY_PATH | AT_STATX_SYNC_TYPE)) throw new SyscallError(Errno.EINVAL);
  if (p === '' && flags & AT_EMPTY_PATH) {
    return dirfd === AT_FDCWD ? ts.fs.stat(ts.cwdHost()) : ts.fs.fstat(ts.fdt.host(dirfd));
  }
  const node = ts.procNode(dirfd, p);
  if (node?.kind === 'link' && flags & AT_SYMLINK_NOFOLLOW) return ts.fs.lstat(node.lpath);
  const hp = node ? node.path : ts.hostPath(dirfd, p);
  return flags & AT_SYMLINK_NOFOLLOW ? ts.fs.lstat(hp) : ts.fs.stat(hp);
}

const DT_NAMES_DOT = 4; // DT_DIR for "." and ".."

/** The host's records of directory h (the addon): its order, "." and ".." where it puts them,
 * d_ino and d_type as they are, names as bytes. Null without the addon. */
function hostDirents(ts: TaskState, h: number): Array<{ name: string; type: number; ino: bigint; raw: Uint8Array }> | null {
  if (!ts.sys?.dirents) return null;
  for (let size = 65536; ; size *= 4) {
    const buf = new Uint8Array(size);
    const n = ts.sys.dirents(h, buf);
    if (n === -Errno.ENOBUFS && size < (1 << 30)) continue;
    if (n < 0) return null;
    const dv = new DataView(buf.buffer), out = [];
    for (let off = 0; off < n;) {
      const reclen = dv.getUint16(off + 16, true);
      let end = off + 19;
      while (end < off + reclen && buf[end] !== 0) end++;
      const raw = buf.slice(off + 19, end);
      out.push({ name: new TextDecoder().decode(raw), type: buf[off + 18], ino: dv.getBigUint64(off, true), raw });
      off += reclen;
    }
    return out;
  }
}

/** linux_dirent64 records: d_ino u64, d_off i64, d_reclen u16, d_type u8, d_name. */
function getdents64(ts: TaskState, fd: number, buf: number, count: number): number {
  const h = ts.fdt.host(fd);
  let stream = ts.dirStreams.get(h);
  // With the addon the read position is the host descriptor's offset (an entry index), so it
  // belongs to the open file description: shared by dup()s, threads and forked children, reset
  // by lseek (rewinddir re-reads the directory), as on Linux.
  const sys = ts.sys;
  const hostPos = sys ? sys.lseek(h, 0, 1 /* SEEK_CUR */) : -1;
  if (stream && hostPos >= 0) {
    if (hostPos === 0) stream = undefined;
    else stream.pos = hostPos;
  }
  if (!stream) {
    const dir = `/proc/self/fd/${h}`;
    if ((ts.fs.fstat(h).mode & S_IFMT) !== S_IFDIR) throw new SyscallError(Errno.ENOTDIR);
    const fdDir = guestFdDir(ts, h);
    const DT_REG = 8, DT_LNK = 10;
    const host = fdDir ? null : hostDirents(ts, h);
    const list = host ?? [{ name: '.', type: DT_NAMES_DOT }, { name: '..', type: DT_NAMES_DOT },
      ...(fdDir ? guestFds(ts).map((g) => ({ name: String(g), type: fdDir === 'fd' ? DT_LNK : DT_REG })) : ts.fs.readdir(dir))];
    const enc = new TextEncoder();
    const entries = list.map((e, i) => {
      let ino = 1n;
      if ('ino' in e) ino = e.ino as bigint;
      else try { ino = ts.fs.lstat(`${dir}/${e.name}`).ino; } catch { /* raced away */ }
      const name = 'raw' in e ? e.raw as Uint8Array : enc.encode(e.name);
      const reclen = (19 + name.length + 1 + 7) & ~7;
      const r = new Uint8Array(reclen);
      const dv = new DataView(r.buffer);
      dv.setBigUint64(0, ino, true);
      dv.setBigInt64(8, BigInt(i + 1), true);
      dv.setUint16(16, reclen, true);
      r[18] = e.type;
      r.set(name, 19);
      return r;
    });
    stream = { entries, pos: Math.max(0, hostPos) };
    ts.dirStreams.set(h, stream);
  }
  let used = 0;
  while (stream.pos < stream.entries.length) {
    const r = stream.entries[stream.pos];
    if (used + r.length > count) {
      if (used === 0) throw new SyscallError(Errno.EINVAL);
      break;
    }
    ts.mm.write(buf + used, r);
    used += r.length;
    stream.pos++;
  }
  if (sys && hostPos >= 0) sys.lseek(h, stream.pos, 0 /* SEEK_SET */);
  return used;
}

function readlinkat(ts: TaskState, dirfd: number, pathname: bigint, buf: number, size: number): number {
  const p = ts.mm.cstring(ptr(pathname));
  if (size <= 0) throw new SyscallError(Errno.EINVAL);
  if (p === '') {
    // The fd itself (an O_PATH|O_NOFOLLOW fd of a symlink): ENOENT for anything else.
    if (dirfd === AT_FDCWD) throw new SyscallError(Errno.ENOENT);
    const self = ts.fs.readlink(`/proc/self/fd/${ts.fdt.host(dirfd)}`);
    if ((ts.fs.lstat(self).mode & S_IFMT) !== S_IFLNK) throw new SyscallError(Errno.ENOENT);
    const b = new TextEncoder().encode(ts.fs.readlink(self)).subarray(0, size);
    ts.mm.write(buf, b);
    return b.length;
  }
  const node = ts.procNode(dirfd, p);
  const target = node?.kind === 'link' ? node.target : ts.fs.readlink(node ? node.path : ts.hostPath(dirfd, p));
  const b = new TextEncoder().encode(target).subarray(0, size);
  ts.mm.write(buf, b);
  return b.length;
}

const AT_SYMLINK_FOLLOW = 0x400;
/** Linux's limit on symlinks followed in one lookup (ELOOP past it). */
const MAXSYMLINKS = 40;

/** linkat: link(2) makes a link to a symlink itself; AT_SYMLINK_FOLLOW links to what it names
 * (its last component followed here, relative targets from the link's directory). AT_EMPTY_PATH
 * needs CAP_DAC_READ_SEARCH on Linux: ENOENT, as an unprivileged caller gets. */
function linkat(ts: TaskState, olddirfd: number, oldpath: bigint, newdirfd: number, newpath: bigint, flags: number): number {
  if (flags & ~(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH)) throw new SyscallError(Errno.EINVAL);
  const oldGuest = ts.mm.cstring(ptr(oldpath));
  if (oldGuest === '') throw new SyscallError(Errno.ENOENT);
  let from = ts.hostPath(olddirfd, oldGuest);
  for (let hops = 0; flags & AT_SYMLINK_FOLLOW; hops++) {
    if ((ts.fs.lstat(from).mode & S_IFMT) !== S_IFLNK) break;
    if (hops === MAXSYMLINKS) throw new SyscallError(Errno.ELOOP);
    const target = ts.fs.readlink(from);
    from = target.startsWith('/') ? ts.hostPath(AT_FDCWD, target) : `${from.slice(0, from.lastIndexOf('/') + 1)}${target}`;
  }
  ts.fs.link(from, path(ts, newdirfd, newpath));
  return 0;
}

function unlinkat(ts: TaskState, dirfd: number, pathname: bigint, flags: number): number {
  if (flags & ~AT_REMOVEDIR) throw new SyscallError(Errno.EINVAL); // Linux checks before the path
  const p = path(ts, dirfd, pathname);
  if (flags & AT_REMOVEDIR) ts.fs.rmdir(p);
  else ts.fs.unlink(p);
  return 0;
}

/** renameat2: flags (RENAME_NOREPLACE, RENAME_EXCHANGE, RENAME_WHITEOUT) through the host's
 * renameat2 (addon); without it, only flags 0. */
function renameat2(ts: TaskState, od: number, op: bigint, nd: number, np: bigint, flags: number): number {
  if (flags !== 0) {
    if (!ts.sys?.renameat2) throw new SyscallError(Errno.EINVAL);
    return check(ts.sys.renameat2(path(ts, od, op), path(ts, nd, np), flags));
  }
  ts.fs.rename(path(ts, od, op), path(ts, nd, np));
  return 0;
}

function utimensat(ts: TaskState, dirfd: number, pathname: bigint, times: number, flags: number): number {
  const nowS = Number(ts.proc.realtimeNs()) / 1e9;
  const get = (i: number, cur: number): number => {
    if (times === 0) return nowS;
    const sec = Number(ts.mm.u64(times + i * 16));
    const nsec = Number(ts.mm.u64(times + i * 16 + 8));
    if (nsec === 0x3fffffff) return nowS; // UTIME_NOW
    if (nsec === 0x3ffffffe) return cur; // UTIME_OMIT
    return sec + nsec / 1e9;
  };
  if (pathname === 0n) {
    const h = ts.fdt.host(dirfd);
    const st = ts.fs.fstat(h);
    ts.fs.futimes(h, get(0, Number(st.atimeNs) / 1e9), get(1, Number(st.mtimeNs) / 1e9));
    return 0;
  }
  const p = path(ts, dirfd, pathname);
  const follow = !(flags & AT_SYMLINK_NOFOLLOW);
  const st = follow ? ts.fs.stat(p) : ts.fs.lstat(p);
  ts.fs.utimes(p, get(0, Number(st.atimeNs) / 1e9), get(1, Number(st.mtimeNs) / 1e9), follow);
  return 0;
}

/** chdir/fchdir: the guest's cwd becomes an open host directory (KernelWord.CWD_FD) plus its
 * path as far as it is known (a path past CWD_BYTES is left empty: getcwd asks the host). */
function chdir(ts: TaskState, target: string): number {
  const st = ts.fs.stat(target);
  if ((st.mode & S_IFMT) !== S_IFDIR) throw new SyscallError(Errno.ENOTDIR);
  ts.fs.access(target, 1);
  let h = -1;
  try { h = ts.fs.open(target, 0, 0); } catch { /* no read permission: keep only the path */ }
  let path = '';
  try { path = h >= 0 || target.startsWith('/proc/self/fd/') ? ts.fs.readlink(h >= 0 ? `/proc/self/fd/${h}` : target) : ts.absolute(target); } catch { /* too long */ }
  if (h < 0 && !path) throw new SyscallError(Errno.ENAMETOOLONG);
  // The guest's own /proc stays a path (procNode rewrites it).
  if (path.startsWith('/proc/') || path === '/proc') { if (h >= 0) ts.fs.close(h); h = -1; path = ts.absolute(target); }
  const old = Atomics.exchange(ts.mm.kw, KernelWord.CWD_FD, h + 1) - 1;
  if (old >= 0) ts.fs.close(old);
  try { ts.fdt.cwd = path; } catch { ts.fdt.cwd = ''; }
  return 0;
}

/** The cwd's current path: a renamed directory gives its new name, a removed one ENOENT. */
export function currentCwd(ts: TaskState): string {
  const h = ts.mm.kw[KernelWord.CWD_FD] - 1;
  if (h < 0) return ts.fdt.cwd;
  if (ts.fs.fstat(h).nlink === 0n) throw new SyscallError(Errno.ENOENT);
  const p = ts.fs.readlink(`/proc/self/fd/${h}`); // ENAMETOOLONG past a page, as Linux's getcwd
  try { ts.fdt.cwd = p; } catch { /* longer than the stored copy */ }
  return p;
}

function getcwd(ts: TaskState, buf: number, size: number): number {
  const b = new TextEncoder().encode(currentCwd(ts) + '\0');
  if (b.length > size) throw new SyscallError(Errno.ERANGE);
  ts.mm.write(buf, b);
  return b.length;
}

/** struct statfs (asm-generic, 64-bit): 120 bytes. */
function statfs(ts: TaskState, p: string, buf: number): number {
  const s = ts.fs.statfs(p);
  const b = new Uint8Array(120);
  const dv = new DataView(b.buffer);
  const vals = [s.type, s.bsize, s.blocks, s.bfree, s.bavail, s.files, s.ffree];
  vals.forEach((v, i) => dv.setBigUint64(i * 8, v, true));
  dv.setBigUint64(64, 255n, true); // f_namelen
  dv.setBigUint64(72, s.bsize, true); // f_frsize
  ts.mm.write(buf, b);
  return 0;
}

function fchmodat(ts: TaskState, dirfd: number, pathname: bigint, mode: number): number {
  ts.fs.chmod(path(ts, dirfd, pathname), mode & 0o7777);
  return 0;
}

function fchownat(ts: TaskState, dirfd: number, pathname: bigint, uid: number, gid: number, flags: number): number {
  const p = ts.mm.cstring(ptr(pathname));
  if (p === '' && flags & AT_EMPTY_PATH) ts.fs.fchown(ts.fdt.host(dirfd), uid, gid);
  else ts.fs.chown(ts.hostPath(dirfd, p), uid, gid, !(flags & AT_SYMLINK_NOFOLLOW));
  return 0;
}

function mknodat(ts: TaskState, dirfd: number, pathname: bigint, mode: number, dev: bigint): number {
  if (!ts.sys) throw new SyscallError(Errno.ENOSYS);
  const m = (mode & S_IFMT_N) | (mode & ~ts.mm.kw[KernelWord.UMASK] & 0o7777);
  return check(ts.sys.mknodat(AT_FDCWD, path(ts, dirfd, pathname), m, Number(dev)));
}
const S_IFMT_N = 0o170000;

const AT_EACCESS = 0x200;
/** faccessat / faccessat2 (flags 0 for the former): Linux's checks of mode and flags first
 * (EINVAL), then the host's answer; AT_EACCESS (effective ids) and AT_SYMLINK_NOFOLLOW need
 * the host's faccessat2 (addon), plain access() checks the real ids. */
function faccessat(ts: TaskState, dirfd: number, pathname: bigint, mode: number, flags: number): number {
  if (mode & ~7) throw new SyscallError(Errno.EINVAL);
  if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EACCESS | AT_EMPTY_PATH)) throw new SyscallError(Errno.EINVAL);
  const p = path(ts, dirfd, pathname);
  if (flags & (AT_SYMLINK_NOFOLLOW | AT_EACCESS) && ts.sys?.faccessat) return check(ts.sys.faccessat(p, mode, flags & ~AT_EMPTY_PATH));
  ts.fs.access(p, mode);
  return 0;
}

export const PATH_SYSCALLS: SyscallTable = [
  [NR.mknodat, (ts, a) => mknodat(ts, int(a[0]), a[1], uint(a[2]), a[3])],
  [NR.openat, (ts, a) => openat(ts, int(a[0]), a[1], int(a[2]), uint(a[3]))],
  [NR.newfstatat, (ts, a) => { ts.mm.write(ptr(a[2]), encodeStat(statAt(ts, int(a[0]), a[1], int(a[3])))); return 0; }],
  [NR.fstat, (ts, a) => { ts.mm.write(ptr(a[1]), encodeStat(ts.fs.fstat(ts.fdt.host(int(a[0]))))); return 0; }],
  [NR.statx, (ts, a) => { ts.mm.write(ptr(a[4]), encodeStatx(statAt(ts, int(a[0]), a[1], int(a[2]), int(a[3])))); return 0; }],
  [NR.getdents64, (ts, a) => getdents64(ts, int(a[0]), ptr(a[1]), uint(a[2]))],
  [NR.readlinkat, (ts, a) => readlinkat(ts, int(a[0]), a[1], ptr(a[2]), int(a[3]))],
  [NR.faccessat, (ts, a) => faccessat(ts, int(a[0]), a[1], int(a[2]), 0)],
  [NR.faccessat2, (ts, a) => faccessat(ts, int(a[0]), a[1], int(a[2]), int(a[3]))],
  [NR.mkdirat, (ts, a) => { ts.fs.mkdir(path(ts, int(a[0]), a[1]), uint(a[2]) & ~ts.mm.kw[KernelWord.UMASK] & 0o7777); return 0; }],
  [NR.unlinkat, (ts, a) => unlinkat(ts, int(a[0]), a[1], int(a[2]))],
  [NR.renameat2, (ts, a) => renameat2(ts, int(a[0]), a[1], int(a[2]), a[3], int(a[4]))],
  [NR.linkat, (ts, a) => linkat(ts, int(a[0]), a[1], int(a[2]), a[3], int(a[4]))],
  [NR.symlinkat, (ts, a) => { ts.fs.symlink(ts.mm.cstring(ptr(a[0])), path(ts, int(a[1]), a[2])); return 0; }],
  [NR.fchmod, (ts, a) => { ts.fs.fchmod(ts.fdt.host(int(a[0])), uint(a[1]) & 0o7777); return 0; }],
  [NR.fchmodat, (ts, a) => fchmodat(ts, int(a[0]), a[1], uint(a[2]))],
  [NR.fchown, (ts, a) => { ts.fs.fchown(ts.fdt.host(int(a[0])), int(a[1]), int(a[2])); return 0; }],
  [NR.fchownat, (ts, a) => fchownat(ts, int(a[0]), a[1], int(a[2]), int(a[3]), int(a[4]))],
  [NR.utimensat, (ts, a) => utimensat(ts, int(a[0]), a[1], ptr(a[2]), int(a[3]))],
  [NR.truncate, (ts, a) => { ts.fs.truncate(path(ts, AT_FDCWD, a[0]), long(a[1])); return 0; }],
  [NR.chdir, (ts, a) => chdir(ts, path(ts, AT_FDCWD, a[0]))],
  [NR.fchdir, (ts, a) => chdir(ts, `/proc/self/fd/${ts.fdt.host(int(a[0]))}`)],
  [NR.getcwd, (ts, a) => getcwd(ts, ptr(a[0]), ptr(a[1]))],
  [NR.umask, (ts, a) => { const o = ts.mm.kw[KernelWord.UMASK]; ts.mm.kw[KernelWord.UMASK] = uint(a[0]) & 0o777; return o; }],
  [NR.statfs, (ts, a) => statfs(ts, path(ts, AT_FDCWD, a[0]), ptr(a[1]))],
  [NR.fstatfs, (ts, a) => statfs(ts, `/proc/self/fd/${ts.fdt.host(int(a[0]))}`, ptr(a[1]))],
];
