// SiFive test device (QEMU's sifive_test.c): a finisher register at offset 0. The low 16 bits
// pick the action, the high 16 bits carry the exit code of FAIL.
import type { MemoryRegionOps } from '../../exec/memory.js';
import { LogMask, qemuLogMask } from '../../qemu/log.js';

export const enum FinisherStatus {
  FAIL = 0x3333,
  PASS = 0x5555,
  RESET = 0x7777,
}

export interface SiFiveTestHooks {
  /** The guest asked for power-off with this exit status. */
  shutdown(code: number): void;
  /** The guest asked for a reset (reboot). */
  reset(): void;
}

export class SiFiveTest implements MemoryRegionOps {
  constructor(private readonly hooks: SiFiveTestHooks) {}

  read(): number {
    return 0;
  }

  write(offset: number, size: number, value: number): void {
    if (offset === 0) {
      const code = (value >>> 16) & 0xffff;
      switch (value & 0xffff) {
        case FinisherStatus.FAIL: this.hooks.shutdown(code); return;
        case FinisherStatus.PASS: this.hooks.shutdown(0); return;
        case FinisherStatus.RESET: this.hooks.reset(); return;
      }
    }
    qemuLogMask(LogMask.LOG_GUEST_ERROR, `sifive_test: write 0x${(value >>> 0).toString(16)} at 0x${offset.toString(16)} (size ${size})\n`);
  }
}
