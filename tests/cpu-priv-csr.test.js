// CSRs: reset values, WARL masks, permission checks, side effects; and a replay of a CSR
// write/read sequence on real qemu-system-riscv64 compared with ours.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeEnv, csrw, csrr } from './helpers/cpu-priv-env.js';
import { riscvCsrrw } from '../dist/target/riscv/csr.js';
import { riscvCpuLocalIrqPending, riscvCpuSetMode } from '../dist/target/riscv/cpu_helper.js';
import { riscvHelperMret } from '../dist/target/riscv/op_helper.js';

const MSTATUS = 0x300, MISA = 0x301, MEDELEG = 0x302, MIDELEG = 0x303, MIE = 0x304, MTVEC = 0x305;
const MSCRATCH = 0x340, MEPC = 0x341, MCAUSE = 0x342, MTVAL = 0x343, MIP = 0x344;
const SSTATUS = 0x100, SIE = 0x104, SIP = 0x144, SATP = 0x180, SEPC = 0x141;

test('reset state is QEMU\'s: M mode, mstatus SXL=UXL=2, misa rv64imafdcsu', () => {
  const { env } = makeEnv();
  assert.equal(env.priv, 3);
  assert.equal(env.pc, 0x1000n);
  assert.equal(csrr(env, MSTATUS), 0xa00000000n);
  assert.equal(csrr(env, MISA), 0x800000000014112dn);
  assert.equal(csrr(env, 0xf14), 0n); // mhartid
  assert.equal(csrr(env, 0xf12), 0x0a0200n); // marchid = QEMU 10.2.0
  assert.equal(env.get32('mmu_idx_data'), 3);
  assert.equal(env.get32('mmu_idx_fetch'), 3);
});

test('WARL masks: delegation, enables, pending, tvec modes, epc alignment, satp modes', () => {
  const { env } = makeEnv();
  csrw(env, MEDELEG, -1n); assert.equal(csrr(env, MEDELEG), 0xf0bfffn);
  csrw(env, MIDELEG, -1n); assert.equal(csrr(env, MIDELEG), 0x222n);
  csrw(env, MIE, -1n); assert.equal(csrr(env, MIE), 0xaaan);
  env.set64('mip', 0x80n); // MTIP from the timer
  csrw(env, MIP, -1n); assert.equal(csrr(env, MIP), 0x2a2n, 'software sets SSIP/STIP/SEIP only');
  csrw(env, MIP, 0n); assert.equal(csrr(env, MIP), 0x80n, 'hardware MTIP is not software-clearable');
  csrw(env, MTVEC, 0x80000101n); assert.equal(csrr(env, MTVEC), 0x80000101n);
  csrw(env, MTVEC, 0x80000002n); assert.equal(csrr(env, MTVEC), 0x80000101n, 'mode 2 ignored');
  csrw(env, MTVEC, 0x80000003n); assert.equal(csrr(env, MTVEC), 0x80000101n, 'mode 3 ignored');
  csrw(env, MEPC, -1n); assert.equal(csrr(env, MEPC), 0xfffffffffffffffen);
  csrw(env, SEPC, 0x1003n); assert.equal(csrr(env, SEPC), 0x1002n);
  csrw(env, SATP, 0x9ffff00000012345n); assert.equal(csrr(env, SATP), 0x9ffff00000012345n);
  csrw(env, SATP, 0xb000000000000001n); assert.equal(csrr(env, SATP), 0x9ffff00000012345n, 'Sv64 refused');
  csrw(env, SATP, 0x1000000000000001n); assert.equal(csrr(env, SATP), 0x9ffff00000012345n, 'mode 1 refused');
  csrw(env, SATP, 0xa000000000000007n); assert.equal(csrr(env, SATP), 0xa000000000000007n, 'Sv57 accepted');
  csrw(env, 0x30a, -1n); assert.equal(csrr(env, 0x30a), 0xf1n, 'menvcfg: FIOM, and CBIE CBCFE CBZE (Zicbom/Zicboz are on by default)');
  csrw(env, 0x320, -1n); assert.equal(csrr(env, 0x320), 0xfffffffdn, 'mcountinhibit bit 1 is zero');
  csrw(env, 0xb03, 5n); assert.equal(csrr(env, 0xb03), 0n, 'hpm counters read 0');
  csrw(env, 0x323, 5n); assert.equal(csrr(env, 0x323), 0n);
});

test('mstatus: writable fields, MPP legalisation, SD from FS, sstatus view', () => {
  const { env } = makeEnv();
  csrw(env, MSTATUS, -1n);
  assert.equal(csrr(env, MSTATUS), 0x8000000a007e79aan);
  csrw(env, MSTATUS, 0x800n); // MPP = S
  assert.equal(csrr(env, MSTATUS), 0xa00000800n);
  csrw(env, MSTATUS, 0x1000n); // MPP = 2 is reserved: keeps S
  assert.equal(csrr(env, MSTATUS) & 0x1800n, 0x800n);
  csrw(env, MSTATUS, 0x2000n); // FS = Initial: no SD
  assert.equal(csrr(env, MSTATUS) >> 63n, 0n);
  csrw(env, SSTATUS, -1n);
  assert.equal(csrr(env, SSTATUS), 0x80000002000c6122n, "UXL = 2");
  assert.equal(csrr(env, MSTATUS), 0x8000000a000c6122n, 'sstatus writes only its fields');
});

test('mstatus MPRV/MPP/SUM select the data mmu index; fetch follows priv', () => {
  const { env } = makeEnv();
  csrw(env, MSTATUS, (1n << 17n) | 0x800n);
  assert.equal(env.get32('mmu_idx_data'), 1);
  assert.equal(env.get32('mmu_idx_fetch'), 3);
  csrw(env, MSTATUS, (1n << 17n) | (1n << 18n) | 0x800n);
  assert.equal(env.get32('mmu_idx_data'), 2, 'S with SUM');
  csrw(env, MSTATUS, 1n << 17n); // MPP = U
  assert.equal(env.get32('mmu_idx_data'), 0);
  csrw(env, MSTATUS, 0n);
  assert.equal(env.get32('mmu_idx_data'), 3);
  riscvCpuSetMode(env, 1);
  assert.equal(env.get32('mmu_idx_data'), 1);
  assert.equal(env.get32('mmu_idx_fetch'), 1);
});

test('csrrw semantics: rd gets the old value, set/clear, status 1 after state changes', () => {
  const { env } = makeEnv();
  env.pc = 0x80000000n;
  env.set64('mscratch', 0xf0n);
  assert.equal(riscvCsrrw(env, MSCRATCH, 7, 0x0fn, 1, true), 0, 'scratch write needs no reload');
  assert.equal(env.getGpr(7), 0xf0n);
  assert.equal(env.get64('mscratch'), 0xffn);
  assert.equal(env.pc, 0x80000000n);
  riscvCsrrw(env, MSCRATCH, 7, 0xf0n, 2, true);
  assert.equal(env.get64('mscratch'), 0x0fn);
  assert.equal(riscvCsrrw(env, MSTATUS, 0, 8n, 1, true), 1, 'mstatus write asks for a reload');
  assert.equal(env.pc, 0x80000000n, 'completed by the caller');
  // x0 as rd never changes.
  riscvCsrrw(env, MSCRATCH, 0, 1n, 0, true);
  assert.equal(env.getGpr(0), 0n);
});

function trapped(env, cause) {
  return env.get64('mcause') === BigInt(cause) && env.pc === (env.get64('mtvec') & ~3n) && env.priv === 3;
}

test('illegal CSR accesses trap with the instruction in mtval', () => {
  const { env } = makeEnv();
  csrw(env, MTVEC, 0x80000400n);
  // Unknown CSR.
  env.pc = 0x80000000n;
  assert.equal(riscvCsrrw(env, 0x7c0, 5, 0n, 1, false, 0x7c0025f3), 1);
  assert.ok(trapped(env, 2));
  assert.equal(env.get64('mtval'), 0x7c0025f3n);
  assert.equal(env.get64('mepc'), 0x80000000n);
  // Read-only CSR written (csrw cycle), but csrrs cycle with x0 is fine.
  env.pc = 0x80000000n;
  assert.equal(riscvCsrrw(env, 0xc00, 0, 1n, 0, true), 1);
  assert.ok(trapped(env, 2));
  assert.notEqual(csrr(env, 0xc00), undefined);
  // Privilege: S cannot touch M CSRs.
  riscvCpuSetMode(env, 1);
  env.pc = 0x80000000n;
  assert.equal(csrr(env, MSTATUS), undefined);
  assert.ok(trapped(env, 2));
  assert.equal(env.get64('mstatus') & 0x1800n, 0x800n, 'MPP = S');
});

test('mcountinhibit CY/IR freeze mcycle/minstret (and cycle/instret); release continues', () => {
  const { env } = makeEnv();
  env.set64('instret', 1000n);
  csrw(env, 0xb00, 10n); // mcycle
  csrw(env, 0x320, 5n); // inhibit CY and IR
  assert.equal(csrr(env, 0x320), 5n);
  env.set64('instret', 2000n);
  assert.equal(csrr(env, 0xb00), 10n, 'mcycle frozen');
  assert.equal(csrr(env, 0xc00), 10n, 'cycle frozen');
  assert.equal(csrr(env, 0xb02), 1000n, 'minstret frozen');
  assert.equal(csrr(env, 0xc02), 1000n, 'instret frozen');
  csrw(env, 0xb02, 7n);
  assert.equal(csrr(env, 0xb02), 7n, 'written while frozen');
  csrw(env, 0x320, 1n); // release IR only
  env.set64('instret', 2100n);
  assert.equal(csrr(env, 0xb02), 107n, 'minstret counts on from the frozen value');
  assert.equal(csrr(env, 0xb00), 10n, 'mcycle still frozen');
  csrw(env, 0x320, 0n);
  env.set64('instret', 2150n);
  assert.equal(csrr(env, 0xb00), 60n);
  assert.equal(csrr(env, 0xb02), 157n);
});

test('mip.SEIP: the software-written bit and the PLIC line are kept apart and ORed on reads', () => {
  const { env } = makeEnv();
  const line = (level) => env.set32('mip', level ? env.get32('mip') | 0x200 : env.get32('mip') & ~0x200);
  const SEIP = 0x200n;
  // Software sets SEIP; the line rising and falling does not clear it.
  riscvCsrrw(env, MIP, 0, SEIP, 1, true); // csrs mip, SEIP
  line(true); line(false);
  assert.equal(csrr(env, MIP) & SEIP, SEIP, 'software SEIP survives the line');
  csrw(env, MIE, SEIP);
  csrw(env, MSTATUS, 0x8n); // MIE
  assert.equal(riscvCpuLocalIrqPending(env), 9, 'software SEIP is a pending interrupt');
  riscvCsrrw(env, MIP, 0, SEIP, 2, true); // csrc mip, SEIP
  assert.equal(csrr(env, MIP) & SEIP, 0n);
  assert.equal(riscvCpuLocalIrqPending(env), -1);
  // The line is high: reads see it, a csrs of another bit does not latch it as software's.
  line(true);
  assert.equal(csrr(env, MIP) & SEIP, SEIP);
  riscvCsrrw(env, MIP, 0, 0x2n, 1, true); // csrs mip, SSIP
  line(false);
  assert.equal(csrr(env, MIP), 0x2n, 'only SSIP remains once the line drops');
  // A software clear does not hide a high line.
  line(true);
  riscvCsrrw(env, MIP, 0, SEIP, 2, true);
  assert.equal(csrr(env, MIP) & SEIP, SEIP);
});

test('counter enables: mcounteren gates S and U, scounteren gates U', () => {
  const { env } = makeEnv();
  env.set64('instret', 1000n);
  csrw(env, 0xb02, 50n); // minstret
  env.set64('instret', 1010n);
  assert.equal(csrr(env, 0xb02), 60n);
  assert.equal(csrr(env, 0xc02), 60n);
  env.rdtime = () => 12345n;
  riscvCpuSetMode(env, 1);
  assert.equal(csrr(env, 0xc01), undefined, 'time from S without mcounteren.TM');
  riscvCpuSetMode(env, 3);
  csrw(env, 0x306, 0x2n);
  riscvCpuSetMode(env, 1);
  assert.equal(csrr(env, 0xc01), 12345n);
  riscvCpuSetMode(env, 0);
  assert.equal(csrr(env, 0xc01), undefined, 'U needs scounteren too');
  riscvCpuSetMode(env, 1);
  csrw(env, 0x106, 0x2n);
  riscvCpuSetMode(env, 0);
  assert.equal(csrr(env, 0xc01), 12345n);
  assert.equal(csrr(env, 0xc00), undefined, 'cycle still disabled');
});

test('FP CSRs need FS != Off and make FS dirty', () => {
  const { env } = makeEnv();
  assert.equal(csrr(env, 0x003), undefined);
  csrw(env, MSTATUS, 0x2000n);
  riscvCsrrw(env, 0x003, 0, 0xfffn, 0, true);
  assert.equal(csrr(env, 0x003), 0xffn);
  assert.equal(csrr(env, 0x001), 0x1fn);
  assert.equal(csrr(env, 0x002), 7n);
  assert.equal(csrr(env, MSTATUS) & 0x8000000000006000n, 0x8000000000006000n);
});

test('satp is illegal from S with TVM; sie/sip follow mideleg', () => {
  const { env } = makeEnv();
  csrw(env, MIDELEG, 0x20n); // STIP only
  csrw(env, MSTATUS, 1n << 20n);
  riscvCpuSetMode(env, 1);
  assert.equal(csrr(env, SATP), undefined);
  riscvCpuSetMode(env, 1);
  csrw(env, SIE, -1n);
  assert.equal(csrr(env, SIE), 0x20n);
  assert.equal(env.get64('mie'), 0x20n);
  csrw(env, SIP, -1n);
  assert.equal(csrr(env, SIP), 0n, 'SSIP not delegated: not writable through sip');
  riscvCpuSetMode(env, 3);
  csrw(env, MIDELEG, 0x222n);
  riscvCpuSetMode(env, 1);
  csrw(env, SIP, -1n);
  assert.equal(csrr(env, SIP), 2n);
});

// ---- Same CSR sequence on real QEMU ----------------------------------------------------------

const has = (cmd) => { try { execFileSync('sh', ['-c', `command -v ${cmd}`]); return true; } catch { return false; } };

/** [csr, value to write or null for a plain read, mask of bits QEMU's build may differ in]. The
 * masks drop what installed QEMU versions have and this CPU does not (H, V, Sscofpmf, Zicbo*,
 * Svpbmt, Sstc bits, 64-bit counteren). */
const M = -1n;
const SEQ = [
  [MSTATUS, null, ~0xff00000600n], [MISA, null, M], [MEDELEG, null, M], [MIDELEG, null, M], [MIE, null, M],
  [0x306, null, M], [SATP, null, M], [0x3a0, null, M], [0x3b0, null, M], [0xf11, null, M], [0xf14, null, M],
  [0xf15, null, M], [0x7a0, null, M], [0x7a1, null, M], [0x7a2, null, M], [0x106, null, M],
  [MEDELEG, M, M], [MEDELEG, 0x1234n, M], [MIDELEG, M, 0xaaan], [MIE, M, 0xaaan], [MIE, 0n, M],
  [MIDELEG, 0x222n, 0xaaan], [SIE, M, 0xaaan], [SIP, M, 0x222n], [MIP, M, 0x222n], [MIP, 0n, 0x222n], [SIE, 0n, M],
  [0x306, 0xffffffffn, 0xffffffffn], [0x106, 5n, 0xffffffffn], [0x30a, 0n, M], [0x10a, 0n, M],
  [0x105, 3n, M], [0x105, 0x81n, M], [0x105, 0x82n, M], [MEPC, 0x80001234n, M], [SEPC, 0x10n, M],
  [SATP, M, M], [SATP, 0x9ffff00000012345n, M], [SATP, 0xb000000000000001n, M], [SATP, 0x1000000000000001n, M],
  [SATP, 0x8000000000080000n, M], [SATP, 0n, M], [MCAUSE, M, M], [MTVAL, M, M], [0x140, 0x55n, M],
  [0x3b1, 0x12345n, M], [0x3b2, M, M], [0x3a0, 0x1b0fn, M], [0x3a0, 0n, M], [0x3a2, 0x0d00n, M], [0x3a2, 0n, M],
  [MSTATUS, 0x1800n, ~0xff00000600n], [MSTATUS, M, ~0xff00000600n], [MSTATUS, 0n, ~0xff00000600n],
  [SSTATUS, M, ~0xff00000600n], [MSTATUS, 0n, ~0xff00000600n],
  [0x003, null, M], [MSTATUS, 0x2000n, ~0xff00000600n], [0x001, 0xffn, M], [0x002, 0xffn, M], [0x003, 0xfffn, M],
  [MSTATUS, null, ~0xff00000600n], [MSTATUS, 0n, ~0xff00000600n],
  [0xc00, 1n, 0n], [0x7c0, null, M], [0x747, null, M], [0xfff, null, M], [0x3a1, null, M], [0x7a0, 0n, M],
];

function cProgram() {
  const lines = [];
  SEQ.forEach(([csr, val], i) => {
    const n = `0x${csr.toString(16)}`;
    if (val !== null) {
      lines.push(`last_cause=-1; __asm__ volatile("csrw ${n}, %0" :: "r"((uint64_t)0x${BigInt.asUintN(64, val).toString(16)}ULL) : "memory"); wt = last_cause != (uint64_t)-1;`);
    } else lines.push('wt = 0;');
    lines.push(`last_cause=-1; __asm__ volatile("csrr %0, ${n}" : "=r"(v) :: "memory"); out(${i}, wt, last_cause != (uint64_t)-1, v);`);
  });
  return `#include <stdint.h>
volatile uint64_t last_cause = -1, resume_pc;
#define UART ((volatile uint8_t*)0x10000000)
static void putc_(char c){ while(!(UART[5]&0x20)); UART[0]=c; }
static void puthex(uint64_t v){ for(int i=60;i>=0;i-=4) putc_("0123456789abcdef"[(v>>i)&15]); }
static void out(int i, int wt, int rt, uint64_t v){ puthex(i); putc_(' '); putc_(wt?'T':'-'); putc_(' '); if(rt) { putc_('T'); } else puthex(v); putc_('\\n'); }
int main(void){ uint64_t v; int wt;
${lines.join('\n')}
*(volatile uint32_t*)0x100000 = 0x5555; for(;;); }
`;
}

const START_S = `.section .text.start
.globl _start
_start:
  la sp, stack_top
  la t0, trap_stack
  csrw mscratch, t0
  la t0, trap
  csrw mtvec, t0
  call main
1: j 1b
.align 4
trap:
  csrrw sp, mscratch, sp
  addi sp, sp, -16
  sd t0, 0(sp)
  sd t1, 8(sp)
  csrr t0, mcause
  la t1, last_cause
  sd t0, 0(t1)
  csrr t0, mepc
  addi t0, t0, 4
  csrw mepc, t0
  li t0, 0x1800
  csrs mstatus, t0
  ld t0, 0(sp)
  ld t1, 8(sp)
  addi sp, sp, 16
  csrrw sp, mscratch, sp
  mret
.section .bss
.align 4
.space 8192
stack_top:
.space 4096
trap_stack:
`;
const LINK = 'ENTRY(_start)\nSECTIONS { . = 0x80000000; .text : { *(.text.start) *(.text*) } .rodata : { *(.rodata*) } .data : { *(.data*) *(.sdata*) } .bss : { *(.bss*) *(.sbss*) } }\n';

function runOnQemu() {
  const dir = mkdtempSync(join(tmpdir(), 'cpu-priv-'));
  try {
    writeFileSync(join(dir, 'start.S'), START_S);
    writeFileSync(join(dir, 'seq.c'), cProgram());
    writeFileSync(join(dir, 'link.ld'), LINK);
    execFileSync('riscv64-linux-gnu-gcc', ['-nostdlib', '-nostartfiles', '-march=rv64gc', '-mabi=lp64d', '-mcmodel=medany',
      '-O1', '-ffreestanding', '-fno-pic', '-static', '-Wl,--no-relax', '-Wl,--build-id=none', '-Wl,--no-warn-rwx-segments',
      '-T', join(dir, 'link.ld'), '-o', join(dir, 'seq.elf'), join(dir, 'start.S'), join(dir, 'seq.c')], { stdio: 'pipe' });
    const out = execFileSync('qemu-system-riscv64', ['-M', 'virt', '-bios', 'none', '-cpu', 'rv64,h=false,v=false',
      '-kernel', join(dir, 'seq.elf'), '-nographic', '-monitor', 'none'], { timeout: 20000, encoding: 'utf8' });
    return out.split('\n').filter((l) => /^[0-9a-f]{16} /.test(l)).map((l) => {
      const [i, w, r] = l.trim().split(' ');
      return { i: parseInt(i, 16), wt: w === 'T', v: r === 'T' ? 'T' : BigInt('0x' + r) };
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The same sequence on our CSRs, with QEMU's trap handler behaviour (mepc += 4; MPP = M; mret). */
function runOnUs() {
  const { env } = makeEnv();
  csrw(env, MTVEC, 0x80000400n);
  const res = [];
  const op = (csr, writes, val) => {
    env.pc = 0x80000000n;
    const st = riscvCsrrw(env, csr, 5, val, 0, writes);
    if (st === 1 && env.pc === 0x80000400n) {
      env.set64('mepc', env.get64('mepc') + 4n);
      env.set64('mstatus', env.get64('mstatus') | 0x1800n);
      riscvHelperMret(env);
      return true;
    }
    return false;
  };
  SEQ.forEach(([csr, val], i) => {
    const wt = val !== null ? op(csr, true, BigInt.asUintN(64, val)) : false;
    const rt = op(csr, false, 0n);
    res.push({ i, wt, v: rt ? 'T' : env.getGpr(5) });
  });
  return res;
}

test('CSR write/read sequence matches real qemu-system-riscv64', (t) => {
  if (!has('qemu-system-riscv64') || !has('riscv64-linux-gnu-gcc')) { t.skip('qemu-system-riscv64 or cross gcc missing'); return; }
  const q = runOnQemu();
  const us = runOnUs();
  assert.equal(q.length, SEQ.length, 'QEMU ran the whole sequence');
  for (let i = 0; i < SEQ.length; i++) {
    const [csr, val, mask] = SEQ[i];
    const what = `#${i} csr 0x${csr.toString(16)} ${val === null ? 'read' : 'write 0x' + BigInt.asUintN(64, val).toString(16)}`;
    assert.equal(us[i].wt, q[i].wt, `${what}: write trap`);
    if (q[i].v === 'T' || us[i].v === 'T') assert.equal(us[i].v, q[i].v, `${what}: read trap`);
    else assert.equal((us[i].v & mask).toString(16), (q[i].v & mask).toString(16), `${what}: value`);
  }
});
