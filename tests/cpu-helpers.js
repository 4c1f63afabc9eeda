// Shared helpers of the cpu-* suites: assemble RISC-V source with the cross binutils and run it
// on one hart over a small RAM (M mode).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AddressSpace, allocateGuestMemory } from '../dist/exec/memory.js';
import { riscvCpuStateBytes } from '../dist/target/riscv/cpu-state.js';
import { createRISCVCPUs } from '../dist/target/riscv/cpu.js';

export const RAM_BASE = 0x80000000;

export function haveToolchain() {
  try { execFileSync('riscv64-linux-gnu-as', ['--version'], { stdio: 'ignore' }); return true; } catch { return false; }
}

/** Assemble `src` (GNU as syntax, rv64gc) linked at RAM_BASE; returns the raw bytes. */
export function assemble(src, march = 'rv64gc') {
  const dir = mkdtempSync(join(tmpdir(), 'cpu-test-'));
  try {
    writeFileSync(join(dir, 'a.S'), `.option norelax\n.option nopic\n.text\n.globl _start\n_start:\n${src}\n`);
    writeFileSync(join(dir, 'a.ld'), 'SECTIONS { . = 0x80000000; .text : { *(.text*) *(.rodata*) *(.data*) *(.bss*) } }');
    execFileSync('riscv64-linux-gnu-gcc', ['-nostdlib', '-static', '-Wl,--build-id=none', '-march=' + march, '-mabi=lp64d', '-T', join(dir, 'a.ld'),
      '-Wl,--no-relax', '-o', join(dir, 'a.elf'), join(dir, 'a.S')]);
    execFileSync('riscv64-linux-gnu-objcopy', ['-O', 'binary', '-j', '.text', join(dir, 'a.elf'), join(dir, 'a.bin')]);
    return new Uint8Array(readFileSync(join(dir, 'a.bin')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A machine with `ramBytes` of RAM at RAM_BASE and optional MMIO regions. */
export function makeHart(code, { ramBytes = 1 << 20, mmio = [] } = {}) {
  const layout = allocateGuestMemory(riscvCpuStateBytes(1), 0, ramBytes);
  const as = new AddressSpace(layout.memory);
  as.addRam('ram', RAM_BASE, ramBytes, layout.ramHostOffset);
  for (const m of mmio) as.addMmio(m.name, m.base, m.size, m.ops);
  const [cpu] = createRISCVCPUs({ as, cpuStateOffset: layout.cpuStateOffset, nharts: 1, rdtime: () => 0n });
  cpu.reset(BigInt(RAM_BASE));
  as.loadBlob(RAM_BASE, code, 'test code');
  return { cpu, as, layout };
}

/** Run until the program executes `ebreak`-free end: programs end in an infinite `j .` loop
 * labelled `done`; we run a budget and then check the pc sits there. */
export function runToEnd(cpu, budget = 1_000_000) {
  cpu.run(budget);
  return cpu;
}

export const x = (cpu, i) => BigInt.asIntN(64, cpu.getGpr(i));
export const ux = (cpu, i) => cpu.getGpr(i);

/** Program prologue: mtvec -> `trap`, which records mcause/mepc/mtval in s9/s10/s11 and sleeps.
 * Programs end with `j done`. */
export const PROLOGUE = `
  la t0, trap
  csrw mtvec, t0
  li s9, -1
  j main
trap:
  csrr s9, mcause
  csrr s10, mepc
  csrr s11, mtval
done:
  wfi
  j done
main:
`;

/** Assemble PROLOGUE + src, run to the final wfi (asserting it got there), return the hart. */
export function runProgram(src, opts = {}) {
  const code = assemble(PROLOGUE + src);
  const h = makeHart(code, opts);
  const exit = h.cpu.run(opts.budget ?? 10_000_000);
  if (exit !== 1) throw new Error(`program did not reach wfi (exit ${exit}, pc 0x${h.cpu.pc.toString(16)})`);
  return { ...h, code };
}

/** Compile C (rv64gc -O2, no libc) with a tiny start stub; main's return value lands in a0. */
export function compileC(csrc) {
  const dir = mkdtempSync(join(tmpdir(), 'cpu-test-'));
  try {
    writeFileSync(join(dir, 'start.S'), '.option nopic\n.section .text.start\n.globl _start\n_start:\n li sp, 0x80080000\n call main\n1: wfi\n j 1b\n');
    writeFileSync(join(dir, 'm.c'), csrc);
    writeFileSync(join(dir, 'a.ld'), 'SECTIONS { . = 0x80000000; .text : { *(.text.start) *(.text*) *(.rodata*) *(.srodata*) *(.data*) *(.sdata*) *(.sbss*) *(.bss*) } }');
    execFileSync('riscv64-linux-gnu-gcc', ['-nostdlib', '-static', '-fno-pic', '-O2', '-march=rv64gc', '-mabi=lp64d',
      '-mcmodel=medany', '-fno-builtin', '-Wl,--build-id=none', '-T', join(dir, 'a.ld'), '-o', join(dir, 'a.elf'),
      join(dir, 'start.S'), join(dir, 'm.c')], { stdio: ['ignore', 'ignore', 'pipe'] });
    execFileSync('riscv64-linux-gnu-objcopy', ['-O', 'binary', '-j', '.text', join(dir, 'a.elf'), join(dir, 'a.bin')]);
    return new Uint8Array(readFileSync(join(dir, 'a.bin')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
