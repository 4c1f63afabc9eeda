// Credentials, capabilities and the prctl options without pointers: the host's, as
// qemu-riscv64 passes them on (native/tsqemu_proc.c cred/prctl). A guest thread runs on a worker
// thread of the emulator, and the host's glibc set*id calls change every thread of the process:
// the process-wide result the guest's own glibc asks for when it runs the call on each of its
// threads (its setxid broadcast), and Go's AllThreadsSyscall alike. Without the addon the ids
// are the emulator's and cannot change (syscall-proc.ts).
import { NR } from './syscall-nr.js';
import { Errno, SyscallError } from './errno.js';
import { int, ptr, type SyscallTable } from './syscall-types.js';
import type { TaskState } from './qemu.js';
import type { HostSys } from './host.js';
import { COMM_LEN, getComm, setComm } from './proc-comm.js';
import { PR_GET_TAGGED_ADDR_CTRL, PR_SET_TAGGED_ADDR_CTRL, taggedAddrPrctl } from './tagged-addr.js';

const NGROUPS_MAX = 65536;
const LINUX_CAPABILITY_VERSION_1 = 0x19980330;
const PR_SET_NAME = 15, PR_GET_NAME = 16, PR_GET_PDEATHSIG = 2;
/** The prctl options qemu-riscv64 7.2 passes to the host unchanged (no pointer arguments). */
const PRCTL_PASS = new Set([
  1 /* SET_PDEATHSIG */, 3 /* GET_DUMPABLE */, 4 /* SET_DUMPABLE */, 7 /* GET_KEEPCAPS */, 8 /* SET_KEEPCAPS */,
  13 /* GET_TIMING */, 14 /* SET_TIMING */, 23 /* CAPBSET_READ */, 24 /* CAPBSET_DROP */,
  27 /* GET_SECUREBITS */, 28 /* SET_SECUREBITS */, 29 /* SET_TIMERSLACK */, 30 /* GET_TIMERSLACK */,
  33 /* MCE_KILL */, 34 /* MCE_KILL_GET */, 38 /* SET_NO_NEW_PRIVS */, 39 /* GET_NO_NEW_PRIVS */,
  47 /* CAP_AMBIENT */, 57 /* SET_IO_FLUSHER */, 58 /* GET_IO_FLUSHER */,
]);

type CredSys = Required<Pick<HostSys, 'cred' | 'prctl'>>;

function credSys(ts: TaskState): CredSys | null {
  const s = ts.sys;
  return s?.cred && s.prctl ? (s as CredSys) : null;
}

function check(r: number): number {
  if (r < 0) throw new SyscallError(-r);
  return r;
}

/** A call the host makes, or (no addon) what syscall-proc.ts answered before. */
function viaHost(fallback: (ts: TaskState, a: bigint[]) => number, f: (ts: TaskState, s: CredSys, a: bigint[]) => number) {
  return (ts: TaskState, a: bigint[]) => {
    const s = credSys(ts);
    return s ? f(ts, s, a) : fallback(ts, a);
  };
}

function getres(ts: TaskState, s: CredSys, op: number, a: bigint[]): number {
  const ids = new Int32Array(3);
  check(s.cred(op, 0, 0, 0, ids));
  for (let i = 0; i < 3; i++) ts.mm.setU32(ptr(a[i]), ids[i]);
  return 0;
}

function getgroups(ts: TaskState, s: CredSys, size: number, list: number): number {
  if (size < 0) throw new SyscallError(Errno.EINVAL);
  const buf = new Int32Array(Math.min(size, NGROUPS_MAX));
  const n = check(s.cred(5, buf.length, 0, 0, buf));
  for (let i = 0; i < n && size > 0; i++) ts.mm.setU32(list + i * 4, buf[i]);
  return n;
}

function setgroups(ts: TaskState, s: CredSys, size: number, list: number): number {
  if (size < 0 || size > NGROUPS_MAX) throw new SyscallError(Errno.EINVAL);
  const buf = new Int32Array(size);
  for (let i = 0; i < size; i++) buf[i] = ts.mm.u32(list + i * 4);
  return check(s.cred(4, size, 0, 0, buf));
}

/** capget/capset: header {version, pid} and one (version 1) or two {effective, permitted,
 * inheritable} records; the header's version is written back (the kernel's answer to a probe). */
function cap(ts: TaskState, s: CredSys, set: boolean, hdr: number, data: number): number {
  const buf = new Int32Array(8);
  buf[0] = ts.mm.u32(hdr);
  buf[1] = ts.mm.u32(hdr + 4);
  if (buf[1] === ts.tid) buf[1] = 0; // this thread (guest tids of other threads are not the host's)
  const items = (buf[0] >>> 0) === LINUX_CAPABILITY_VERSION_1 ? 1 : 2;
  if (set && data !== 0) for (let i = 0; i < items * 3; i++) buf[2 + i] = ts.mm.u32(data + i * 4);
  const r = s.cred(set ? 9 : 8, data !== 0 ? 1 : 0, 0, 0, buf);
  ts.mm.setU32(hdr, buf[0]);
  check(r);
  if (!set && data !== 0) for (let i = 0; i < items * 3; i++) ts.mm.setU32(data + i * 4, buf[2 + i]);
  return 0;
}

function prctl(ts: TaskState, a: bigint[]): number {
  const option = int(a[0]);
  // One name per process (the main thread's, /proc/self/comm), not one per thread.
  if (option === PR_GET_NAME) { const c = getComm(ts.mm); const b = new Uint8Array(COMM_LEN); b.set(c); ts.mm.write(ptr(a[1]), b); return 0; }
  if (option === PR_SET_NAME) {
    // Up to 15 bytes, NUL-terminated or not; byte by byte (the name may end a page).
    const out: number[] = [];
    for (let i = 0, c; i < COMM_LEN - 1 && (c = ts.mm.read(ptr(a[1]) + i, 1)[0]) !== 0; i++) out.push(c);
    setComm(ts.mm, new Uint8Array(out));
    return 0;
  }
  if (option === PR_SET_TAGGED_ADDR_CTRL || option === PR_GET_TAGGED_ADDR_CTRL) return taggedAddrPrctl(ts.env, option, a.slice(1, 5));
  const s = credSys(ts);
  if (!s) throw new SyscallError(Errno.EINVAL);
  if (option === PR_GET_PDEATHSIG) {
    const sig = check(s.prctl(PR_GET_PDEATHSIG, 0, 0, 0, 0));
    ts.mm.setU32(ptr(a[1]), sig);
    return 0;
  }
  if (!PRCTL_PASS.has(option)) throw new SyscallError(Errno.EINVAL);
  return check(s.prctl(option, Number(a[1]), Number(a[2]), Number(a[3]), Number(a[4])));
}

const EPERM_UNLESS_SAME = (which: 'uid' | 'gid') => (ts: TaskState, a: bigint[]) => {
  if (int(a[0]) !== ts.proc[which]) throw new SyscallError(Errno.EPERM);
  return 0;
};
const ENOSYS = () => -Errno.ENOSYS;

export const CRED_SYSCALLS: SyscallTable = [
  [NR.getresuid, viaHost((ts, a) => { [0, 1, 2].forEach((i) => ts.mm.setU32(ptr(a[i]), i === 0 ? ts.proc.uid : ts.proc.euid)); return 0; }, (ts, s, a) => getres(ts, s, 2, a))],
  [NR.getresgid, viaHost((ts, a) => { [0, 1, 2].forEach((i) => ts.mm.setU32(ptr(a[i]), i === 0 ? ts.proc.gid : ts.proc.egid)); return 0; }, (ts, s, a) => getres(ts, s, 3, a))],
  [NR.getgroups, viaHost((ts, a) => { if (int(a[0]) > 0) ts.mm.setU32(ptr(a[1]), ts.proc.gid); return 1; }, (ts, s, a) => getgroups(ts, s, int(a[0]), ptr(a[1])))],
  [NR.setgroups, viaHost(ENOSYS, (ts, s, a) => setgroups(ts, s, int(a[0]), ptr(a[1])))],
  [NR.setresuid, viaHost(ENOSYS, (_ts, s, a) => check(s.cred(0, int(a[0]), int(a[1]), int(a[2]), null)))],
  [NR.setresgid, viaHost(ENOSYS, (_ts, s, a) => check(s.cred(1, int(a[0]), int(a[1]), int(a[2]), null)))],
  [NR.setreuid, viaHost(ENOSYS, (_ts, s, a) => check(s.cred(10, int(a[0]), int(a[1]), 0, null)))],
  [NR.setregid, viaHost(ENOSYS, (_ts, s, a) => check(s.cred(11, int(a[0]), int(a[1]), 0, null)))],
  [NR.setuid, viaHost(EPERM_UNLESS_SAME('uid'), (_ts, s, a) => check(s.cred(12, int(a[0]), 0, 0, null)))],
  [NR.setgid, viaHost(EPERM_UNLESS_SAME('gid'), (_ts, s, a) => check(s.cred(13, int(a[0]), 0, 0, null)))],
  // setfsuid/setfsgid answer the previous id and never fail.
  [NR.setfsuid, viaHost(ENOSYS, (_ts, s, a) => s.cred(6, int(a[0]), 0, 0, null))],
  [NR.setfsgid, viaHost(ENOSYS, (_ts, s, a) => s.cred(7, int(a[0]), 0, 0, null))],
  [NR.capget, viaHost(() => 0, (ts, s, a) => cap(ts, s, false, ptr(a[0]), ptr(a[1])))],
  [NR.capset, viaHost(ENOSYS, (ts, s, a) => cap(ts, s, true, ptr(a[0]), ptr(a[1])))],
  [NR.prctl, prctl],
];

const LINUX_CAPABILITY_VERSION_3 = 0x20080522;

/** What Linux keeps per thread and a new thread copies from the one that cloned it: keepcaps,
 * timer slack, no_new_privs, securebits and the capability sets. A guest thread's worker is
 * started by the emulator's main thread, so it would have the main thread's: the clone passes
 * the cloning thread's along (adoptThreadAttrs in the new worker). */
export function threadAttrsOf(sys: HostSys | null): number[] | undefined {
  if (!sys?.prctl || !sys.cred) return undefined;
  const caps = new Int32Array(8);
  caps[0] = LINUX_CAPABILITY_VERSION_3;
  if (sys.cred(8, 1, 0, 0, caps) < 0) return undefined;
  return [sys.prctl(7, 0, 0, 0, 0), sys.prctl(30, 0, 0, 0, 0), sys.prctl(39, 0, 0, 0, 0), sys.prctl(27, 0, 0, 0, 0), ...caps.subarray(2)];
}

export function adoptThreadAttrs(sys: HostSys | null, attrs: number[] | undefined): void {
  if (!attrs || attrs.length !== 10 || !sys?.prctl || !sys.cred) return;
  const now = threadAttrsOf(sys);
  if (!now || now.every((v, i) => v === attrs[i])) return;
  const [keepcaps, slack, nnp, securebits] = attrs;
  if (securebits >= 0 && securebits !== now[3]) sys.prctl(28, securebits, 0, 0, 0); // needs the caps still held
  if (keepcaps >= 0 && keepcaps !== now[0]) sys.prctl(8, keepcaps, 0, 0, 0);
  if (slack > 0 && slack !== now[1]) sys.prctl(29, slack, 0, 0, 0);
  if (nnp === 1 && now[2] !== 1) sys.prctl(38, 1, 0, 0, 0);
  if (attrs.slice(4).some((v, i) => v !== now[4 + i])) {
    const caps = new Int32Array(8);
    caps[0] = LINUX_CAPABILITY_VERSION_3;
    caps.set(attrs.slice(4), 2);
    sys.cred(9, 1, 0, 0, caps);
  }
}

