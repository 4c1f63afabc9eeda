// System V IPC: shared memory, semaphores and message queues are the host's (native addon), so
// guest processes (each its own emulator process) share them for real and ipcs sees them.
// shmat maps the host segment over guest pages inside the WebAssembly memory, as MAP_SHARED
// file mappings are (PageFlag.SHARED); the attachments are listed in the kernel area so a forked
// child attaches the same segments again (Linux's children inherit them). Blocking semop,
// msgsnd and msgrcv retry IPC_NOWAIT calls in growing sleeps so signals interrupt them (EINTR:
// Linux never restarts these). Without the addon: ENOSYS.
import { NR } from './syscall-nr.js';
import { Errno, SyscallError } from './errno.js';
import { int, long, ptr, type SyscallTable } from './syscall-types.js';
import type { TaskState } from './qemu.js';
import type { HostSys } from './host.js';
import { PageFlag, SHM_ATTACH_OFFSET, SHM_ATTACHES, TARGET_PAGE_SIZE, TASK_SIZE } from './layout.js';
import { pageAlignUp, protToFlags, type GuestMM } from './mmap.js';
import { unshareRange } from './syscall-mem.js';
import { hasDeliverable, interrupted } from './signal.js';
import { timespecMs } from './blocking.js';

const IPC_NOWAIT = 0o4000, IPC_RMID = 0, IPC_SET = 1, IPC_STAT = 2, IPC_INFO = 3;
const SHM_RDONLY = 0o10000, SHM_RND = 0o20000, SHM_REMAP = 0o40000, SHM_EXEC = 0o100000;
const SEM_STAT = 18, SEM_STAT_ANY = 20, GETALL = 13, SETALL = 17, SEM_INFO = 19;
const SHM_INFO = 14;
const MAX_MSG = 1 << 20;

function need(ts: TaskState): HostSys {
  if (!ts.sys) throw new SyscallError(Errno.ENOSYS);
  return ts.sys;
}

function check(r: number): number {
  if (r < 0) throw new SyscallError(-r);
  return r;
}

/** Retry a non-blocking attempt while it says EAGAIN / ENOMSG (the caller wanted to block). */
function blockOn(ts: TaskState, attempt: () => number, busy: number, deadline = Infinity): number {
  for (let sleep = 1; ; sleep = Math.min(sleep * 2, 20)) {
    const r = attempt();
    if (r !== -busy || Date.now() >= deadline) return check(r);
    if (hasDeliverable(ts)) interrupted(ts, false);
    ts.proc.sleepMs(sleep);
    if (hasDeliverable(ts)) interrupted(ts, false);
  }
}

function attachTable(mm: GuestMM): Int32Array {
  return new Int32Array(mm.memory.buffer, SHM_ATTACH_OFFSET, SHM_ATTACHES * 4);
}

/** Attach segment `id` over guest pages [start, start+size) (host SHM_REMAP); its size. */
function attachAt(mm: GuestMM, sys: HostSys, id: number, start: number, size: number, flags: number): number {
  const h = mm.g2h(start);
  return sys.sysv(1, id, flags & SHM_RDONLY, 0, 0, mm.bytes.subarray(h, h + size));
}

function shmat(ts: TaskState, id: number, addr: number, flags: number): number {
  const sys = need(ts), mm = ts.mm;
  const ds = new Uint8Array(112);
  check(sys.sysv(2, id, IPC_STAT, 0, 0, ds));
  const segsz = Number(new DataView(ds.buffer).getBigUint64(48, true));
  const size = pageAlignUp(segsz);
  if (size === 0 || size > TASK_SIZE) throw new SyscallError(Errno.EINVAL);
  if (addr !== 0 && flags & SHM_RND) addr -= addr % TARGET_PAGE_SIZE;
  if (addr % TARGET_PAGE_SIZE !== 0 || addr + size > TASK_SIZE) throw new SyscallError(Errno.EINVAL);
  mm.lock();
  try {
    let start = addr;
    if (addr === 0) start = mm.findFree(size);
    else if (!(flags & SHM_REMAP) && !mm.rangeFree(addr, size)) throw new SyscallError(Errno.EINVAL);
    if (start < 0) throw new SyscallError(Errno.ENOMEM);
    const table = attachTable(mm);
    let slot = 0;
    while (slot < SHM_ATTACHES && table[slot * 4 + 1] !== 0) slot++;
    if (slot === SHM_ATTACHES) throw new SyscallError(Errno.EMFILE); // Linux: SHMSEG
    unshareRange(ts, start, size);
    check(attachAt(mm, sys, id, start, size, flags));
    const prot = flags & SHM_RDONLY ? 1 : 3;
    mm.setRange(start, size, protToFlags(prot | (flags & SHM_EXEC ? 4 : 0)) | PageFlag.SHARED, false);
    table.set([start / TARGET_PAGE_SIZE, size / TARGET_PAGE_SIZE, id, flags], slot * 4);
    mm.flushAllTlbs();
    mm.onUnmap(start, size);
    return start;
  } finally { mm.unlock(); }
}

function shmdt(ts: TaskState, addr: number): number {
  const mm = ts.mm, table = attachTable(mm);
  for (let slot = 0; slot < SHM_ATTACHES; slot++) {
    if (table[slot * 4 + 1] === 0 || table[slot * 4] * TARGET_PAGE_SIZE !== addr) continue;
    const size = table[slot * 4 + 1] * TARGET_PAGE_SIZE;
    mm.lock();
    unshareRange(ts, addr, size);
    mm.setRange(addr, size, 0, false);
    table.fill(0, slot * 4, slot * 4 + 4);
    mm.flushAllTlbs();
    mm.unlock();
    mm.onUnmap(addr, size);
    return 0;
  }
  throw new SyscallError(Errno.EINVAL);
}

/** A forked child (before its shared flags are dropped): the attachments still mapped. */
export function liveShmAttachments(mm: GuestMM): number[][] {
  const table = attachTable(mm), out: number[][] = [];
  for (let slot = 0; slot < SHM_ATTACHES; slot++) {
    const [first, pages, id, flags] = table.subarray(slot * 4, slot * 4 + 4);
    if (pages !== 0 && mm.pages[first] & PageFlag.SHARED) out.push([first, pages, id, flags]);
  }
  table.fill(0);
  return out;
}

/** ...then attach them again at the same addresses (the child shares them with its parent). */
export function reattachShm(mm: GuestMM, sys: HostSys | null, live: number[][]): void {
  if (!sys) return;
  const table = attachTable(mm);
  live.forEach(([first, pages, id, flags], slot) => {
    if (attachAt(mm, sys, id, first * TARGET_PAGE_SIZE, pages * TARGET_PAGE_SIZE, flags) < 0) return;
    for (let p = first; p < first + pages; p++) mm.pages[p] |= PageFlag.SHARED;
    table.set([first, pages, id, flags], slot * 4);
  });
}

/** execve: the new image has no attachments (the address space was emptied). */
export function forgetShm(mm: GuestMM): void { attachTable(mm).fill(0); }

/** shmctl / msgctl: the 64-bit structures have the same layout on the host (x86_64, arm64). */
function ctl(ts: TaskState, op: number, id: number, cmd: number, buf: number, size: number): number {
  const sys = need(ts);
  const c = cmd & 0xff; // IPC_64 is implied on 64-bit
  if (c === IPC_RMID) return check(sys.sysv(op, id, c, 0, 0, null));
  const b = new Uint8Array(size);
  if (c === IPC_SET) b.set(ts.mm.read(buf, size));
  else ts.mm.check(buf, size, true);
  const r = check(sys.sysv(op, id, c, 0, 0, b));
  if (c !== IPC_SET) ts.mm.write(buf, b);
  return r;
}

/** struct semid64_ds differs: x86_64 has padding after sem_otime and sem_ctime. */
function semctl(ts: TaskState, id: number, num: number, cmd: number, arg: bigint): number {
  const sys = need(ts);
  const c = cmd & 0xff, p = Number(BigInt.asUintN(64, arg) & 0xffffffffn);
  const hostStat = new Uint8Array(104), hv = new DataView(hostStat.buffer);
  if (c === IPC_STAT || c === SEM_STAT || c === SEM_STAT_ANY || c === IPC_SET) {
    // guest: perm(48) otime ctime nsems; host: perm(48) otime pad ctime pad nsems.
    if (c === IPC_SET) {
      hostStat.set(ts.mm.read(p, 48));
      return check(sys.sysv(5, id, num, c, 0, hostStat));
    }
    ts.mm.check(p, 72, true);
    const r = check(sys.sysv(5, id, num, c, 0, hostStat));
    ts.mm.write(p, hostStat.subarray(0, 48));
    ts.mm.setU64(p + 48, hv.getBigUint64(48, true));
    ts.mm.setU64(p + 56, hv.getBigUint64(64, true));
    ts.mm.setU64(p + 64, hv.getBigUint64(80, true));
    return r;
  }
  if (c === GETALL || c === SETALL) {
    check(sys.sysv(5, id, 0, IPC_STAT, 0, hostStat));
    const n = Number(hv.getBigUint64(80, true)) * 2;
    const vals = c === SETALL ? ts.mm.read(p, n).slice() : new Uint8Array(n);
    if (c === GETALL) ts.mm.check(p, n, true);
    const r = check(sys.sysv(5, id, 0, c, 0, vals));
    if (c === GETALL) ts.mm.write(p, vals);
    return r;
  }
  if (c === IPC_INFO || c === SEM_INFO) {
    const info = new Uint8Array(40); // struct seminfo: 10 ints
    ts.mm.check(p, 40, true);
    const r = check(sys.sysv(5, id, num, c, 0, info));
    ts.mm.write(p, info);
    return r;
  }
  // GETVAL, SETVAL (arg.val), GETPID, GETNCNT, GETZCNT, IPC_RMID.
  return check(sys.sysv(5, id, num, c, Number(BigInt.asIntN(32, arg & 0xffffffffn)), null));
}

function semtimedop(ts: TaskState, id: number, sops: number, nsops: number, tsp: number): number {
  const sys = need(ts);
  if (nsops <= 0 || nsops > 500) throw new SyscallError(nsops <= 0 ? Errno.EINVAL : Errno.E2BIG);
  const ops = ts.mm.read(sops, nsops * 6).slice(); // struct sembuf {u16 num; i16 op; i16 flg}
  const dv = new DataView(ops.buffer);
  let nowait = true;
  for (let i = 0; i < nsops; i++) {
    const flg = dv.getInt16(i * 6 + 4, true);
    if (!(flg & IPC_NOWAIT)) nowait = false;
    dv.setInt16(i * 6 + 4, flg | IPC_NOWAIT, true);
  }
  if (nowait) return check(sys.sysv(4, id, nsops, 0, 0, ops));
  const deadline = Date.now() + timespecMs(ts, tsp);
  return blockOn(ts, () => sys.sysv(4, id, nsops, 0, 0, ops), Errno.EAGAIN, deadline);
}

function msgsnd(ts: TaskState, id: number, msgp: number, size: number, flags: number): number {
  const sys = need(ts);
  if (size < 0 || size > MAX_MSG) throw new SyscallError(Errno.EINVAL);
  const msg = ts.mm.read(msgp, 8 + size).slice();
  if (flags & IPC_NOWAIT) return check(sys.sysv(7, id, flags, 0, size, msg));
  return blockOn(ts, () => sys.sysv(7, id, flags | IPC_NOWAIT, 0, size, msg), Errno.EAGAIN);
}

function msgrcv(ts: TaskState, id: number, msgp: number, size: number, type: bigint, flags: number): number {
  const sys = need(ts);
  if (size < 0 || size > MAX_MSG) throw new SyscallError(Errno.EINVAL);
  const t = Number(BigInt.asIntN(64, type));
  if (t > 0x7fffffff || t < -0x80000000) throw new SyscallError(Errno.EINVAL);
  ts.mm.check(msgp, 8 + size, true);
  const msg = new Uint8Array(8 + size);
  const r = flags & IPC_NOWAIT ? check(sys.sysv(8, id, flags, t, size, msg))
    : blockOn(ts, () => sys.sysv(8, id, flags | IPC_NOWAIT, t, size, msg), Errno.ENOMSG);
  ts.mm.write(msgp, msg.subarray(0, 8 + r));
  return r;
}

export const SYSV_SYSCALLS: SyscallTable = [
  [NR.shmget, (ts, a) => check(need(ts).sysv(0, int(a[0]), int(a[2]), 0, Number(a[1]), null))],
  [NR.shmat, (ts, a) => shmat(ts, int(a[0]), ptr(a[1]), int(a[2]))],
  [NR.shmdt, (ts, a) => shmdt(ts, ptr(a[0]))],
  [NR.shmctl, (ts, a) => {
    const c = int(a[1]) & 0xff;
    return ctl(ts, 2, int(a[0]), int(a[1]), ptr(a[2]), c === IPC_INFO ? 72 : c === SHM_INFO ? 48 : 112);
  }],
  [NR.semget, (ts, a) => check(need(ts).sysv(3, int(a[0]), int(a[1]), int(a[2]), 0, null))],
  [NR.semctl, (ts, a) => semctl(ts, int(a[0]), int(a[1]), int(a[2]), a[3])],
  [NR.semop, (ts, a) => semtimedop(ts, int(a[0]), ptr(a[1]), int(a[2]), 0)],
  [NR.semtimedop, (ts, a) => semtimedop(ts, int(a[0]), ptr(a[1]), int(a[2]), ptr(a[3]))],
  [NR.msgget, (ts, a) => check(need(ts).sysv(6, int(a[0]), int(a[1]), 0, 0, null))],
  [NR.msgsnd, (ts, a) => msgsnd(ts, int(a[0]), ptr(a[1]), Number(long(a[2])), int(a[3]))],
  [NR.msgrcv, (ts, a) => msgrcv(ts, int(a[0]), ptr(a[1]), Number(long(a[2])), a[3], int(a[4]))],
  [NR.msgctl, (ts, a) => ctl(ts, 9, int(a[0]), int(a[1]), ptr(a[2]), 120)],
];
