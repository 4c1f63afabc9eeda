// Debugger address translation (QEMU's riscv_cpu_get_phys_page_debug): the monitor's `x` and
// the GDB stub read guest-virtual memory through the hart's current translation regime, with
// no faults raised, no A/D bits set and no TLB filled.
import type { CPURISCVState } from './cpu-state.js';
import { Priv, Pte, SatpMode } from './cpu_bits.js';
import { riscvHypTlb } from './mmu.js';

/** The physical address of vaddr as the hart's data accesses see it now, or -1 if unmapped. */
export function riscvPhysDebug(env: CPURISCVState, vaddr: bigint): number {
  const va = BigInt.asUintN(64, vaddr);
  if (env.get32('virt') && env.priv !== Priv.M && riscvHypTlb.physDebug) return riscvHypTlb.physDebug(env, va);
  const satp = env.get64('satp');
  const mode = Number(satp >> 60n);
  if (env.priv === Priv.M || mode === SatpMode.BARE) return va < 1n << 53n ? Number(va) : -1;
  if (mode < SatpMode.SV39 || mode > SatpMode.SV57) return -1;
  const levels = mode - 5;
  const vaBits = BigInt(12 + 9 * levels);
  const top = va >> (vaBits - 1n);
  if (top !== 0n && top !== (1n << (65n - vaBits)) - 1n) return -1;
  let base = Number(satp & 0xfffffffffffn) * 4096;
  for (let level = levels - 1; level >= 0; level--) {
    const shift = BigInt(12 + 9 * level);
    const pteAddr = base + Number((va >> shift) & 0x1ffn) * 8;
    const pte = env.as.load(pteAddr, 8);
    if (pte === undefined || !(pte & BigInt(Pte.V))) return -1;
    const ppn = Number((pte >> 10n) & 0xfffffffffffn);
    if (!(pte & BigInt(Pte.R | Pte.W | Pte.X))) { base = ppn * 4096; continue; }
    const off = Number(va & ((1n << shift) - 1n));
    return (ppn - (ppn % 2 ** (9 * level))) * 4096 + off;
  }
  return -1;
}

/** Read len bytes of guest memory (virtual through the hart's MMU, or physical); null where
 * nothing is mapped. Page by page, RAM and MMIO both (MMIO reads as the device answers). */
export function riscvMemoryDebug(env: CPURISCVState, addr: bigint, len: number, phys: boolean): Uint8Array | null {
  const out = new Uint8Array(len);
  let done = 0;
  while (done < len) {
    const a = BigInt.asUintN(64, addr + BigInt(done));
    const n = Math.min(len - done, 4096 - Number(a & 0xfffn));
    const pa = phys ? (a < 1n << 53n ? Number(a) : -1) : riscvPhysDebug(env, a);
    if (pa < 0) return null;
    const r = env.as.dmaRead(pa, n);
    if (r) { out.set(r, done); done += n; continue; }
    for (let i = 0; i < n; i++) {
      const v = env.as.load(pa + i, 1);
      if (v === undefined) return null;
      out[done + i] = Number(v);
    }
    done += n;
  }
  return out;
}

/** Write through the debugger (gdb `set`, breakpoints); false where nothing writable is mapped. */
export function riscvMemoryWriteDebug(env: CPURISCVState, addr: bigint, data: Uint8Array, phys: boolean): boolean {
  let done = 0;
  while (done < data.length) {
    const a = BigInt.asUintN(64, addr + BigInt(done));
    const n = Math.min(data.length - done, 4096 - Number(a & 0xfffn));
    const pa = phys ? (a < 1n << 53n ? Number(a) : -1) : riscvPhysDebug(env, a);
    if (pa < 0) return false;
    if (!env.as.dmaWrite(pa, data.subarray(done, done + n))) return false;
    done += n;
  }
  return true;
}
