// tsqemu-riscv64: run a riscv64 Linux program on this host (QEMU's linux-user command line).
//   tsqemu-riscv64 [-L SYSROOT] [-E VAR=VAL] [-U VAR] [-0 ARGV0] [-strace] [-d ITEMS] [-D FILE]
//                  [-cpu rv64] PROGRAM [ARGS...]
// Start-up: the first guest thread's worker starts loading now, while this thread loads the
// command line, the program and the ELF loader (riscv64-main.ts): two cores share the start-up.
// In the bundled build (scripts/build-bundle.js) this file is small and riscv64-main is a
// CommonJS script run with a V8 code cache kept on disk (host/node/code-cache.ts): Node 20
// compiles an ES module from scratch every time. bin/tsqemu-riscv64 runs this file's CommonJS
// build (dist/cli/riscv64.cjs): an ES module entry costs Node's ES module loader and node:fs's
// ES facade, which loads every stream class (~0.02 s of CPU, ~3 MiB).
import '../host/node/v8-tuning.js'; // first: before any wasm is compiled
import { mainThreadWanted, prewarmUserWorker } from '../host/node/user-prewarm.js';
import { codeCacheDir, lastCodeCacheUse, runCachedScript } from '../host/node/code-cache.js';
import { distFile } from '../host/node/dist-path.js';
import { writeAllSync } from '../host/node/write-all.js';
import { prefetchInterpreterCode } from '../host/node/interp-code-cache.js';
import { holdRemovedCwd } from '../host/node/removed-cwd.js';
import { holdEarlySignals } from '../host/node/early-signals.js';

/** Defined (true) by scripts/build-bundle.js in the bundle: tsc's output has no riscv64-main.cjs
 * of its own build, so it never runs one (it may be a stale one from an earlier bundle). */
declare const __TSQEMU_BUNDLE__: boolean | undefined;

const args = process.argv.slice(2);
holdEarlySignals(); // a SIGUSR1 from now on waits for the guest's disposition (not Node's inspector)
// A fresh forked child: its parent's fork returns when this runs (user-main.ts spawn).
if (process.env.TSQEMU_FORK_READY && process.send) {
  delete process.env.TSQEMU_FORK_READY;
  // (A parent gone meanwhile: the error goes to the callback, not an uncaught 'error' event.)
  process.send('started', undefined, undefined, () => {});
  // (Under gdb's fork following the channel stays: the parent and we pass gdb's connection.)
  if (!process.env.TSQEMU_GDB_FORK) process.disconnect();
}
holdRemovedCwd();
// A fresh process runs its first guest thread on this thread (host/node/user-first.ts): no
// worker unless it clones, forks, waits or handles signals. A forked child (its exec would move
// it at once), -g and TSQEMU_MAIN_THREAD=0 prewarm the worker as before. (-g after the program
// is the guest's: a worker then, which user-main.ts follows.)
const onMain = mainThreadWanted() && !process.env.QEMU_GDB && !args.some((a) => /^--?(resume|fork-server|g)$/.test(a));
if (args.length && !onMain && !args.some((a) => /^--?(h|help|version)$/.test(a) || a === 'help')) prewarmUserWorker();
// TSQEMU_JIT_INFO=1 says how the code cache was used (tests/user-startup-cache.test.js).
// (Written to fd 2 directly: process.stderr at exit loaded node:net and node:stream, ~20 ms of the
// CPU of a `true` measured with TSQEMU_JIT_INFO=1.)
if (process.env.TSQEMU_JIT_INFO === '1') process.once('exit', () => { writeAllSync(2, `main code cache ${lastCodeCacheUse() ?? 'module'}\n`); });
const start = () => {
  if (typeof __TSQEMU_BUNDLE__ === 'undefined' || runCachedScript(distFile('cli/riscv64-main.cjs'), 'riscv64-main') === null) {
    void import('./riscv64-main.js'); // (no top-level await: this file is also built as CommonJS)
  }
};
// A first thread on this thread takes the interpreter from V8's code of an earlier process when
// there is some (interp-code-cache.ts: ~5 ms instead of TurboFan's 0.1-0.4 s of CPU); that
// compile is a promise, and the guest, once started, runs without returning to the event loop.
const helpOnly = args.some((a) => /^--?(h|help|version)$/.test(a) || a === 'help');
const interp = onMain && args.length && !helpOnly ? prefetchInterpreterCode(codeCacheDir()) : null;
// (An error of the start-up is thrown as before: uncaught, not as a rejected promise.)
if (interp) void interp.then(start).catch((e: unknown) => process.nextTick(() => { throw e; }));
else start();
