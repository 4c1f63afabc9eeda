// Node's default SIGUSR1 handler starts its inspector ("Debugger listening on ws://..."), and a
// forked child is a new emulator whose pid its parent has at once: a SIGUSR1 sent before the
// child has set the guest's dispositions (LTP flock07: a kill right after fork) started the
// inspector and was lost, and the child hung. From the entry's first line a listener keeps such
// signals; user-main.ts takes them once the guest's dispositions are in place and delivers
// them as if they came then (a handler runs, the default ends the process, ignore drops them).
// The window left is Node's own start-up before any JavaScript runs.

// On globalThis: the entry (cli/riscv64.js) and the bundle that takes it each have a copy of this module.
const KEY = Symbol.for('tsqemu.earlySignals');
interface Early { seen: number[]; fn: () => void }
const slot = globalThis as unknown as Record<symbol, Early | undefined>;

/** At start-up: keep SIGUSR1 until takeEarlySignals. */
export function holdEarlySignals(): void {
  if (slot[KEY]) return;
  const early: Early = { seen: [], fn: () => { if (!early.seen.includes(10)) early.seen.push(10); } };
  slot[KEY] = early;
  process.on('SIGUSR1', early.fn);
}

/** Stop keeping them (after the guest's own listeners are on: no moment without one) and return
 * the signals that came meanwhile. */
export function takeEarlySignals(): number[] {
  const early = slot[KEY];
  if (!early) return [];
  slot[KEY] = undefined;
  process.off('SIGUSR1', early.fn);
  return early.seen;
}
