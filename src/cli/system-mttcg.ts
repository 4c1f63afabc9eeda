// -accel tcg,thread=multi in the system emulator: what it cannot be combined with (refused, not
// ignored), and the scheduler that puts each hart on its own worker (system/mttcg.ts).
import { QemuError } from '../qemu/error.js';
import type { SystemConfig } from '../system/vl.js';
import type { RISCVVirtMachine } from '../hw/riscv/virt.js';
import type { RISCVCPU } from '../target/riscv/cpu.js';
import { riscvInterpreterModules } from '../target/riscv/cpu.js';
import { riscvCpuCfg, riscvCpuHas } from '../target/riscv/cpu-cfg.js';
import { tcgOptions } from '../accel/tcg/tcg-accel.js';
import { TIMEBASE_FREQ, VIRT_MEMMAP } from '../hw/riscv/virt-memmap.js';
import { MttcgScheduler } from '../system/mttcg.js';
import { MTTCG_MAX_HARTS } from '../target/riscv/tb-share.js';
import { nodeHartThreads } from '../host/node/mttcg-host.js';

const refuse = (what: string): QemuError => new QemuError(`-accel tcg,thread=multi: ${what} is not supported with MTTCG by tsqemu`);

/** Options thread=multi does not handle yet (checked before the machine is built). */
export function checkMttcgConfig(cfg: SystemConfig): void {
  if (!tcgOptions.mttcg) return;
  if (cfg.extras.icount) throw new QemuError('-accel tcg,thread=multi: No MTTCG when icount is enabled'); // QEMU's words
  if (cfg.mgmt.gdb !== undefined) throw refuse('the GDB stub (-s/-gdb)');
  if (cfg.irqchip && cfg.irqchip.aia !== 'none') throw refuse(`aia=${cfg.irqchip.aia}`);
  if (cfg.smp > MTTCG_MAX_HARTS) throw refuse(`more than ${MTTCG_MAX_HARTS} harts`);
}

export function createMttcgScheduler(machine: RISCVVirtMachine, startPaused: boolean, logMask: number, logFile: string | undefined,
  fatal: (message: string) => void): MttcgScheduler {
  if (machine.as.hasHostRam) throw refuse('RAM beyond what one WebAssembly memory holds');
  // amocas.q's two halves are not one host atomic (README: Zacas).
  if (riscvCpuHas('zacas')) throw refuse('Zacas (zacas=on)');
  const harts = machine.harts as RISCVCPU[];
  return new MttcgScheduler(harts, machine.timers, machine.clock, { yieldToHost: () => new Promise((r) => setImmediate(r)) }, startPaused, {
    as: machine.as, cpuStateOffset: harts[0].env.base, mtime: () => machine.aclint.mtime(), timebaseFreq: TIMEBASE_FREQ,
    setTimeSource: (src) => { machine.aclint.timeSource = src; },
    cpuCfg: riscvCpuCfg(), tcg: { ...tcgOptions }, interp: riscvInterpreterModules(), logMask, logFile, fatal,
    mswi: { base: VIRT_MEMMAP.clint.base, size: 0x4000 }, // aia=none: the CLINT's MSWI words
  }, nodeHartThreads);
}
