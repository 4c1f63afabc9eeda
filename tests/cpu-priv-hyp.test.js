// The H extension at the unit level (tests/tcg-hyp.test.js compares whole programs with real
// QEMU): two-stage fills land in the V=1 mmu indexes only, guest-page faults report the guest
// physical address, the debugger translates through both stages, hypervisor CSRs from V=1
// are virtual-instruction exceptions. This process runs with -cpu rv64,h=on's configuration.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { riscvDefaultCpuCfg, setRiscvCpuCfg } from '../dist/target/riscv/cpu-cfg.js';
import '../dist/target/riscv/trans_rvh.js';
import { makeEnv, csrw, csrr, pmpAllowAll, writePte, tlbEntry, RAM_BASE } from './helpers/cpu-priv-env.js';
import { riscvTlbFill } from '../dist/target/riscv/mmu.js';
import { riscvPhysDebug } from '../dist/target/riscv/mmu-debug.js';
import { riscvHelperMret } from '../dist/target/riscv/op_helper.js';

const cfg = riscvDefaultCpuCfg();
cfg.ext.add('h');
setRiscvCpuCfg(cfg);

const LOAD = 0, STORE = 1;
const IDX_S = 1, IDX_VS = 5;
const V = 1n, R = 2n, W = 4n, X = 8n, U = 16n, A = 64n, D = 128n;
const pte = (pa, flags) => ((BigInt(pa) >> 12n) << 10n) | flags;

/** G stage (Sv39x4): GPA 2G-3G identity; GPA 1G -> RAM_BASE + 0x200000 (one 4 KiB page).
 * VS stage (Sv39, in guest memory = host memory): GVA 2G-3G identity, GVA 0x5000 -> GPA 1G,
 * GVA 0x6000 -> GPA 1G + 4K (not mapped by the G stage). Then V=1 in VS mode via mret. */
function guest() {
  const t = makeEnv();
  const { env, as } = t;
  pmpAllowAll(env);
  const groot = RAM_BASE + 0x100000, g1 = groot + 0x4000, g0 = groot + 0x5000;
  const vroot = groot + 0x6000, v1 = groot + 0x7000, v0 = groot + 0x8000;
  writePte(as, groot + 2 * 8, pte(0x80000000, V | R | W | X | U | A | D));
  writePte(as, groot + 1 * 8, pte(g1, V));
  writePte(as, g1, pte(g0, V));
  writePte(as, g0, pte(RAM_BASE + 0x200000, V | R | W | U | A | D));
  writePte(as, vroot + 2 * 8, pte(0x80000000, V | R | W | X | A | D));
  writePte(as, vroot, pte(v1, V));
  writePte(as, v1, pte(v0, V));
  writePte(as, v0 + 5 * 8, pte(0x40000000, V | R | W | A | D));
  writePte(as, v0 + 6 * 8, pte(0x40001000, V | R | W | A | D));
  as.view.setBigUint64(as.ramHostOffset(RAM_BASE + 0x200018, 8), 0x1234n, true);
  csrw(env, 0x680, (8n << 60n) | BigInt(groot / 4096));
  csrw(env, 0x280, (8n << 60n) | BigInt(vroot / 4096));
  csrw(env, 0x305, RAM_BASE + 0x400); // mtvec
  csrw(env, 0x341, RAM_BASE); // mepc
  csrw(env, 0x300, (1n << 11n) | (1n << 39n)); // MPP = S, MPV = 1
  riscvHelperMret(env);
  assert.equal(env.get32('virt'), 1);
  assert.equal(env.priv, 1);
  return t;
}

test('H: misa.H, mideleg with the VS interrupts, hypervisor CSRs from V=1', () => {
  const { env } = makeEnv();
  assert.equal(env.get64('misa') & 0x80n, 0x80n);
  assert.equal(csrr(env, 0x303), 0n); // as QEMU: set at the first write
  csrw(env, 0x303, 0n);
  assert.equal(csrr(env, 0x303), 0x1444n);
  const g = guest();
  assert.equal(csrr(g.env, 0x600), undefined); // hstatus from VS: trapped
  assert.equal(g.env.get64('mcause'), 22n); // virtual instruction, to M (medeleg 0)
  assert.equal(g.env.get32('virt'), 0);
  assert.equal((g.env.get64('mstatus') >> 39n) & 1n, 1n); // MPV
});

test('H: two-stage fills use the V=1 mmu index only', () => {
  const { env, as } = guest();
  const r = riscvTlbFill(env, 0x5018n, LOAD, 8, IDX_VS);
  assert.ok(r && 'hostOffset' in r);
  assert.equal(r.hostOffset, as.ramHostOffset(RAM_BASE + 0x200018, 8));
  assert.equal(tlbEntry(env, IDX_VS, LOAD, 0x5000n).tag, 0x5000n);
  assert.notEqual(tlbEntry(env, IDX_S, LOAD, 0x5000n).tag, 0x5000n);
  // A store needs W in both stages; the VS PTE already has D.
  assert.ok(riscvTlbFill(env, 0x5020n, STORE, 8, IDX_VS));
});

test('H: guest-page fault with the guest physical address in mtval2', () => {
  const { env } = guest();
  assert.equal(riscvTlbFill(env, 0x6008n, LOAD, 8, IDX_VS), null);
  assert.equal(env.get64('mcause'), 21n);
  assert.equal(env.get64('mtval'), 0x6008n);
  assert.equal(env.get64('mtval2'), 0x40001008n >> 2n);
  assert.equal((env.get64('mstatus') >> 38n) & 3n, 3n); // GVA, MPV
  assert.equal(env.get32('virt'), 0);
  assert.equal(env.priv, 3);
});

test('H: the debugger translates through both stages while V=1', () => {
  const { env } = guest();
  assert.equal(riscvPhysDebug(env, 0x5018n), RAM_BASE + 0x200018);
  assert.equal(riscvPhysDebug(env, 0x80001234n), 0x80001234);
  assert.equal(riscvPhysDebug(env, 0x6000n), -1);
  assert.equal(riscvPhysDebug(env, 0x7000n), -1);
});
