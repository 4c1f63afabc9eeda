// The board side of Sstc (QEMU's env->stimer with the ACLINT's rdtime): a hart's stimecmp
// (and H's vstimecmp) compares against the ACLINT's mtime, QEMUTimers on the virtual clock fire
// at the crossing, and the timer lines are driven through the hart's interrupt proxy so the
// scheduler wakes a hart in wfi.
import type { QEMUClock, TimerList } from '../../main-loop/timer.js';
import type { RISCVTimerService } from '../../target/riscv/priv-ext.js';

export interface StimerBoard {
  readonly clock: QEMUClock;
  readonly timers: TimerList;
  readonly aclint: { mtime(): bigint };
  readonly irqs: readonly { setMip(mask: number, level: boolean): void }[];
}

export function riscvStimerService(board: StimerBoard, hart: number, timebaseFreq: number): RISCVTimerService {
  return {
    now: () => board.aclint.mtime(),
    newTimer(fire) {
      const timer = board.timers.newTimer(fire);
      return {
        arm(tick) {
          if (tick === null) { timer.del(); return; }
          const deltaNs = (Number(tick - board.aclint.mtime()) * 1e9) / timebaseFreq;
          if (deltaNs > 2 ** 52) timer.del(); // effectively never
          else timer.mod(board.clock.now() + Math.ceil(Math.max(0, deltaNs)));
        },
      };
    },
    setMip: (mask, level) => board.irqs[hart].setMip(mask, level),
  };
}
