// Extended attributes (the *xattr family) and inotify: thin passes to the host's calls (native
// addon), with guest paths mapped like every other path (-L, the guest's /proc). An inotify
// descriptor is an ordinary host fd: reading it is read(), waiting on it poll/epoll, and its
// struct inotify_event has the same layout on riscv64. Without the addon: ENOSYS (ENOTSUP for
// xattrs would make programs think the filesystem lacks them; ENOSYS says the call is missing).
import { NR } from './syscall-nr.js';
import { Errno, SyscallError } from './errno.js';
import { int, ptr, uint, type SyscallTable } from './syscall-types.js';
import { AT_FDCWD, type TaskState } from './qemu.js';
import type { HostSys } from './host.js';
import { check } from './blocking.js';

const XATTR_SIZE_MAX = 65536, XATTR_LIST_MAX = 65536, XATTR_NAME_MAX = 255;
const GET = 0, SET = 1, LIST = 2, REMOVE = 3;
const BY_PATH = 0, BY_LPATH = 1, BY_FD = 2;
const IN_NONBLOCK = 0o4000, IN_CLOEXEC = 0o2000000;

function need(ts: TaskState): HostSys {
  if (!ts.sys) throw new SyscallError(Errno.ENOSYS);
  return ts.sys;
}

/** The target of an xattr call: a host path (how 0/1) or a host fd (how 2). */
function target(ts: TaskState, how: number, a: bigint): { fd: number; path: string | null } {
  if (how === BY_FD) return { fd: ts.fdt.host(int(a)), path: null };
  return { fd: -1, path: ts.hostPath(AT_FDCWD, ts.mm.cstring(ptr(a))) };
}

function attrName(ts: TaskState, p: bigint): string {
  const n = ts.mm.cstring(ptr(p), XATTR_NAME_MAX + 1);
  if (n.length === 0) throw new SyscallError(Errno.ERANGE);
  return n;
}

function xattr(ts: TaskState, op: number, how: number, a: bigint[]): number {
  const sys = need(ts);
  const t = target(ts, how, a[0]);
  switch (op) {
    case GET: {
      const size = Math.min(Number(a[3] & 0xffffffffn), XATTR_SIZE_MAX);
      const buf = size > 0 ? ts.mm.writableView(ptr(a[2]), size) : null;
      return check(sys.xattr(GET, how, t.fd, t.path, attrName(ts, a[1]), buf, 0));
    }
    case SET: {
      const size = Number(a[3] & 0xffffffffn);
      if (size > XATTR_SIZE_MAX) throw new SyscallError(Errno.E2BIG);
      const buf = ts.mm.readableView(ptr(a[2]), size);
      return check(sys.xattr(SET, how, t.fd, t.path, attrName(ts, a[1]), buf, int(a[4])));
    }
    case LIST: {
      const size = Math.min(Number(a[2] & 0xffffffffn), XATTR_LIST_MAX);
      const buf = size > 0 ? ts.mm.writableView(ptr(a[1]), size) : null;
      return check(sys.xattr(LIST, how, t.fd, t.path, null, buf, 0));
    }
    default:
      return check(sys.xattr(REMOVE, how, t.fd, t.path, attrName(ts, a[1]), null, 0));
  }
}

function inotifyInit(ts: TaskState, flags: number): number {
  if (flags & ~(IN_NONBLOCK | IN_CLOEXEC)) throw new SyscallError(Errno.EINVAL);
  const h = check(need(ts).inotify(0, flags & IN_NONBLOCK, null, 0));
  ts.fdt.setNonblock(h, (flags & IN_NONBLOCK) !== 0);
  return ts.fdt.install(h, (flags & IN_CLOEXEC) !== 0);
}

const x = (op: number, how: number) => (ts: TaskState, a: bigint[]) => xattr(ts, op, how, a);

export const XATTR_SYSCALLS: SyscallTable = [
  [NR.getxattr, x(GET, BY_PATH)], [NR.lgetxattr, x(GET, BY_LPATH)], [NR.fgetxattr, x(GET, BY_FD)],
  [NR.setxattr, x(SET, BY_PATH)], [NR.lsetxattr, x(SET, BY_LPATH)], [NR.fsetxattr, x(SET, BY_FD)],
  [NR.listxattr, x(LIST, BY_PATH)], [NR.llistxattr, x(LIST, BY_LPATH)], [NR.flistxattr, x(LIST, BY_FD)],
  [NR.removexattr, x(REMOVE, BY_PATH)], [NR.lremovexattr, x(REMOVE, BY_LPATH)], [NR.fremovexattr, x(REMOVE, BY_FD)],
  [NR.inotify_init1, (ts, a) => inotifyInit(ts, int(a[0]))],
  [NR.inotify_add_watch, (ts, a) => check(need(ts).inotify(1, ts.fdt.host(int(a[0])), ts.hostPath(AT_FDCWD, ts.mm.cstring(ptr(a[1]))), uint(a[2])))],
  [NR.inotify_rm_watch, (ts, a) => check(need(ts).inotify(2, ts.fdt.host(int(a[0])), null, int(a[1])))],
];
