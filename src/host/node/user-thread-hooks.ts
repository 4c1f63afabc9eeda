// What every thread that runs guest code sets up on its host thread (user-first.ts for the first
// thread on the main thread, user-worker.ts for a worker): page discards through the native
// addon, the SIGBUS guard for shared files that shrink, and execve's register reset.
import * as fs from 'node:fs';
import type { HostSys } from '../../linux-user/host.js';
import { GuestMM } from '../../linux-user/mmap.js';
import { AddressSpace } from '../../exec/memory.js';
import { setLogMask, setLogSink } from '../../qemu/log.js';
import { writeAllSync } from './write-all.js';
import { riscvCpuReset } from '../../target/riscv/cpu_helper.js';
import { MSTATUS_FS_DIRTY } from './user-host.js';
import { STATE } from '../../target/riscv/cpu-state.js';
import { setResetRegisters } from '../../linux-user/syscall-exec.js';
import { BUS_FAULTS_OFFSET, GUEST_BASE, MAX_FDS, TASK_SIZE, stateOffsetOf } from '../../linux-user/layout.js';

/** The process's guest memory as this host thread sees it, and its -d log (-D file or stderr). */
export function openGuestMemory(memory: WebAssembly.Memory, logFile: string | undefined, logMask: number): { logFd: number; as: AddressSpace; mm: GuestMM } {
  const logFd = logFile ? fs.openSync(logFile, 'a') : 2;
  setLogMask(logMask);
  setLogSink((t) => writeAllSync(logFd, t));
  const as = new AddressSpace(memory);
  as.addRam('guest', 0, TASK_SIZE, GUEST_BASE);
  const mm = new GuestMM(memory);
  mm.onUnmap = (a, len) => as.onRamWrite(a, len || TASK_SIZE);
  return { logFd, as, mm };
}

export function installThreadHooks(sys: HostSys | null, mm: GuestMM, slot: number): void {
  if (sys && sys.pageSize() === 4096) mm.discard = (v) => sys.discard(v) === 0;
  // A shared file shrinking under its mapping: the guest's SIGBUS, not the emulator's death.
  sys?.busGuard?.(mm.bytes, GUEST_BASE, slot, BUS_FAULTS_OFFSET + slot * 4, stateOffsetOf(slot) + STATE.exit_request.offset);
  setResetRegisters((t, pc, sp) => {
    riscvCpuReset(t.env, pc);
    t.env.set64('mstatus', t.env.get64('mstatus') | MSTATUS_FS_DIRTY);
    for (let i = 1; i < 32; i++) t.env.setGpr(i, 0n);
    for (let i = 0; i < 32; i++) t.env.set64('fpr', 0n, i);
    t.env.setGpr(2, sp);
  });
}

/** The RLIMIT_NOFILE soft limit the emulator was started with: Node raises its own to the hard
 * limit at startup, so take the parent's (whose limit we inherited), else the current one. */
export function startNofile(): number {
  try {
    const m = /^Max open files\s+(\d+|unlimited)/m.exec(fs.readFileSync(`/proc/${process.ppid}/limits`, 'utf8'));
    if (m) return m[1] === 'unlimited' ? MAX_FDS : Number(m[1]);
  } catch { /* no /proc, or not ours to read */ }
  return 1024;
}
