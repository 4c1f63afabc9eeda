// prctl(PR_SET_TAGGED_ADDR_CTRL / PR_GET_TAGGED_ADDR_CTRL) for RISC-V pointer masking, as
// Linux 6.13+ (arch/riscv/kernel/process.c) answers it where the hart has Supm: the requested
// PMLEN (bits 30:24, PR_PMLEN_MASK) is rounded up to the smallest the hardware has (7, then 16;
// both here), written to the task's senvcfg.PMM, so U-mode loads and stores ignore the top
// PMLEN bits (target/riscv/pointer-masking.ts); PR_TAGGED_ADDR_ENABLE turns on the tagged
// address ABI (refused with PMLEN 0). GET reports the PMLEN in effect and the ABI bit.
// With the ABI on, pointer arguments of system calls lose their tag (syscall-types.ts ptr, as
// Linux's untagged_addr; also mmap's hint, which Linux leaves). Not done: Linux's -EBUSY once
// the process has threads that would disagree on PMLEN; a new thread starts with PMLEN 0.
import { riscvCpuHas } from '../target/riscv/cpu-cfg.js';
import type { CPURISCVState } from '../target/riscv/cpu-state.js';
import { riscvPmUpdate } from '../target/riscv/pointer-masking.js';
import { Errno, SyscallError } from './errno.js';
import { setPointerUntagBits } from './syscall-types.js';

export const PR_SET_TAGGED_ADDR_CTRL = 55;
export const PR_GET_TAGGED_ADDR_CTRL = 56;
const PR_TAGGED_ADDR_ENABLE = 1n;
const PR_PMLEN_SHIFT = 24n;
const PR_PMLEN_MASK = 0x7fn << PR_PMLEN_SHIFT;
const ENVCFG_PMM = 3n << 32n;

/** Whether the tagged address ABI is on, per task state (the mm's pmlen in Linux). */
const abiOn = new WeakMap<CPURISCVState, boolean>();

/** The prctl; `args` are arg2..arg5. */
export function taggedAddrPrctl(env: CPURISCVState, op: number, args: readonly bigint[]): number {
  if (!riscvCpuHas('supm')) throw new SyscallError(Errno.EINVAL);
  if (op === PR_GET_TAGGED_ADDR_CTRL) {
    if (args.some((a) => a !== 0n)) throw new SyscallError(Errno.EINVAL);
    const pmm = (env.get64('senvcfg') & ENVCFG_PMM) >> 32n;
    let ret = pmm === 2n ? 7n << PR_PMLEN_SHIFT : pmm === 3n ? 16n << PR_PMLEN_SHIFT : 0n;
    if (abiOn.get(env)) ret |= PR_TAGGED_ADDR_ENABLE;
    return Number(ret);
  }
  const arg = BigInt.asUintN(64, args[0]);
  if (args.slice(1).some((a) => a !== 0n)) throw new SyscallError(Errno.EINVAL);
  if (arg & ~(PR_PMLEN_MASK | PR_TAGGED_ADDR_ENABLE)) throw new SyscallError(Errno.EINVAL);
  const want = Number((arg & PR_PMLEN_MASK) >> PR_PMLEN_SHIFT);
  let pmlen: number, pmm: bigint;
  if (want === 0) { pmlen = 0; pmm = 0n; } else if (want <= 7) { pmlen = 7; pmm = 2n; } else if (want <= 16) { pmlen = 16; pmm = 3n; } else {
    throw new SyscallError(Errno.EINVAL);
  }
  const enable = (arg & PR_TAGGED_ADDR_ENABLE) !== 0n;
  if (enable && pmlen === 0) throw new SyscallError(Errno.EINVAL);
  env.set64('senvcfg', (env.get64('senvcfg') & ~ENVCFG_PMM) | (pmm << 32n));
  abiOn.set(env, enable);
  setPointerUntagBits(enable ? pmlen : 0);
  riscvPmUpdate(env);
  return 0;
}
