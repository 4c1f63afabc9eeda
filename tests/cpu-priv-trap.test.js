// Trap entry, delegation, vectored mode, interrupt priority and enables, xret, wfi, ecall,
// ebreak, user-mode recording, and the -d int log line (compared with real QEMU's).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeEnv, csrw, pmpAllowAll } from './helpers/cpu-priv-env.js';
import { riscvRaiseException, riscvCpuExecInterrupt, riscvCpuSetMode } from '../dist/target/riscv/cpu_helper.js';
import { riscvHelperMret, riscvHelperSret, riscvHelperWfi, riscvHelperEcall, riscvHelperEbreak, riscvHelperSfenceVma } from '../dist/target/riscv/op_helper.js';
import { setLogMask, setLogSink } from '../dist/qemu/log.js';

const MSTATUS = 0x300, MEDELEG = 0x302, MIDELEG = 0x303, MIE = 0x304, MTVEC = 0x305, STVEC = 0x105;
const MIE_BIT = 8n, SIE_BIT = 2n;

function setup() {
  const r = makeEnv();
  csrw(r.env, MTVEC, 0x80000100n);
  csrw(r.env, STVEC, 0x80000200n);
  return r;
}

test('exception from U delegated to S: sepc/scause/stval, SPP/SPIE/SIE, priv, vector', () => {
  const { env } = setup();
  csrw(env, MEDELEG, 1n << 13n);
  csrw(env, MSTATUS, SIE_BIT);
  riscvCpuSetMode(env, 0);
  env.pc = 0x1234n;
  riscvRaiseException(env, 13, 0xdead000n);
  assert.equal(env.priv, 1);
  assert.equal(env.pc, 0x80000200n);
  assert.equal(env.get64('sepc'), 0x1234n);
  assert.equal(env.get64('scause'), 13n);
  assert.equal(env.get64('stval'), 0xdead000n);
  const ms = env.get64('mstatus');
  assert.equal(ms & 0x100n, 0n, 'SPP = U');
  assert.equal(ms & 0x20n, 0x20n, 'SPIE = old SIE');
  assert.equal(ms & SIE_BIT, 0n, 'SIE cleared');
  assert.equal(env.get32('mmu_idx_data'), 1);
});

test('exception not delegated goes to M with MPP/MPIE; M-mode traps are never delegated', () => {
  const { env } = setup();
  csrw(env, MEDELEG, 1n << 2n);
  csrw(env, MSTATUS, MIE_BIT);
  env.pc = 0x80000010n;
  riscvRaiseException(env, 2, 0x13n); // from M, even though delegated
  assert.equal(env.priv, 3);
  assert.equal(env.pc, 0x80000100n);
  assert.equal(env.get64('mepc'), 0x80000010n);
  assert.equal(env.get64('mtval'), 0x13n);
  const ms = env.get64('mstatus');
  assert.equal(ms & 0x1800n, 0x1800n, 'MPP = M');
  assert.equal(ms & 0x80n, 0x80n, 'MPIE = old MIE');
  assert.equal(ms & MIE_BIT, 0n);
  riscvCpuSetMode(env, 1);
  riscvRaiseException(env, 5, 0n);
  assert.equal(env.priv, 3);
  assert.equal(env.get64('mstatus') & 0x1800n, 0x800n, 'MPP = S');
});

test('vectored mtvec: interrupts at base + 4*cause, exceptions at base', () => {
  const { env } = setup();
  csrw(env, MTVEC, 0x80000101n);
  riscvCpuSetMode(env, 1);
  riscvRaiseException(env, 8, 0n);
  assert.equal(env.pc, 0x80000100n);
  csrw(env, MIE, 0x80n);
  riscvCpuSetMode(env, 1);
  env.set64('mip', 0x80n);
  assert.equal(riscvCpuExecInterrupt(env), true);
  assert.equal(env.pc, 0x80000100n + 7n * 4n);
  assert.equal(env.get64('mcause'), (1n << 63n) | 7n);
});

test('interrupt priority: M-level first, then the lowest number (QEMU without AIA), delegation and enables', () => {
  const { env } = setup();
  csrw(env, MIE, 0xaaan);
  const order = [1, 3, 5, 7, 9, 11];
  for (let k = 0; k < order.length; k++) {
    let pend = 0n;
    for (const b of order.slice(k)) pend |= 1n << BigInt(b);
    env.set64('mip', pend);
    riscvCpuSetMode(env, 0); // U: everything enabled
    assert.equal(riscvCpuExecInterrupt(env), true);
    assert.equal(env.get64('mcause') & 0xffn, BigInt(order[k]), `pending ${pend.toString(16)}`);
  }
  // With the S ones delegated, M-level interrupts go first whatever their numbers.
  csrw(env, MIDELEG, 0x222n);
  env.set64('mip', 0xaaan);
  riscvCpuSetMode(env, 0);
  assert.equal(riscvCpuExecInterrupt(env), true);
  assert.equal(env.get64('mcause'), (1n << 63n) | 3n);
  csrw(env, MIDELEG, 0n);
  // M with MIE = 0: nothing; with MIE = 1: M interrupts.
  riscvCpuSetMode(env, 3);
  csrw(env, MSTATUS, 0n);
  env.set64('mip', 0x80n);
  assert.equal(riscvCpuExecInterrupt(env), false);
  csrw(env, MSTATUS, MIE_BIT);
  assert.equal(riscvCpuExecInterrupt(env), true);
  // Delegated STI: never taken in M; in S only with SIE; in U always; goes to S.
  csrw(env, MIDELEG, 0x20n);
  csrw(env, MSTATUS, MIE_BIT);
  env.set64('mip', 0x20n);
  assert.equal(riscvCpuExecInterrupt(env), false, 'S interrupt in M');
  riscvCpuSetMode(env, 1);
  csrw(env, MSTATUS, 0n);
  riscvCpuSetMode(env, 1);
  assert.equal(riscvCpuExecInterrupt(env), false, 'S with SIE = 0');
  riscvCpuSetMode(env, 0);
  assert.equal(riscvCpuExecInterrupt(env), true);
  assert.equal(env.priv, 1);
  assert.equal(env.get64('scause'), (1n << 63n) | 5n);
  assert.equal(env.pc, 0x80000200n);
  // Non-delegated MTI preempts S even with MIE = 0 (priv < M), and beats a pending delegated SEI.
  csrw(env, MIDELEG, 0x200n);
  env.set64('mip', 0x280n);
  riscvCpuSetMode(env, 1);
  assert.equal(riscvCpuExecInterrupt(env), true);
  assert.equal(env.priv, 3);
  assert.equal(env.get64('mcause'), (1n << 63n) | 7n);
});

test('mret / sret: stack pop, MPRV clearing, TSR, no-PMP fetch fault, illegal below', () => {
  const { env } = setup();
  // mret to S with no PMP rule: QEMU raises an instruction access fault.
  env.set64('mepc', 0x80001000n);
  csrw(env, MSTATUS, 0x800n | 0x80n | (1n << 17n));
  env.pc = 0x80000040n;
  assert.equal(riscvHelperMret(env), 1);
  assert.equal(env.get64('mcause'), 1n);
  pmpAllowAll(env);
  env.set64('mepc', 0x80001000n);
  csrw(env, MSTATUS, 0x800n | 0x80n | (1n << 17n));
  assert.equal(riscvHelperMret(env), 1);
  assert.equal(env.priv, 1);
  assert.equal(env.pc, 0x80001000n);
  let ms = env.get64('mstatus');
  assert.equal(ms & MIE_BIT, MIE_BIT, 'MIE = MPIE');
  assert.equal(ms & 0x80n, 0x80n, 'MPIE = 1');
  assert.equal(ms & 0x1800n, 0n, 'MPP = U');
  assert.equal(ms & (1n << 17n), 0n, 'MPRV cleared');
  // sret from S to U.
  env.set64('sepc', 0x4000n);
  env.set64('mstatus', (env.get64('mstatus') & ~0x122n) | 0x20n); // SPP = U, SPIE = 1, SIE = 0
  assert.equal(riscvHelperSret(env), 1);
  assert.equal(env.priv, 0);
  assert.equal(env.pc, 0x4000n);
  ms = env.get64('mstatus');
  assert.equal(ms & SIE_BIT, SIE_BIT);
  // mret and sret from U are illegal; tval = the encoding.
  env.pc = 0x4000n;
  riscvHelperMret(env);
  assert.equal(env.get64('mcause'), 2n);
  assert.equal(env.get64('mtval'), 0x30200073n);
  assert.equal(env.get64('mepc'), 0x4000n);
  riscvCpuSetMode(env, 0);
  riscvHelperSret(env);
  assert.equal(env.get64('mtval'), 0x10200073n);
  // TSR makes sret illegal in S.
  csrw(env, MSTATUS, 1n << 22n);
  riscvCpuSetMode(env, 1);
  riscvHelperSret(env);
  assert.equal(env.priv, 3);
  assert.equal(env.get64('mcause'), 2n);
});

test('wfi: sleeps with pc past it; illegal in U and with TW in S; no sleep when pending', () => {
  const { env } = setup();
  env.pc = 0x80000000n;
  assert.equal(riscvHelperWfi(env), 2);
  assert.equal(env.pc, 0x80000004n);
  csrw(env, MIE, 0x80n);
  env.set64('mip', 0x80n);
  assert.equal(riscvHelperWfi(env), 0, 'pending (even with MIE = 0) wakes');
  env.set64('mip', 0n);
  riscvCpuSetMode(env, 0);
  env.pc = 0x5000n;
  assert.equal(riscvHelperWfi(env), 1);
  assert.equal(env.get64('mcause'), 2n);
  assert.equal(env.get64('mepc'), 0x5000n);
  csrw(env, MSTATUS, 1n << 21n);
  riscvCpuSetMode(env, 1);
  assert.equal(riscvHelperWfi(env), 1);
  assert.equal(env.get64('mcause'), 2n);
  assert.equal(env.get64('mtval'), 0x10500073n);
});

test('ecall causes by privilege, ebreak tval = pc, sfence.vma rules', () => {
  const { env } = setup();
  for (const [priv, cause] of [[0, 8n], [1, 9n], [3, 11n]]) {
    riscvCpuSetMode(env, priv);
    env.pc = 0x80000020n;
    assert.equal(riscvHelperEcall(env), 1);
    assert.equal(env.get64('mcause'), cause);
    assert.equal(env.get64('mtval'), 0n);
  }
  env.pc = 0x80000abcn;
  riscvHelperEbreak(env);
  assert.equal(env.get64('mcause'), 3n);
  assert.equal(env.get64('mtval'), 0x80000abcn);
  riscvCpuSetMode(env, 0);
  env.pc = 0x100n;
  assert.equal(riscvHelperSfenceVma(env, 10, 11), 1);
  assert.equal(env.get64('mtval'), BigInt(0x12000073 | (11 << 20) | (10 << 15)));
  csrw(env, MSTATUS, 1n << 20n);
  riscvCpuSetMode(env, 1);
  assert.equal(riscvHelperSfenceVma(env, 0, 0), 1);
  assert.equal(env.priv, 3, 'TVM traps sfence.vma in S');
  env.pc = 0x200n;
  assert.equal(riscvHelperSfenceVma(env, 0, 0), 1);
  assert.equal(env.pc, 0x200n, 'M: flush; the caller completes the instruction');
});

test('user mode: exceptions are recorded, ecall leaves run()', () => {
  const { env } = setup();
  env.userMode = { tlbFill: () => -1 };
  riscvCpuSetMode(env, 0);
  env.pc = 0x10000n;
  assert.equal(riscvHelperEcall(env), 3);
  assert.equal(env.pc, 0x10000n);
  riscvRaiseException(env, 2, 0x1234n);
  assert.equal(env.pc, 0x10000n);
  assert.equal(env.priv, 0);
  assert.equal(env.get64('scause'), 2n);
  assert.equal(env.get64('stval'), 0x1234n);
  assert.equal(env.get32('exit_request'), 1);
  env.set64('mip', 0x80n);
  csrw(env, MIE, 0x80n);
  assert.equal(riscvCpuExecInterrupt(env), false);
});

test('-d int line has QEMU\'s format (checked against real qemu-system-riscv64)', (t) => {
  const { env } = setup();
  const lines = [];
  setLogSink((s) => lines.push(s));
  setLogMask(1 << 4);
  try {
    env.pc = 0x80000010n;
    riscvHelperEcall(env);
    csrw(env, MIE, 0x80n);
    riscvCpuSetMode(env, 1);
    env.set64('mip', 0x80n);
    env.pc = 0x8000002an;
    riscvCpuExecInterrupt(env);
  } finally {
    setLogMask(0);
  }
  assert.deepEqual(lines, [
    'riscv_cpu_do_interrupt: hart:0, async:0, cause:000000000000000b, epc:0x0000000080000010, tval:0x0000000000000000, desc=machine_ecall\n',
    'riscv_cpu_do_interrupt: hart:0, async:1, cause:0000000000000007, epc:0x000000008000002a, tval:0x0000000000000000, desc=m_timer\n',
  ]);
  let has = true;
  try { execFileSync('sh', ['-c', 'command -v qemu-system-riscv64 && command -v riscv64-linux-gnu-gcc'], { stdio: 'pipe' }); } catch { has = false; }
  if (!has) { t.skip('no qemu-system-riscv64 / cross gcc'); return; }
  // Real QEMU: ecall at 0x80000010 in M (mtvec points at a poweroff loop).
  const dir = mkdtempSync(join(tmpdir(), 'cpu-priv-int-'));
  try {
    writeFileSync(join(dir, 'p.S'), `.globl _start
_start:
  lla t0, off
  csrw mtvec, t0
  nop
  ecall
.align 2
off:
  li t0, 0x100000
  li t1, 0x5555
  sw t1, 0(t0)
1: j 1b
`);
    execFileSync('riscv64-linux-gnu-gcc', ['-nostdlib', '-static', '-no-pie', '-march=rv64gc', '-mabi=lp64d', '-Wl,-Ttext=0x80000000',
      '-Wl,--build-id=none', '-o', join(dir, 'p.elf'), join(dir, 'p.S')], { stdio: 'pipe' });
    execFileSync('qemu-system-riscv64', ['-M', 'virt', '-bios', 'none', '-kernel', join(dir, 'p.elf'), '-nographic',
      '-monitor', 'none', '-d', 'int', '-D', join(dir, 'int.log')], { timeout: 20000, stdio: 'pipe' });
    const real = readFileSync(join(dir, 'int.log'), 'utf8').split('\n')[0];
    const epc = real.match(/epc:0x([0-9a-f]+)/)[1];
    env.pc = BigInt('0x' + epc);
    riscvCpuSetMode(env, 3);
    const ours = [];
    setLogSink((s) => ours.push(s));
    setLogMask(1 << 4);
    try { riscvHelperEcall(env); } finally { setLogMask(0); }
    assert.equal(ours[0], real + '\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
