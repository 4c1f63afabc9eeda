// The board side of Sstc (QEMU's env->stimer with the ACLINT's rdtime): each hart's stimecmp
// compares against the ACLINT's mtime, a QEMUTimer on the virtual clock fires at the crossing,
// and STIP is driven through the hart's interrupt proxy so the scheduler wakes a hart in wfi.
import type { QEMUClock, QEMUTimer, TimerList } from '../../main-loop/timer.js';
import type { RISCVTimerService } from '../../target/riscv/priv-ext.js';
import { IRQ_BIT } from '../../target/riscv/hart.js';

export interface StimerBoard {
  readonly clock: QEMUClock;
  readonly timers: TimerList;
  readonly aclint: { mtime(): bigint };
  readonly irqs: readonly { setMip(mask: number, level: boolean): void }[];
}

export function riscvStimerService(board: StimerBoard, hart: number, timebaseFreq: number): RISCVTimerService {
  let fire: () => void = () => {};
  const timer: QEMUTimer = board.timers.newTimer(() => fire());
  return {
    now: () => board.aclint.mtime(),
    arm(tick, cb) {
      if (tick === null) { timer.del(); return; }
      fire = cb;
      const deltaNs = (Number(tick - board.aclint.mtime()) * 1e9) / timebaseFreq;
      if (deltaNs > 2 ** 52) timer.del(); // effectively never
      else timer.mod(board.clock.now() + Math.ceil(Math.max(0, deltaNs)));
    },
    setStip: (level) => board.irqs[hart].setMip(1 << IRQ_BIT.S_TIMER, level),
  };
}
