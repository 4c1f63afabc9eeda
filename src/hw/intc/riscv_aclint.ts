// RISC-V ACLINT in its SiFive CLINT layout (QEMU's riscv_aclint.c, "sifive,clint0"):
// MSWI (msip words at 0x0000, one per hart) and MTIMER (mtimecmp at 0x4000, mtime at 0xbff8).
// mtime counts at the timebase frequency from the virtual clock, so it stops with the VM.
import type { MemoryRegionOps } from '../../exec/memory.js';
import type { QEMUClock, QEMUTimer, TimerList } from '../../main-loop/timer.js';
import { IRQ_BIT } from '../../target/riscv/hart.js';
import { LogMask, qemuLogMask } from '../../qemu/log.js';

export const ACLINT_MSWI_SIZE = 0x4000;
export const ACLINT_MTIMECMP = 0x4000;
export const ACLINT_MTIME = 0xbff8;
export const CLINT_SIZE = 0x10000;

export interface AclintLayout { mswi: boolean; mtimecmp: number; mtime: number }
/** MSWI at 0 and MTIMER at 0x4000 (mtime at 0xbff8): the SiFive CLINT, and QEMU's ACLINT MSWI +
 * MTIMER pair at the same addresses (aclint=on without an IMSIC). */
export const SIFIVE_CLINT_LAYOUT: AclintLayout = { mswi: true, mtimecmp: ACLINT_MTIMECMP, mtime: ACLINT_MTIME };
/** RISCV_ACLINT_DEFAULT_MTIMER_SIZE: an MTIMER region on its own. */
export const ACLINT_MTIMER_SIZE = 0x8000;
export const ACLINT_SSWI_SIZE = 0x4000;

const U64_MAX = (1n << 64n) - 1n;

/** What the ACLINT drives on each hart: the MSIP/MTIP bits of mip. */
export interface AclintHart {
  setMip(mask: number, level: boolean): void;
}

export class RISCVAclint implements MemoryRegionOps {
  private readonly mtimecmp: bigint[];
  private readonly msip: number[];
  private readonly timers: QEMUTimer[];
  private readonly hasMswi: boolean;
  private readonly cmpBase: number;
  private readonly timeOff: number;
  /** mtime = ticks(clock) + offset (guest writes to mtime move the offset). */
  private offset = 0n;

  constructor(
    private readonly harts: readonly AclintHart[],
    private readonly clock: QEMUClock,
    timerList: TimerList,
    private readonly timebaseFreq: number,
    /** Where mtimecmp and mtime sit; without MSWI (aia=aplic-imsic,aclint=on) the region is
     * QEMU's bare ACLINT MTIMER: mtimecmp at 0, mtime at 0x7ff8. */
    layout: AclintLayout = SIFIVE_CLINT_LAYOUT,
  ) {
    this.hasMswi = layout.mswi;
    this.cmpBase = layout.mtimecmp;
    this.timeOff = layout.mtime;
    this.mtimecmp = harts.map(() => U64_MAX);
    this.msip = harts.map(() => 0);
    this.timers = harts.map((_, h) => timerList.newTimer(() => this.updateTimer(h)));
  }

  reset(): void {
    this.harts.forEach((hart, h) => {
      this.msip[h] = 0;
      hart.setMip(1 << IRQ_BIT.M_SOFT, false);
      this.mtimecmp[h] = U64_MAX;
      this.updateTimer(h);
    });
  }

  /** thread=multi (system/mttcg.ts): mtime is the clock the hart threads read for `time`. */
  timeSource: { get(): bigint; set(value: bigint): void } | undefined;

  /** The mtime register (also what the `time` CSR reads). */
  mtime(): bigint {
    if (this.timeSource) return this.timeSource.get();
    const ticks = BigInt(Math.floor((this.clock.now() * this.timebaseFreq) / 1e9));
    return BigInt.asUintN(64, ticks + this.offset);
  }

  /** Raise MTIP when mtime >= mtimecmp, else lower it and arm a timer for the crossing. */
  private updateTimer(h: number): void {
    const now = this.mtime();
    const cmp = this.mtimecmp[h];
    if (now >= cmp) {
      this.timers[h].del();
      this.harts[h].setMip(1 << IRQ_BIT.M_TIMER, true);
      return;
    }
    this.harts[h].setMip(1 << IRQ_BIT.M_TIMER, false);
    const deltaNs = (Number(cmp - now) * 1e9) / this.timebaseFreq;
    if (deltaNs > 2 ** 52) this.timers[h].del(); // effectively never
    else this.timers[h].mod(this.clock.now() + Math.ceil(deltaNs));
  }

  read64(offset: number): bigint {
    if (offset >= this.cmpBase && offset < this.cmpBase + 8 * this.harts.length && offset % 8 === 0) {
      return this.mtimecmp[(offset - this.cmpBase) / 8];
    }
    if (offset === this.timeOff) return this.mtime();
    return BigInt(this.read(offset, 4) >>> 0) | (BigInt(this.read(offset + 4, 4) >>> 0) << 32n);
  }

  write64(offset: number, value: bigint): void {
    if (offset >= this.cmpBase && offset < this.cmpBase + 8 * this.harts.length && offset % 8 === 0) {
      const h = (offset - this.cmpBase) / 8;
      this.mtimecmp[h] = value;
      this.updateTimer(h);
    } else if (offset === this.timeOff) {
      this.setMtime(value);
    } else {
      this.write(offset, 4, Number(value & 0xffffffffn));
      this.write(offset + 4, 4, Number(value >> 32n));
    }
  }

  private setMtime(value: bigint): void {
    if (this.timeSource) this.timeSource.set(value);
    else this.offset += value - this.mtime();
    this.harts.forEach((_, h) => this.updateTimer(h));
  }

  read(offset: number, size: number): number {
    if (this.hasMswi && offset < ACLINT_MSWI_SIZE) {
      const h = offset >> 2;
      if (size === 4 && offset % 4 === 0 && h < this.harts.length) return this.msip[h];
    } else if (offset >= this.cmpBase && offset < this.cmpBase + 8 * this.harts.length && size === 4) {
      const v = this.mtimecmp[(offset - this.cmpBase) >> 3];
      return Number((offset & 4 ? v >> 32n : v) & 0xffffffffn);
    } else if ((offset === this.timeOff || offset === this.timeOff + 4) && size === 4) {
      const v = this.mtime();
      return Number((offset & 4 ? v >> 32n : v) & 0xffffffffn);
    }
    qemuLogMask(LogMask.LOG_GUEST_ERROR, `aclint: invalid read: 0x${offset.toString(16)} (size ${size})\n`);
    return 0;
  }

  write(offset: number, size: number, value: number): void {
    if (this.hasMswi && offset < ACLINT_MSWI_SIZE) {
      const h = offset >> 2;
      if (size === 4 && offset % 4 === 0 && h < this.harts.length) {
        this.msip[h] = value & 1;
        this.harts[h].setMip(1 << IRQ_BIT.M_SOFT, (value & 1) !== 0);
        return;
      }
    } else if (offset >= this.cmpBase && offset < this.cmpBase + 8 * this.harts.length && size === 4) {
      const h = (offset - this.cmpBase) >> 3;
      const v = BigInt(value >>> 0);
      const old = this.mtimecmp[h];
      this.mtimecmp[h] = offset & 4 ? (old & 0xffffffffn) | (v << 32n) : (old & ~0xffffffffn & U64_MAX) | v;
      this.updateTimer(h);
      return;
    } else if ((offset === this.timeOff || offset === this.timeOff + 4) && size === 4) {
      const v = BigInt(value >>> 0);
      const old = this.mtime();
      this.setMtime(offset & 4 ? (old & 0xffffffffn) | (v << 32n) : (old & ~0xffffffffn & U64_MAX) | v);
      return;
    }
    qemuLogMask(LogMask.LOG_GUEST_ERROR, `aclint: invalid write: 0x${offset.toString(16)} (size ${size})\n`);
  }
}

/** ACLINT SSWI (riscv,aclint-sswi): a write of 1 to hart N's word sets its SSIP (software clears
 * it through sip); reads are 0. */
export class RISCVAclintSswi implements MemoryRegionOps {
  constructor(private readonly harts: readonly AclintHart[]) {}

  read(offset: number, size: number): number {
    if (!(size === 4 && offset % 4 === 0 && offset >> 2 < this.harts.length)) {
      qemuLogMask(LogMask.LOG_GUEST_ERROR, `aclint-sswi: invalid read: 0x${offset.toString(16)} (size ${size})\n`);
    }
    return 0;
  }

  write(offset: number, size: number, value: number): void {
    if (size === 4 && offset % 4 === 0 && offset >> 2 < this.harts.length) {
      if (value & 1) this.harts[offset >> 2].setMip(1 << IRQ_BIT.S_SOFT, true);
      return;
    }
    qemuLogMask(LogMask.LOG_GUEST_ERROR, `aclint-sswi: invalid write: 0x${offset.toString(16)} (size ${size})\n`);
  }
}
