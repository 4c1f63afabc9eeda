// Goldfish RTC (QEMU's goldfish_rtc.c): a 64-bit nanosecond wall clock with one alarm.
// Reading TIME_LOW latches the high half for the following TIME_HIGH read.
import type { MemoryRegionOps } from '../../exec/memory.js';
import type { QEMUClock, QEMUTimer, TimerList } from '../../main-loop/timer.js';
import type { IRQ } from '../core/irq.js';
import { LogMask, qemuLogMask } from '../../qemu/log.js';

export const enum GoldfishRtcReg {
  TIME_LOW = 0x00, TIME_HIGH = 0x04, ALARM_LOW = 0x08, ALARM_HIGH = 0x0c, IRQ_ENABLED = 0x10,
  CLEAR_ALARM = 0x14, ALARM_STATUS = 0x18, CLEAR_INTERRUPT = 0x1c,
}

const LO = 0xffffffffn;

export class GoldfishRTC implements MemoryRegionOps {
  private tickOffset = 0n;
  private alarmNext = 0n;
  private alarmRunning = false;
  private irqPending = false;
  private irqEnabled = false;
  private timeHigh = 0;
  private alarmHigh = 0;
  private readonly timer: QEMUTimer;

  /** `wallNs` gives the host's time of day in ns; `clock`/`timers` run the alarm. */
  constructor(
    private readonly irq: IRQ,
    private readonly wallNs: () => bigint,
    private readonly clock: QEMUClock,
    timers: TimerList,
  ) {
    this.timer = timers.newTimer(() => this.alarmFired());
  }

  private now(): bigint {
    return this.wallNs() + this.tickOffset;
  }

  private update(): void {
    this.irq.set(this.irqPending && this.irqEnabled);
  }

  private alarmFired(): void {
    this.alarmRunning = false;
    this.irqPending = true;
    this.update();
  }

  private armAlarm(): void {
    const delta = this.alarmNext - this.now();
    if (delta <= 0n) {
      this.timer.del();
      this.alarmFired();
    } else {
      this.alarmRunning = true;
      this.timer.mod(this.clock.now() + Number(delta));
    }
  }

  read(offset: number, size: number): number {
    switch (offset) {
      case GoldfishRtcReg.TIME_LOW: {
        const t = this.now();
        this.timeHigh = Number((t >> 32n) & LO);
        return Number(t & LO);
      }
      case GoldfishRtcReg.TIME_HIGH: return this.timeHigh;
      case GoldfishRtcReg.ALARM_LOW: return Number(this.alarmNext & LO);
      case GoldfishRtcReg.ALARM_HIGH: return this.alarmHigh;
      case GoldfishRtcReg.IRQ_ENABLED: return this.irqEnabled ? 1 : 0;
      case GoldfishRtcReg.ALARM_STATUS: return this.alarmRunning ? 1 : 0;
    }
    qemuLogMask(LogMask.LOG_GUEST_ERROR, `goldfish_rtc: bad read offset 0x${offset.toString(16)} (size ${size})\n`);
    return 0;
  }

  write(offset: number, size: number, value: number): void {
    const v = BigInt(value >>> 0);
    switch (offset) {
      case GoldfishRtcReg.TIME_LOW: {
        const cur = this.now();
        this.tickOffset += ((cur & ~LO) | v) - cur;
        return;
      }
      case GoldfishRtcReg.TIME_HIGH: {
        const cur = this.now();
        this.tickOffset += ((cur & LO) | (v << 32n)) - cur;
        return;
      }
      case GoldfishRtcReg.ALARM_LOW:
        this.alarmNext = (BigInt(this.alarmHigh) << 32n) | v;
        this.armAlarm();
        return;
      case GoldfishRtcReg.ALARM_HIGH: this.alarmHigh = value >>> 0; return;
      case GoldfishRtcReg.IRQ_ENABLED: this.irqEnabled = (value & 1) !== 0; this.update(); return;
      case GoldfishRtcReg.CLEAR_ALARM: this.timer.del(); this.alarmRunning = false; return;
      case GoldfishRtcReg.CLEAR_INTERRUPT: this.irqPending = false; this.update(); return;
    }
    qemuLogMask(LogMask.LOG_GUEST_ERROR, `goldfish_rtc: bad write offset 0x${offset.toString(16)} (size ${size})\n`);
  }
}
