// riscv_hwprobe (nr 258) as Linux 6.12 answers it for the enabled extensions, and AT_HWCAP:
// the answers come from the process's RISCVCPUConfig (-cpu / QEMU_CPU, default max as
// qemu-riscv64's). All harts of a process are the same, so the cpu set only matters for
// RISCV_HWPROBE_WHICH_CPUS.
import { riscvCpuCfg, type RISCVCPUConfig } from '../target/riscv/cpu-cfg.js';
import { misaLetters } from '../target/riscv/cpu-isa.js';
import { QEMU_MARCHID } from '../target/riscv/cpu_bits.js';
import { TASK_SIZE } from './layout.js';
import type { TaskState } from './qemu.js';
import { Errno } from './errno.js';
import { NR } from './syscall-nr.js';
import { int, ptr, type SyscallTable } from './syscall-types.js';

/** AT_HWCAP: one bit per single-letter extension Linux reports (isa2hwcap: i m a f d c v). */
export function riscvHwcap(cfg: RISCVCPUConfig = riscvCpuCfg()): number {
  const m = misaLetters(cfg);
  return [...'imafdcv'].filter((l) => m.includes(l)).reduce((h, l) => h | (1 << (l.charCodeAt(0) - 97)), 0);
}

/** RISCV_HWPROBE_KEY_IMA_EXT_0 bits (uapi/asm/hwprobe.h of Linux 6.12), by extension. */
const IMA_EXT_0: readonly [string, number][] = [
  ['zba', 3], ['zbb', 4], ['zbs', 5], ['zicboz', 6], ['zbc', 7], ['zbkb', 8], ['zbkc', 9], ['zbkx', 10], ['zknd', 11],
  ['zkne', 12], ['zknh', 13], ['zksed', 14], ['zksh', 15], ['zkt', 16], ['zvbb', 17], ['zvbc', 18], ['zvkb', 19],
  ['zvkg', 20], ['zvkned', 21], ['zvknha', 22], ['zvknhb', 23], ['zvksed', 24], ['zvksh', 25], ['zvkt', 26], ['zfh', 27],
  ['zfhmin', 28], ['zihintntl', 29], ['zvfh', 30], ['zvfhmin', 31], ['zfa', 32], ['ztso', 33], ['zacas', 34],
  ['zicond', 35], ['zihintpause', 36], ['zve32x', 37], ['zve32f', 38], ['zve64x', 39], ['zve64f', 40], ['zve64d', 41],
  ['zimop', 42], ['zca', 43], ['zcb', 44], ['zcd', 45], ['zcmop', 47], ['zawrs', 48],
];
/** Extensions Linux reports only with the vector unit (has_vector). */
const NEEDS_V = new Set(['zvbb', 'zvbc', 'zvkb', 'zvkg', 'zvkned', 'zvknha', 'zvknhb', 'zvksed', 'zvksh', 'zvkt', 'zvfh',
  'zvfhmin', 'zve32x', 'zve32f', 'zve64x', 'zve64f', 'zve64d']);

export const enum HwprobeKey {
  MVENDORID = 0, MARCHID = 1, MIMPID = 2, BASE_BEHAVIOR = 3, IMA_EXT_0 = 4, CPUPERF_0 = 5, ZICBOZ_BLOCK_SIZE = 6,
  HIGHEST_VIRT_ADDRESS = 7, TIME_CSR_FREQ = 8, MISALIGNED_SCALAR_PERF = 9,
}
/** RISCV_HWPROBE_MISALIGNED(_SCALAR)_FAST: misaligned accesses are done in one go here. */
const MISALIGNED_FAST = 3n;
/** The user-mode time CSR counts at 10 MHz (the virt board's timebase). */
const TIME_FREQ = 10_000_000n;

/** The value of one key, or undefined for a key Linux 6.12 does not know. */
export function riscvHwprobeValue(key: bigint, cfg: RISCVCPUConfig = riscvCpuCfg()): bigint | undefined {
  const has = (e: string): boolean => {
    if (['zicsr', 'zifencei', 'zihintpause', 'zmmul', 'zaamo', 'zalrsc', 'zca', 'zcd'].includes(e)) return e !== 'zihintpause' || !cfg.noZihintpause;
    return cfg.ext.has(e) || (e.startsWith('zve') && cfg.ext.has('v'));
  };
  switch (key) {
    case 0n: return 0n;
    case 1n: case 2n: return QEMU_MARCHID;
    case 3n: return 1n; // RISCV_HWPROBE_BASE_BEHAVIOR_IMA
    case 4n: {
      let v = 1n | 2n; // IMA_FD, IMA_C
      const vec = cfg.ext.has('v');
      if (vec) v |= 4n;
      for (const [e, bit] of IMA_EXT_0) {
        if (NEEDS_V.has(e) && !vec) continue;
        if (has(e)) v |= 1n << BigInt(bit); // the harts always have the FPU (Linux's has_fpu)
      }
      return v;
    }
    case 5n: case 9n: return MISALIGNED_FAST;
    case 6n: return cfg.ext.has('zicboz') ? BigInt(cfg.cbozBlocksize) : 0n;
    case 7n: return BigInt(TASK_SIZE - 1);
    case 8n: return TIME_FREQ;
    default: return undefined;
  }
}

/** sys_riscv_hwprobe(pairs, pair_count, cpusetsize, cpus, flags). */
function hwprobe(ts: TaskState, pairs: number, count: number, cpusetsize: number, cpus: number, flags: number): number {
  const WHICH_CPUS = 1;
  if (flags & ~WHICH_CPUS) return -Errno.EINVAL;
  const mm = ts.mm;
  if (flags & WHICH_CPUS) {
    // Clear the cpus whose values differ from every pair (one kind of hart: all or none).
    if (!cpusetsize || !cpus) return -Errno.EINVAL;
    const set = mm.read(cpus, Math.min(cpusetsize, 1 << 16));
    let match = true;
    for (let i = 0; i < count; i++) {
      const key = BigInt.asIntN(64, mm.u64(pairs + i * 16));
      const want = mm.u64(pairs + i * 16 + 8);
      const have = riscvHwprobeValue(key);
      if (have === undefined) { mm.setU64(pairs + i * 16, -1n); match = false; continue; }
      // IMA_EXT_0 and BASE_BEHAVIOR are bit sets: every bit asked for must be there.
      if (key === 3n || key === 4n ? (want & have) !== want : want !== have) match = false;
    }
    if (!match) set.fill(0);
    mm.write(cpus, set);
    return 0;
  }
  for (let i = 0; i < count; i++) {
    const key = BigInt.asIntN(64, mm.u64(pairs + i * 16));
    const v = riscvHwprobeValue(key);
    if (v === undefined) { mm.setU64(pairs + i * 16, -1n); mm.setU64(pairs + i * 16 + 8, 0n); continue; }
    mm.setU64(pairs + i * 16 + 8, v);
  }
  return 0;
}

export const HWPROBE_SYSCALLS: SyscallTable = [
  [NR.riscv_hwprobe, (ts, a) => hwprobe(ts, ptr(a[0]), Math.min(ptr(a[1]), 1 << 20), ptr(a[2]), ptr(a[3]), int(a[4]))],
];
