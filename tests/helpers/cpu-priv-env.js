// Shared set-up for the cpu-priv-* suites: one hart's state block plus ROM, RAM and a small
// MMIO region in one AddressSpace, reset to M mode.
import { AddressSpace, allocateGuestMemory } from '../../dist/exec/memory.js';
import { CPURISCVState, riscvCpuStateBytes, tlbEntryOffset, tlbSlot } from '../../dist/target/riscv/cpu-state.js';
import { riscvCpuReset } from '../../dist/target/riscv/cpu_helper.js';
import { riscvCsrrw } from '../../dist/target/riscv/csr.js';

export const RAM_BASE = 0x80000000;
export const MMIO_BASE = 0x10000000;

export function makeEnv(ramBytes = 8 << 20) {
  const lay = allocateGuestMemory(riscvCpuStateBytes(1), 0x10000, ramBytes);
  const as = new AddressSpace(lay.memory);
  as.addRam('mrom', 0x1000, 0xf000, lay.romHostOffset, true);
  as.addRam('ram', RAM_BASE, ramBytes, lay.ramHostOffset);
  const mmioLog = [];
  as.addMmio('dev', MMIO_BASE, 0x1000, {
    read: (o, s) => { mmioLog.push(['r', o, s]); return 0x5a; },
    write: (o, s, v) => { mmioLog.push(['w', o, s, v]); },
  });
  const env = new CPURISCVState(as, lay.cpuStateOffset, 0);
  riscvCpuReset(env, 0x1000n);
  return { env, as, lay, mmioLog };
}

/** csrw as an M-mode instruction would do it; returns the helper status. */
export function csrw(env, csrno, value) {
  return riscvCsrrw(env, csrno, 0, BigInt.asUintN(64, BigInt(value)), 0, true);
}

/** csrr into x5; undefined when it trapped (a read never needs a reload, so status 1 is a
 * trap, which is left taken). */
export function csrr(env, csrno) {
  env.setGpr(5, 0xdeadn);
  const st = riscvCsrrw(env, csrno, 5, 0n, 1, false);
  return st === 0 ? env.getGpr(5) : undefined;
}

export function writePte(as, pa, value) {
  as.view.setBigUint64(as.ramHostOffset(pa, 8), BigInt.asUintN(64, BigInt(value)), true);
}
export function readPte(as, pa) {
  return as.view.getBigUint64(as.ramHostOffset(pa, 8), true);
}

export function tlbEntry(env, idx, kind, vaddr) {
  const slot = tlbSlot(Number(BigInt(vaddr) & 0xffffffffn));
  const off = env.base + tlbEntryOffset(idx, kind, slot);
  return { tag: env.view.getBigInt64(off, true), addend: env.view.getBigInt64(off + 8, true) };
}

/** An entry that lets S/U reach everything (OpenSBI's last entry): NAPOT over 2^64. */
export function pmpAllowAll(env, entry = 15) {
  csrw(env, 0x3b0 + entry, -1n);
  const reg = entry < 8 ? 0 : 2;
  const shift = BigInt((entry % 8) * 8);
  csrw(env, 0x3a0 + reg, (0x1fn /* NAPOT|X|W|R */) << shift);
}
