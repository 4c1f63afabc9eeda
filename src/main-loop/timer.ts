// QEMU's clocks and timers. QEMU_CLOCK_VIRTUAL runs only while the VM runs (it stops with -S
// and `stop`); QEMU_CLOCK_REALTIME always runs. Times are nanoseconds as JS numbers (2^53 ns is
// 104 days: enough for a session).

export interface QEMUClock {
  /** Current time in ns. */
  now(): number;
}

export class HostClock implements QEMUClock {
  now(): number {
    // performance.now() exists in Node and browsers; the core stays free of node:* modules.
    return Math.round(performance.now() * 1e6);
  }
}

/** Virtual clock: host time minus the time spent stopped. */
export class VirtualClock implements QEMUClock {
  private offset = 0;
  private stoppedAt: number | undefined;
  constructor(private readonly host: QEMUClock) {
    this.offset = -host.now();
  }
  now(): number {
    return (this.stoppedAt ?? this.host.now()) + this.offset;
  }
  get running(): boolean {
    return this.stoppedAt === undefined;
  }
  stop(): void {
    if (this.stoppedAt === undefined) this.stoppedAt = this.host.now();
  }
  start(): void {
    if (this.stoppedAt !== undefined) {
      this.offset -= this.host.now() - this.stoppedAt;
      this.stoppedAt = undefined;
    }
  }
}

export class QEMUTimer {
  expireTime = -1; // -1: not pending
  constructor(readonly list: TimerList, readonly cb: () => void) {}
  /** timer_mod: fire at `expireNs` (clock time) or as soon as possible when already past. */
  mod(expireNs: number): void {
    this.expireTime = expireNs;
    this.list.changed();
  }
  del(): void {
    this.expireTime = -1;
  }
  get pending(): boolean {
    return this.expireTime >= 0;
  }
}

/** The timers of one clock. The main loop asks for the next deadline and runs expired ones. */
export class TimerList {
  private readonly timers = new Set<QEMUTimer>();
  /** Set by the main loop to learn that a deadline moved (to wake a sleeping vCPU). */
  onChange: () => void = () => {};
  constructor(readonly clock: QEMUClock) {}

  newTimer(cb: () => void): QEMUTimer {
    const t = new QEMUTimer(this, cb);
    this.timers.add(t);
    return t;
  }

  changed(): void {
    this.onChange();
  }

  /** Earliest expire time of the pending timers, or Infinity. */
  deadline(): number {
    let d = Infinity;
    for (const t of this.timers) if (t.expireTime >= 0 && t.expireTime < d) d = t.expireTime;
    return d;
  }

  /** Run every timer whose time has come; returns true when any ran. */
  runExpired(): boolean {
    const now = this.clock.now();
    let ran = false;
    for (const t of this.timers) {
      if (t.expireTime >= 0 && t.expireTime <= now) {
        t.expireTime = -1;
        t.cb();
        ran = true;
      }
    }
    return ran;
  }
}
