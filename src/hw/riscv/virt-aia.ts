// The virt board's interrupt controllers (QEMU's virt_create_plic / virt_create_aia and the
// ACLINT choice in virt_machine_init): the SiFive PLIC + CLINT by default; with aia=aplic an
// M-level APLIC (root, every wired source) and its S-level child in direct mode; with
// aia=aplic-imsic both APLICs in MSI mode plus an M and an S IMSIC per hart (aia-guests adds
// guest interrupt files to the S IMSICs); aclint=on splits the CLINT into ACLINT MSWI, MTIMER
// and SSWI (only the MTIMER with an IMSIC, which carries the IPIs).
import type { AddressSpace } from '../../exec/memory.js';
import type { QEMUClock, TimerList } from '../../main-loop/timer.js';
import type { CPURISCVState } from '../../target/riscv/cpu-state.js';
import type { RISCVHart } from '../../target/riscv/hart.js';
import { IRQ_BIT } from '../../target/riscv/hart.js';
import { riscvSetAiaIreg } from '../../target/riscv/csr-aia.js';
import { MIP_SGEIP, aiaSetGuestExternal, aiaSgeip } from '../../target/riscv/aia_helper.js';
import { riscvCpuCfg } from '../../target/riscv/cpu-cfg.js';
import type { IRQ } from '../core/irq.js';
import { LogMask, qemuLogMask } from '../../qemu/log.js';
import { ACLINT_MSWI_SIZE, ACLINT_MTIMER_SIZE, ACLINT_SSWI_SIZE, RISCVAclint, RISCVAclintSswi, SIFIVE_CLINT_LAYOUT, type AclintHart } from '../intc/riscv_aclint.js';
import { RISCVAPLICState } from '../intc/riscv_aplic.js';
import { IMSIC_MMIO_PAGE_SZ, RISCVIMSICState } from '../intc/riscv_imsic.js';
import { SiFivePLIC } from '../intc/sifive_plic.js';
import { PLIC_NUM_PRIORITIES, PLIC_NUM_SOURCES, TIMEBASE_FREQ, VIRT_MEMMAP as M } from './virt-memmap.js';

export type VirtAiaType = 'none' | 'aplic' | 'aplic-imsic';

/** -M virt,aia=...,aia-guests=N,aclint=on|off */
export interface VirtIrqchipConfig {
  aia: VirtAiaType;
  aiaGuests: number;
  aclint: boolean;
}

export const DEFAULT_IRQCHIP: VirtIrqchipConfig = { aia: 'none', aiaGuests: 0, aclint: false };

/** QEMU's virt memory map entries for the AIA and ACLINT devices. */
export const AIA_MEMMAP = {
  aclintSswi: { base: 0x2f00000, size: 0x4000 },
  aplicM: { base: 0xc000000, size: 0x8000 }, // APLIC_SIZE(VIRT_CPUS_MAX)
  aplicS: { base: 0xd000000, size: 0x8000 },
  imsicM: { base: 0x24000000 },
  imsicS: { base: 0x28000000 },
} as const;
/** VIRT_IRQCHIP_NUM_PRIO_BITS, and QEMU's IMSIC identity count (riscv,num-ids). */
export const APLIC_NUM_PRIO_BITS = 3;

/** Bits needed for `n` values (imsic_num_bits). */
export function imsicNumBits(n: number): number {
  let b = 0;
  while ((1 << b) < n) b++;
  return b;
}

/** One hart's IMSIC span: its interrupt files, 4 KiB each, rounded to a power of two. */
export const imsicHartSize = (guestBits: number) => IMSIC_MMIO_PAGE_SZ << guestBits;

export class VirtIrqchip {
  readonly aclint: RISCVAclint;
  readonly plic?: SiFivePLIC;
  readonly aplicM?: RISCVAPLICState;
  readonly aplicS?: RISCVAPLICState;
  readonly imsicM: RISCVIMSICState[] = [];
  readonly imsicS: RISCVIMSICState[] = [];
  /** Guest interrupt file `guest` (1..aia-guests) of hart `hart` has a deliverable identity:
   * the hart's hgeip bit (QEMU's SGEIP lines). Only an H implementation listens. */
  onGuestExternal: ((hart: number, guest: number, level: boolean) => void) | undefined;
  /** The wired inputs the platform devices connect to (index = source number). */
  readonly irqs: IRQ[];

  constructor(as: AddressSpace, harts: readonly AclintHart[], clock: QEMUClock, timers: TimerList, readonly cfg: VirtIrqchipConfig) {
    const line = (h: number, bit: number): IRQ => ({ set: (l) => harts[h].setMip(1 << bit, l) });
    if (cfg.aclint && cfg.aia === 'aplic-imsic') {
      this.aclint = new RISCVAclint(harts, clock, timers, TIMEBASE_FREQ, { mswi: false, mtimecmp: 0, mtime: ACLINT_MTIMER_SIZE - 8 });
      as.addMmio('riscv.aclint.mtimer', M.clint.base, ACLINT_MTIMER_SIZE, this.aclint);
    } else {
      // QEMU's two regions (MSWI, then the MTIMER), one device behind both.
      const a = (this.aclint = new RISCVAclint(harts, clock, timers, TIMEBASE_FREQ, SIFIVE_CLINT_LAYOUT));
      as.addMmio('riscv.aclint.swi', M.clint.base, ACLINT_MSWI_SIZE, a);
      const at = (o: number) => o + ACLINT_MSWI_SIZE;
      as.addMmio('riscv.aclint.mtimer', M.clint.base + ACLINT_MSWI_SIZE, ACLINT_MTIMER_SIZE, {
        read: (o, size) => a.read(at(o), size),
        write: (o, size, v) => a.write(at(o), size, v),
        read64: (o) => a.read64(at(o)),
        write64: (o, v) => a.write64(at(o), v),
      });
      if (cfg.aclint) as.addMmio('riscv.aclint.swi', AIA_MEMMAP.aclintSswi.base, ACLINT_SSWI_SIZE, new RISCVAclintSswi(harts));
    }
    if (cfg.aia === 'none') {
      this.plic = new SiFivePLIC(harts, PLIC_NUM_SOURCES, PLIC_NUM_PRIORITIES);
      as.addMmio('riscv.sifive.plic', M.plic.base, M.plic.size, this.plic);
      this.irqs = this.plic.irqs;
      return;
    }
    const msimode = cfg.aia === 'aplic-imsic';
    if (msimode) {
      const guestBits = imsicNumBits(cfg.aiaGuests + 1);
      harts.forEach((_, h) => {
        const m = new RISCVIMSICState(true, 1, [line(h, IRQ_BIT.M_EXT)]);
        as.addMmio('riscv.imsic', AIA_MEMMAP.imsicM.base + h * imsicHartSize(0), IMSIC_MMIO_PAGE_SZ, m);
        const guests = Array.from({ length: cfg.aiaGuests }, (_, g): IRQ => ({ set: (l) => this.onGuestExternal?.(h, g + 1, l) }));
        const s = new RISCVIMSICState(false, 1 + cfg.aiaGuests, [line(h, IRQ_BIT.S_EXT), ...guests]);
        as.addMmio('riscv.imsic', AIA_MEMMAP.imsicS.base + h * imsicHartSize(guestBits), IMSIC_MMIO_PAGE_SZ * (1 + cfg.aiaGuests), s);
        this.imsicM.push(m);
        this.imsicS.push(s);
      });
      // The IMSICs give the harts Smaia/Ssaia (QEMU's IMSIC realize forces them on).
      riscvCpuCfg().ext.add('smaia');
      riscvCpuCfg().ext.add('ssaia');
    }
    // An MSI aimed back at an APLIC could re-enter it without end: like QEMU's memory
    // re-entrancy guard, a message sent while one is being delivered is dropped.
    let delivering = false;
    const store = (addr: number, value: number) => {
      if (delivering) {
        qemuLogMask(LogMask.LOG_GUEST_ERROR, `riscv_aplic: re-entrant MSI to 0x${addr.toString(16)} dropped\n`);
        return;
      }
      delivering = true;
      try { as.store(addr, 4, BigInt(value >>> 0)); } finally { delivering = false; }
    };
    const common = { numSources: PLIC_NUM_SOURCES, iprioBits: APLIC_NUM_PRIO_BITS, msimode, msiStore: store };
    const aplicM = new RISCVAPLICState({ ...common, mmode: true, lines: msimode ? [] : harts.map((_, h) => line(h, IRQ_BIT.M_EXT)) });
    const aplicS = new RISCVAPLICState({ ...common, mmode: false, lines: msimode ? [] : harts.map((_, h) => line(h, IRQ_BIT.S_EXT)) });
    aplicM.addChild(aplicS);
    as.addMmio('riscv.aplic', AIA_MEMMAP.aplicM.base, AIA_MEMMAP.aplicM.size, aplicM);
    as.addMmio('riscv.aplic', AIA_MEMMAP.aplicS.base, AIA_MEMMAP.aplicS.size, aplicS);
    this.aplicM = aplicM;
    this.aplicS = aplicS;
    this.irqs = aplicM.irqs;
  }

  /** The CSR side of each hart's IMSICs (QEMU's riscv_cpu_set_aia_ireg_rmw_fn). */
  attachHarts(harts: readonly RISCVHart[]): void {
    harts.forEach((h, i) => {
      const env = (h as Partial<{ env: CPURISCVState }>).env;
      if (!env || !this.imsicM[i]) return;
      const m = this.imsicM[i];
      const s = this.imsicS[i];
      riscvSetAiaIreg(env, {
        m: (isel, v, mask) => m.rmw(0, isel, v, mask),
        s: (isel, v, mask, vgein) => s.rmw(vgein, isel, v, mask),
        geilen: this.cfg.aiaGuests,
      });
    });
    // Guest file lines drive hgeip, and SGEIP from hgeip & hgeie (QEMU's SGEIP GPIOs).
    this.onGuestExternal = (hart, guest, level) => {
      const h = harts[hart] as Partial<{ env: CPURISCVState; setMip(mask: number, level: boolean): void }>;
      if (!h.env) return;
      aiaSetGuestExternal(h.env, guest, level);
      h.setMip?.(MIP_SGEIP, aiaSgeip(h.env));
    };
  }

  reset(): void {
    this.aclint.reset();
    this.plic?.reset();
    this.aplicM?.reset();
    this.aplicS?.reset();
    for (const i of [...this.imsicM, ...this.imsicS]) i.reset();
  }
}
