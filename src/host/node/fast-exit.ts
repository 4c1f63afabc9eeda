// Ending tsqemu-riscv64 when the guest has ended. process.exit() joins every worker thread, and a
// worker's isolate waits for V8's background compile of its wasm: the interpreter's `run` is
// tiered up by TurboFan a few thousand instructions into every guest (0.1-0.4 s of CPU on a
// background thread), so even a /bin/true waited for it (issue 18's glibc start-up: ~20% of the
// wall and CPU time, measured with and without). With the native addon (native/tsqemu_proc.c
// exitNow), the process ends with _exit() once every 'exit' listener has run (the disk code
// cache, TSQEMU_JIT_INFO, gdb); without it, or when Node itself writes something at exit (--cpu-prof,
// NODE_V8_COVERAGE), as before.
import { procAddonFunction } from './proc-addon.js';

type ExitNow = (status: number) => never;

/** Node writes these at its own exit (profiles, coverage): then it exits as it does. */
const writesAtExit = () => process.env.NODE_V8_COVERAGE !== undefined ||
  process.execArgv.some((a) => /^--(cpu-prof|heap-prof|prof)(\b|-|=|$)/.test(a));

function nativeExitNow(): ExitNow | null {
  return writesAtExit() ? null : procAddonFunction<ExitNow>('exitNow');
}

/** process.exit(status), without waiting for V8's background work after the 'exit' listeners. */
export function exitProcess(status: number): never {
  const now = nativeExitNow();
  // Registered last: the listeners already there (and none added while they run) go first.
  if (now) process.once('exit', (code) => now(typeof code === 'number' ? code : status));
  process.exit(status);
}
