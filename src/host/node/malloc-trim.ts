// Giving freed malloc memory back to the host while a user-mode process runs (issues 11 and 18).
// V8 compiles in zones allocated with malloc: TurboFan tiering up the interpreter's `run` takes
// ~18 MiB of them for about a second early in a run, and glibc kept those pages resident once
// they were freed (its heaps only shrink from the top, and the zones lie under longer-lived
// blocks), so they stayed in the process's RSS, and in its peak, to the end. The supervisor asks
// native/tsqemu_proc.c mallocTrim (malloc_trim(0): every arena's free pages) now and then while
// the guest runs; without the addon nothing happens. TSQEMU_MALLOC_TRIM=0 turns it off.
import { nodeV8 } from './lazy-builtin.js';
import { procAddonFunction } from './proc-addon.js';

/** How often the supervisor looks (ms of wall time; the timer never keeps the process alive). */
const PERIOD_MS = 100;

type Trim = () => number;

function nativeTrim(): Trim | null {
  return process.env.TSQEMU_MALLOC_TRIM === '0' ? null : procAddonFunction<Trim>('mallocTrim');
}

/** Start trimming (once per process). */
export function startMallocTrim(): void {
  const trim = nativeTrim();
  if (!trim) return;
  let high = 0, ticks = 0;
  const t = setInterval(() => {
    // The main isolate's compile zones (the interpreter's tier-up is counted here) went back:
    // trim then; otherwise every ~10 s for the workers' (their isolates are not visible here).
    // Trimming every ~2 s as well cost more CPU (pages given back fault in again: gomem 1.62 ->
    // 1.70 s, medians of 10) for no less RSS.
    // (node:v8 on the first tick: loading it costs a start-up ~5 ms of CPU, v8-flags.ts.)
    const now = nodeV8().getHeapStatistics().malloced_memory;
    high = Math.max(high, now);
    if (high - now >= 2 << 20 || ++ticks % 100 === 0) { trim(); high = now; }
  }, PERIOD_MS);
  t.unref();
}
