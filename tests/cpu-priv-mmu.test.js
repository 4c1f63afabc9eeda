// Sv39/Sv48/Sv57 page walks, superpages, A/D updates, every fault kind, SUM/MXR/MPRV, PMP on
// walks, soft-TLB contents and flushes (privileged spec 4.3-4.6).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeEnv, csrw, pmpAllowAll, writePte, readPte, tlbEntry, RAM_BASE, MMIO_BASE } from './helpers/cpu-priv-env.js';
import { riscvTlbFill, riscvTlbFlush } from '../dist/target/riscv/mmu.js';
import { riscvCpuSetMode } from '../dist/target/riscv/cpu_helper.js';
import { riscvHelperSfenceVma } from '../dist/target/riscv/op_helper.js';
import { tlbEntryOffset, tlbSlot, tlbVictimSlot } from '../dist/target/riscv/cpu-state.js';

const LOAD = 0, STORE = 1, FETCH = 2;
const IDX_U = 0, IDX_S = 1, IDX_S_SUM = 2, IDX_M = 3;
const V = 1n, R = 2n, W = 4n, X = 8n, U = 16n, A = 64n, D = 128n;
const MSTATUS = 0x300, SATP = 0x180;

/** Page-table builder: tables allocated from `next`, levels per satp mode. */
class PageTables {
  constructor(as, mode) {
    this.as = as;
    this.levels = mode - 5;
    this.next = RAM_BASE + 0x100000;
    this.root = this.alloc();
    this.satp = (BigInt(mode) << 60n) | BigInt(this.root / 4096);
  }
  alloc() {
    const pa = this.next;
    this.next += 4096;
    for (let i = 0; i < 4096; i += 8) writePte(this.as, pa + i, 0n);
    return pa;
  }
  /** Map va (bigint) to pa with a leaf at `level` (0 = 4 KiB); returns the leaf PTE address. */
  map(va, pa, flags, level = 0) {
    let table = this.root;
    for (let l = this.levels - 1; ; l--) {
      const idx = Number((va >> BigInt(12 + 9 * l)) & 0x1ffn);
      const pteAddr = table + idx * 8;
      if (l === level) {
        writePte(this.as, pteAddr, ((BigInt(pa) >> 12n) << 10n) | flags);
        return pteAddr;
      }
      let pte = readPte(this.as, pteAddr);
      if (!(pte & V)) {
        const t = this.alloc();
        pte = (BigInt(t / 4096) << 10n) | V;
        writePte(this.as, pteAddr, pte);
      }
      table = Number(pte >> 10n) * 4096;
    }
  }
}

function setup(mode = 8) {
  const r = makeEnv();
  pmpAllowAll(r.env);
  r.pt = new PageTables(r.as, mode);
  csrw(r.env, SATP, r.pt.satp);
  csrw(r.env, 0x305, 0x80000100n); // mtvec
  riscvCpuSetMode(r.env, 1);
  return r;
}

/** Fill and expect a fault: returns [mcause, mtval] (and puts the hart back in `priv`). */
function fault(env, va, kind, idx, priv = 1) {
  const res = riscvTlbFill(env, va, kind, 4, idx);
  assert.equal(res, null, 'expected a fault');
  const out = [Number(env.get64('mcause')), env.get64('mtval')];
  riscvCpuSetMode(env, priv);
  return out;
}

test('Sv39 4 KiB page: translation, A then D set by hardware, TLB entries', () => {
  const { env, as, pt } = setup();
  const leaf = pt.map(0x40001000n, RAM_BASE + 0x400000, V | R | W | X);
  const res = riscvTlbFill(env, 0x40001010n, LOAD, 4, IDX_S);
  assert.deepEqual({ ...res }, { hostOffset: as.ramHostOffset(RAM_BASE + 0x400010, 4) });
  assert.equal(readPte(as, leaf) & (A | D), A, 'load sets A only');
  const e = tlbEntry(env, IDX_S, LOAD, 0x40001000n);
  assert.equal(e.tag, 0x40001000n);
  assert.equal(e.addend, BigInt(as.ramHostOffset(RAM_BASE + 0x400000, 1)) - 0x40001000n);
  assert.equal(tlbEntry(env, IDX_S, STORE, 0x40001000n).tag, -1n, 'no STORE entry before D');
  riscvTlbFill(env, 0x40001ff8n, STORE, 8, IDX_S);
  assert.equal(readPte(as, leaf) & (A | D), A | D);
  assert.equal(tlbEntry(env, IDX_S, STORE, 0x40001000n).tag, 0x40001000n);
  assert.equal(tlbEntry(env, IDX_S, FETCH, 0x40001000n).tag, -1n);
});

test('Sv39 superpages: 2 MiB and 1 GiB, misaligned superpage faults', () => {
  const { env, as, pt } = setup();
  pt.map(0x40200000n, RAM_BASE + 0x200000, V | R | W | X | A | D, 1);
  assert.equal(riscvTlbFill(env, 0x40212345n, LOAD, 1, IDX_S).hostOffset, as.ramHostOffset(RAM_BASE + 0x212345, 1));
  pt.map(0xc0000000n, RAM_BASE, V | R | A, 2);
  assert.equal(riscvTlbFill(env, 0xc0712344n, LOAD, 4, IDX_S).hostOffset, as.ramHostOffset(RAM_BASE + 0x712344, 4));
  assert.equal(tlbEntry(env, IDX_S, LOAD, 0xc0712000n).tag, 0xc0712000n, 'a 4 KiB piece is cached');
  pt.map(0x40400000n, RAM_BASE + 0x201000, V | R | A, 1);
  assert.deepEqual(fault(env, 0x40400008n, LOAD, IDX_S), [13, 0x40400008n]);
});

test('Sv48 and Sv57 walks; non-canonical addresses fault', () => {
  for (const mode of [9, 10]) {
    const { env, as, pt } = setup(mode);
    const va = mode === 9 ? 0x00007f0000001000n : 0x00ff000000001000n;
    pt.map(va, RAM_BASE + 0x300000, V | R | W | A | D);
    assert.equal(riscvTlbFill(env, va + 8n, STORE, 8, IDX_S).hostOffset, as.ramHostOffset(RAM_BASE + 0x300008, 8));
    const hiVa = mode === 9 ? 0xffff800000002000n : 0xff00000000002000n; // negative half
    pt.map(hiVa, RAM_BASE + 0x301000, V | R | A);
    assert.equal(riscvTlbFill(env, hiVa, LOAD, 4, IDX_S).hostOffset, as.ramHostOffset(RAM_BASE + 0x301000, 4));
    pt.map(0x40000000n, RAM_BASE, V | R | A, 2); // 1 GiB
    assert.equal(riscvTlbFill(env, 0x40012340n, LOAD, 4, IDX_S).hostOffset, as.ramHostOffset(RAM_BASE + 0x12340, 4));
    const bad = mode === 9 ? 0x0000800000000000n : 0x0100000000000000n;
    assert.deepEqual(fault(env, bad, LOAD, IDX_S), [13, bad]);
    assert.deepEqual(fault(env, bad, FETCH, IDX_S), [12, bad]);
  }
});

test('permission faults: kinds, U/S pages, SUM, MXR, reserved encodings', () => {
  const { env, pt } = setup();
  pt.map(0x1000n, RAM_BASE + 0x400000, V | R | A | D); // read-only S page
  assert.deepEqual(fault(env, 0x1000n, STORE, IDX_S), [15, 0x1000n]);
  assert.deepEqual(fault(env, 0x1004n, FETCH, IDX_S), [12, 0x1004n]);
  assert.deepEqual(fault(env, 0x1000n, LOAD, IDX_U, 0), [13, 0x1000n], 'S page from U');
  pt.map(0x2000n, RAM_BASE + 0x401000, V | R | W | X | U | A | D); // user page
  assert.ok(riscvTlbFill(env, 0x2000n, LOAD, 4, IDX_U));
  assert.deepEqual(fault(env, 0x2000n, LOAD, IDX_S), [13, 0x2000n], 'U page from S without SUM');
  assert.ok(riscvTlbFill(env, 0x2000n, STORE, 4, IDX_S_SUM), 'SUM allows data access');
  assert.deepEqual(fault(env, 0x2000n, FETCH, IDX_S_SUM), [12, 0x2000n], 'S never executes U pages');
  pt.map(0x3000n, RAM_BASE + 0x402000, V | X | A); // execute-only
  assert.deepEqual(fault(env, 0x3000n, LOAD, IDX_S), [13, 0x3000n]);
  riscvCpuSetMode(env, 3);
  csrw(env, MSTATUS, 1n << 19n); // MXR
  riscvCpuSetMode(env, 1);
  assert.ok(riscvTlbFill(env, 0x3000n, LOAD, 4, IDX_S), 'MXR reads X pages');
  pt.map(0x4000n, RAM_BASE + 0x403000, V | W | A | D); // W without R
  assert.deepEqual(fault(env, 0x4000n, STORE, IDX_S), [15, 0x4000n]);
  pt.map(0x5000n, RAM_BASE + 0x404000, V | R | A | (1n << 61n)); // PBMT without Svpbmt
  assert.deepEqual(fault(env, 0x5000n, LOAD, IDX_S), [13, 0x5000n]);
  pt.map(0x6000n, RAM_BASE + 0x405000, R | A); // not valid
  assert.deepEqual(fault(env, 0x6000n, LOAD, IDX_S), [13, 0x6000n]);
});

test('non-leaf with A/D/U set is a page fault; unmapped or PMP-denied PTE is an access fault', () => {
  const { env, as, pt } = setup();
  pt.map(0x7fe00000n, RAM_BASE + 0x500000, V | R | A);
  const l2 = pt.root + Number((0x7fe00000n >> 30n) & 0x1ffn) * 8;
  writePte(as, l2, readPte(as, l2) | A);
  assert.deepEqual(fault(env, 0x7fe00000n, LOAD, IDX_S), [13, 0x7fe00000n]);
  // Root table pointing at a hole in the physical address space.
  riscvCpuSetMode(env, 3);
  csrw(env, SATP, (8n << 60n) | (0x40000000n >> 12n));
  riscvCpuSetMode(env, 1);
  assert.deepEqual(fault(env, 0x1000n, LOAD, IDX_S), [5, 0x1000n]);
  assert.deepEqual(fault(env, 0x1000n, STORE, IDX_S), [7, 0x1000n]);
  assert.deepEqual(fault(env, 0x1000n, FETCH, IDX_S), [1, 0x1000n]);
  // PMP entry 0 (NAPOT, no permissions) over the page tables.
  riscvCpuSetMode(env, 3);
  csrw(env, SATP, pt.satp);
  csrw(env, 0x3b0, (BigInt(RAM_BASE + 0x100000) >> 2n) | 0x7ffn); // 16 KiB at the tables
  csrw(env, 0x3a0, (0x1fn << 120n) | 0x18n); // entry 0 NAPOT ---, entry 15 kept
  riscvCpuSetMode(env, 1);
  pt.map(0x9000n, RAM_BASE + 0x600000, V | R | A);
  assert.deepEqual(fault(env, 0x9000n, LOAD, IDX_S), [5, 0x9000n]);
});

test('PMP on the final address, MMIO pages, non-uniform PMP pages are not cached', () => {
  const { env, as, pt } = setup();
  pt.map(0xa000n, RAM_BASE + 0x700000, V | R | W | A | D);
  riscvCpuSetMode(env, 3);
  csrw(env, 0x3b0, BigInt(RAM_BASE + 0x700000) >> 2n); // entry 0: NA4 read-only at its first word
  csrw(env, 0x3a0, 0x11n);
  riscvCpuSetMode(env, 1);
  assert.deepEqual(fault(env, 0xa000n, STORE, IDX_S), [7, 0xa000n]);
  assert.equal(riscvTlbFill(env, 0xa000n, LOAD, 4, IDX_S).hostOffset, as.ramHostOffset(RAM_BASE + 0x700000, 4));
  assert.equal(tlbEntry(env, IDX_S, LOAD, 0xa000n).tag, -1n, 'page partly covered by a 4-byte entry');
  assert.equal(riscvTlbFill(env, 0xa010n, STORE, 4, IDX_S).hostOffset, as.ramHostOffset(RAM_BASE + 0x700010, 4));
  assert.equal(tlbEntry(env, IDX_S, STORE, 0xa000n).tag, -1n);
  pt.map(0xb000n, MMIO_BASE, V | R | W | A | D);
  const m = riscvTlbFill(env, 0xb004n, LOAD, 4, IDX_S);
  assert.deepEqual({ ...m }, { mmioPa: MMIO_BASE + 4 });
  assert.equal(tlbEntry(env, IDX_S, LOAD, 0xb000n).tag, -1n, 'MMIO is never cached');
});

test('M mode is bare; MPRV makes M data accesses use the S translation; ROM stores are not RAM', () => {
  const { env, as, pt } = setup();
  riscvCpuSetMode(env, 3);
  assert.equal(riscvTlbFill(env, BigInt(RAM_BASE + 0x10), STORE, 8, IDX_M).hostOffset, as.ramHostOffset(RAM_BASE + 0x10, 8));
  assert.equal(tlbEntry(env, IDX_M, STORE, BigInt(RAM_BASE)).tag, BigInt(RAM_BASE));
  assert.deepEqual({ ...riscvTlbFill(env, 0x1000n, STORE, 4, IDX_M) }, { mmioPa: 0x1000 });
  assert.ok(riscvTlbFill(env, 0x1000n, FETCH, 4, IDX_M).hostOffset > 0);
  pt.map(0xc000n, RAM_BASE + 0x710000, V | R | W | A | D);
  csrw(env, MSTATUS, (1n << 17n) | 0x800n);
  assert.equal(env.get32('mmu_idx_data'), IDX_S);
  assert.equal(riscvTlbFill(env, 0xc008n, LOAD, 8, env.get32('mmu_idx_data')).hostOffset, as.ramHostOffset(RAM_BASE + 0x710008, 8));
  assert.equal(riscvTlbFill(env, 0x1n << 60n, LOAD, 8, IDX_M), null, 'beyond the physical address space');
  assert.equal(env.get64('mcause'), 5n);
});

test('flushes: satp write, sfence.vma, MXR change', () => {
  const { env, pt } = setup();
  pt.map(0xd000n, RAM_BASE + 0x720000, V | R | A);
  riscvTlbFill(env, 0xd000n, LOAD, 4, IDX_S);
  assert.equal(tlbEntry(env, IDX_S, LOAD, 0xd000n).tag, 0xd000n);
  env.pc = 0x80000000n;
  assert.equal(riscvHelperSfenceVma(env, 0, 0), 1);
  assert.equal(tlbEntry(env, IDX_S, LOAD, 0xd000n).tag, -1n);
  riscvTlbFill(env, 0xd000n, LOAD, 4, IDX_S);
  riscvCpuSetMode(env, 3);
  csrw(env, SATP, pt.satp);
  assert.equal(tlbEntry(env, IDX_S, LOAD, 0xd000n).tag, -1n);
  riscvTlbFill(env, 0xd000n, LOAD, 4, IDX_S);
  csrw(env, MSTATUS, 1n << 19n);
  assert.equal(tlbEntry(env, IDX_S, LOAD, 0xd000n).tag, -1n);
  riscvTlbFill(env, 0xd000n, LOAD, 4, IDX_S);
  riscvTlbFlush(env);
  assert.equal(tlbEntry(env, IDX_S, LOAD, 0xd000n).tag, -1n);
});

test('sfence.vma rs1: flushes that page only, everything when it lies in a cached superpage', () => {
  const { env, pt } = setup();
  pt.map(0xd000n, RAM_BASE + 0x720000, V | R | W | A | D);
  pt.map(0xe000n, RAM_BASE + 0x721000, V | R | A);
  pt.map(0x40200000n, RAM_BASE + 0x400000, V | R | A, 1); // 2 MiB
  const fillAll = () => {
    for (const [va, kind] of [[0xd000n, LOAD], [0xd000n, STORE], [0xe000n, LOAD]]) riscvTlbFill(env, va, kind, 4, IDX_S);
  };
  fillAll();
  env.pc = 0x80000000n;
  env.setGpr(5, 0xd123n);
  assert.equal(riscvHelperSfenceVma(env, 5, 0), 1);
  assert.equal(tlbEntry(env, IDX_S, LOAD, 0xd000n).tag, -1n, 'page flushed (load)');
  assert.equal(tlbEntry(env, IDX_S, STORE, 0xd000n).tag, -1n, 'page flushed (store)');
  assert.equal(tlbEntry(env, IDX_S, LOAD, 0xe000n).tag, 0xe000n, 'other page kept');
  // A superpage piece is cached: a page outside its 2 MiB keeps the rest ...
  riscvTlbFill(env, 0x40234000n, LOAD, 4, IDX_S);
  assert.equal(tlbEntry(env, IDX_S, LOAD, 0x40234000n).tag, 0x40234000n);
  fillAll();
  riscvHelperSfenceVma(env, 5, 0);
  assert.equal(tlbEntry(env, IDX_S, LOAD, 0x40234000n).tag, 0x40234000n, 'superpage piece kept');
  assert.equal(tlbEntry(env, IDX_S, LOAD, 0xe000n).tag, 0xe000n);
  // ... a page inside it flushes everything (its other pieces sit in other slots).
  env.setGpr(6, 0x40300000n);
  riscvHelperSfenceVma(env, 6, 0);
  assert.equal(tlbEntry(env, IDX_S, LOAD, 0x40234000n).tag, -1n);
  assert.equal(tlbEntry(env, IDX_S, LOAD, 0xe000n).tag, -1n);
  // rs1 = x0 with an ASID in rs2: everything.
  fillAll();
  riscvHelperSfenceVma(env, 0, 5);
  assert.equal(tlbEntry(env, IDX_S, LOAD, 0xe000n).tag, -1n);
});

test('user mode: translation comes from the hook, faults are recorded', () => {
  const { env, as } = makeEnv();
  const base = as.ramHostOffset(RAM_BASE, 1);
  env.userMode = { tlbFill: (va, kind) => (va < 0x10000n && kind !== 1 ? base + Number(va) : -1) };
  riscvCpuSetMode(env, 0);
  assert.equal(riscvTlbFill(env, 0x1234n, LOAD, 4, IDX_U).hostOffset, base + 0x1234);
  assert.equal(tlbEntry(env, IDX_U, LOAD, 0x1000n).addend, BigInt(base + 0x1000) - 0x1000n);
  env.pc = 0x1000n;
  assert.equal(riscvTlbFill(env, 0x1234n, STORE, 4, IDX_U), null);
  assert.equal(env.get64('scause'), 15n);
  assert.equal(env.get64('stval'), 0x1234n);
  assert.equal(env.pc, 0x1000n);
  assert.equal(env.get32('exit_request'), 1);
});

test('victim slot: a LOAD/STORE entry evicted from its slot moves there; sfence.vma flushes it there', () => {
  const { env, pt } = setup();
  // Same slot (vpn & 1023), different victim slots (vpn bits 10-19 differ).
  const a = 0x41d000n, b = 0x81d000n;
  assert.equal(tlbSlot(Number(a)), tlbSlot(Number(b)));
  assert.notEqual(tlbVictimSlot(Number(a)), tlbSlot(Number(a)));
  pt.map(a, RAM_BASE + 0x730000, V | R | W | X | A | D);
  pt.map(b, RAM_BASE + 0x731000, V | R | W | X | A | D);
  const victim = (kind, va) => {
    const off = env.base + tlbEntryOffset(IDX_S, kind, tlbVictimSlot(Number(va)));
    return { tag: env.view.getBigInt64(off, true), addend: env.view.getBigInt64(off + 8, true) };
  };
  for (const kind of [LOAD, STORE, FETCH]) {
    riscvTlbFill(env, a, kind, 4, IDX_S);
    const first = tlbEntry(env, IDX_S, kind, a);
    riscvTlbFill(env, b, kind, 4, IDX_S);
    assert.equal(tlbEntry(env, IDX_S, kind, b).tag, b);
    if (kind === FETCH) { assert.equal(victim(kind, a).tag, -1n, 'fetch entries are not moved'); continue; }
    assert.deepEqual(victim(kind, a), first, 'evicted entry moved whole');
  }
  env.pc = 0x80000000n;
  env.setGpr(5, a + 0x10n);
  assert.equal(riscvHelperSfenceVma(env, 5, 0), 1);
  assert.equal(victim(LOAD, a).tag, -1n);
  assert.equal(victim(STORE, a).tag, -1n);
  assert.equal(tlbEntry(env, IDX_S, LOAD, b).tag, b, 'the other page stays');
});
