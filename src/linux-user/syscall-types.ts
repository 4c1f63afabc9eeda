// Shared by the system call area files: the handler signature, argument conversions and the
// non-local outcomes (thread exit, registers already set by the call).
import type { TaskState } from './qemu.js';

/** Returns the value for a0 (negative: -errno), or KEEP_REGS when the call set the registers
 * itself (rt_sigreturn, execve). Throwing SyscallError or a Node error returns -errno. */
export type SyscallFn = (ts: TaskState, a: bigint[]) => number | bigint | typeof KEEP_REGS;

export const KEEP_REGS = Symbol('keep-regs');

/** Thrown when the calling thread is gone (exit, or the process is exiting). */
export class ThreadExit extends Error {
  constructor() { super('thread exit'); }
}

/** Thrown by a blocking call that a signal interrupted and that restarts after the handler
 * (SA_RESTART, or an ignored signal): the registers stay, the ecall runs again (ERESTARTSYS). */
export class RestartSyscall extends Error {
  constructor() { super('restart'); }
}

/** A C int argument (sign-extended low 32 bits). */
export function int(v: bigint): number { return Number(BigInt.asIntN(32, v)); }
/** An unsigned int argument. */
export function uint(v: bigint): number { return Number(v & 0xffffffffn); }
/** A pointer or size_t argument (the guest space is below 4 GiB; larger values stay large). */
export function ptr(v: bigint): number { return Number(untagBits ? BigInt.asUintN(64, BigInt.asIntN(64 - untagBits, v)) : v); }
/** The tagged address ABI (tagged-addr.ts): pointer arguments lose their top PMLEN bits, as
 * Linux's untagged_addr (per thread here: each guest thread has its own worker). */
let untagBits = 0;
export function setPointerUntagBits(n: number): void { untagBits = n; }
/** A signed 64-bit argument (off_t, long). */
export function long(v: bigint): number { return Number(BigInt.asIntN(64, v)); }

export type SyscallTable = Array<[number, SyscallFn]>;
