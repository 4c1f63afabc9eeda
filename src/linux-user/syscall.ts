// do_syscall: the riscv64 generic system call table, dispatched by number. Unknown calls return
// -ENOSYS (logged with -d unimp); -strace logs every call and its result as QEMU does.
import { errnoOf } from './errno.js';
import { Errno } from './errno.js';
import { qemuLogMask, LogMask } from '../qemu/log.js';
import { SYSCALL_NAMES } from './syscall-nr.js';
import { KEEP_REGS, RestartSyscall, ThreadExit, type SyscallFn } from './syscall-types.js';
import type { TaskState } from './qemu.js';
import { straceEnter, straceExit } from './strace.js';
import { FILE_SYSCALLS } from './syscall-file.js';
import { PATH_SYSCALLS } from './syscall-path.js';
import { XFER_SYSCALLS } from './syscall-xfer.js';
import { SIGNAL_WAIT_SYSCALLS } from './signal-wait.js';
import { XATTR_SYSCALLS } from './syscall-xattr.js';
import { TIMER_SYSCALLS } from './posix-timers.js';
import { SYSV_SYSCALLS } from './syscall-sysv.js';
import { SIGNALFD_SYSCALLS } from './signalfd.js';
import { MEM_SYSCALLS } from './syscall-mem.js';
import { PROC_SYSCALLS } from './syscall-proc.js';
import { SCHED_SYSCALLS } from './syscall-sched.js';
import { SIGNAL_SYSCALLS } from './signal.js';
import { THREAD_SYSCALLS } from './syscall-thread.js';
import { EXEC_SYSCALLS } from './syscall-exec.js';
import { POLL_SYSCALLS } from './syscall-poll.js';
import { SOCKET_SYSCALLS } from './syscall-socket.js';
import { HWPROBE_SYSCALLS } from './syscall-hwprobe.js';
import { CRED_SYSCALLS } from './syscall-cred.js';

const TABLE = new Map<number, SyscallFn>();
for (const t of [FILE_SYSCALLS, PATH_SYSCALLS, XFER_SYSCALLS, SIGNAL_WAIT_SYSCALLS, TIMER_SYSCALLS, SYSV_SYSCALLS, SIGNALFD_SYSCALLS, XATTR_SYSCALLS, MEM_SYSCALLS, PROC_SYSCALLS, SCHED_SYSCALLS, SIGNAL_SYSCALLS, THREAD_SYSCALLS,
  EXEC_SYSCALLS, POLL_SYSCALLS, SOCKET_SYSCALLS, HWPROBE_SYSCALLS, CRED_SYSCALLS]) {
  for (const [nr, fn] of t) TABLE.set(nr, fn);
}

export function supportedSyscalls(): string[] {
  return [...TABLE.keys()].sort((a, b) => a - b).map((n) => SYSCALL_NAMES[n] ?? String(n));
}

/** Execute the ecall at env.pc: a7 = number, a0-a5 = arguments; a0 = result, pc += 4. */
export function doSyscall(ts: TaskState): void {
  const env = ts.env;
  const nr = Number(env.getGpr(17));
  const args = [env.getGpr(10), env.getGpr(11), env.getGpr(12), env.getGpr(13), env.getGpr(14), env.getGpr(15)];
  let line = '';
  if (ts.opts.strace) {
    line = straceEnter(ts.mm, ts.proc.pid, nr, args);
    // Calls that may not return print their line first, as QEMU does (exit: no result at all).
    if (nr === 93 || nr === 94) { ts.proc.log(line + '\n'); line = ''; }
    if (nr === 221) { ts.proc.log(line); line = ' '; }
  }
  let ret: number | bigint | typeof KEEP_REGS;
  const fn = TABLE.get(nr);
  if (!fn) {
    qemuLogMask(LogMask.LOG_UNIMP, `Unsupported syscall: ${nr}${SYSCALL_NAMES[nr] ? ` (${SYSCALL_NAMES[nr]})` : ''}\n`);
    ret = -Errno.ENOSYS;
  } else {
    try {
      ret = fn(ts, args);
    } catch (e) {
      if (e instanceof ThreadExit) throw e;
      if (e instanceof RestartSyscall) {
        ts.syscallEnd?.();
        if (line) ts.proc.log(line.trim() + straceExit(-512n, nr));
        return;
      }
      ret = -errnoOf(e);
    } finally {
      ts.mm.flushBounces(); // high memory in pieces the call wrote through a copy (mmap.ts)
    }
  }
  ts.syscallEnd?.();
  if (ret === KEEP_REGS) {
    // execve succeeded; rt_sigreturn as QEMU says it; the others were interrupted (-EINTR).
    const shown = nr === 221 ? 0n : nr === 139 ? -513n : BigInt(-Errno.EINTR);
    if (line) ts.proc.log(line.trim() + straceExit(shown, nr));
    return;
  }
  const v = BigInt.asUintN(64, BigInt(ret));
  env.setGpr(10, v);
  env.pc = env.pc + 4n;
  if (line) ts.proc.log(line.trim() + straceExit(v, nr));
}
