// The translation cost `info jit` prints (tb-cache.ts setTbClock) in the calling thread's CPU
// time when the native addon has it (native/tsqemu_proc.c threadCpuMs): in wall time a loaded
// host (a descheduled thread, V8's background compiles competing for the cores) inflated it
// several times, so boot-to-boot comparisons said little. Without the addon: wall time.
import { procAddonFunction } from './proc-addon.js';
import { setTbClock } from '../../target/riscv/tb-cache.js';

/** The thread CPU clock in ms, or null without the addon (TSQEMU_NO_NATIVE, not built). */
export function threadCpuClock(): (() => number) | null {
  const f = procAddonFunction<() => number>('threadCpuMs');
  return f && f() >= 0 ? f : null;
}

/** Give the translator this thread's CPU clock, else the monotonic wall clock. */
export function useThreadTbClock(): void {
  const cpu = threadCpuClock();
  setTbClock(cpu ?? (() => { const [s, ns] = process.hrtime(); return s * 1e3 + ns / 1e6; }), cpu ? 'thread CPU' : 'wall');
}
