// tsqemu-img's entry. In the bundled build (scripts/build-bundle.js) this file is small and
// img-main is a CommonJS script run with a V8 code cache kept on disk (host/node/code-cache.ts),
// as tsqemu-riscv64's: Node 20 compiles an ES module from scratch every time (~0.5 MB here),
// and CommonJS loads node:fs's promises (and the streams they pull in) only when used.
// bin/tsqemu-img runs this file's CommonJS build (dist/cli/img.cjs): an ES module entry costs
// Node's ES module loader and node:fs's ES facade, which loads every stream class (~10-20 ms).
import { createRequire } from 'node:module';
import { lastCodeCacheUse, runCachedScript } from '../host/node/code-cache.js';
import { distFile } from '../host/node/dist-path.js';

/** Defined (true) by scripts/build-bundle.js in the bundle: tsc's output has no img-main.cjs
 * of its own build, so it never runs one (it may be a stale one from an earlier bundle). */
declare const __TSQEMU_BUNDLE__: boolean | undefined;

// A run of tsqemu-img is short and its JavaScript light (the data goes through the kernel and
// native code): at V8's default budget TurboFan compiles dozens of functions for nothing, which
// cost ~10 MB of peak RSS (convert 512 MiB raw->qcow2: 60 -> 51 MiB) and CPU. 128x the budget
// (set before the script runs, so the code cache is made and used under it) leaves really hot
// code to TurboFan, and TurboFan itself waits until the run has used TURBOFAN_AFTER_US of user
// CPU: its first compile alone (of Node's own argument validators, under convert's fs.write
// calls) cost 3.5 MiB of peak RSS for nothing in a 0.3 s convert. Long runs, and the JS-heavy
// paths that switch it on at once (the pure-JS zstd decoder, `bench`), still get it.
const TURBOFAN_AFTER_US = 500_000;
// node:v8 loads Node's stream classes (~10 ms of CPU a run): bin/tsqemu-img gives these flags on
// node's command line, and node:v8 is only required to change them later (TurboFan switched on).
const V8_FLAGS = ['--interrupt-budget=8650752', '--no-turbofan'];
const v8 = (): typeof import('node:v8') => createRequire(import.meta.url)('node:v8') as typeof import('node:v8');
if (!V8_FLAGS.every((f) => process.execArgv.includes(f))) v8().setFlagsFromString(V8_FLAGS.join(' '));
/** Set (Symbol.for('tsqemu.turbofan') on globalThis) by whichever script switched TurboFan on
 * (host/node/block.ts's turbofanOn, in img-main.cjs, or the timer below). */
const TURBOFAN = Symbol.for('tsqemu.turbofan');
const tiering = setInterval(() => {
  if ((globalThis as Record<symbol, unknown>)[TURBOFAN]) { clearInterval(tiering); return; }
  if (process.cpuUsage().user >= TURBOFAN_AFTER_US) { (globalThis as Record<symbol, unknown>)[TURBOFAN] = true; v8().setFlagsFromString('--turbofan'); clearInterval(tiering); }
}, 50);
tiering.unref();
// V8 stamps a code cache with its flags: the entry written at exit must carry the ones it is
// loaded under (this handler runs before code-cache.ts's, registered later).
process.once('exit', () => { if ((globalThis as Record<symbol, unknown>)[TURBOFAN]) v8().setFlagsFromString('--no-turbofan'); });

// V8 refuses a code cache made under other flags: bin/tsqemu-img's node options (and any others)
// get their own entry, so `node dist/cli/img.cjs` and bin/tsqemu-img do not rewrite each other's.
const cacheName = process.execArgv.length ? `img-main-${process.execArgv.join('').replace(/[^a-z0-9]+/gi, '_').slice(0, 40)}` : 'img-main';

// TSQEMU_JIT_INFO=1 says how the code cache was used (tests/img-startup.test.js).
if (process.env.TSQEMU_JIT_INFO === '1') process.once('exit', () => { process.stderr.write(`main code cache ${lastCodeCacheUse() ?? 'module'}\n`); });
if (typeof __TSQEMU_BUNDLE__ === 'undefined' || runCachedScript(distFile('cli/img-main.cjs'), cacheName) === null) {
  void import('./img-main.js');
}
