// tsqemu-system-riscv64: QEMU's system emulator command line on the virt board.
// The command line, host wiring and machine are system-riscv64-main.ts. In the bundled build
// (scripts/build-bundle.js) this file is small and system-riscv64-main is a CommonJS script run
// with a V8 code cache kept on disk (host/node/code-cache.ts): Node 20 compiles an ES module
// from scratch every time, which was about half of the emulator's start-up CPU.
import '../host/node/v8-tuning.js'; // first: before any wasm is compiled
import '../host/node/v8-tuning-system.js'; // and the system emulator's own JIT settings
import { codeCacheDir, runCachedScript } from '../host/node/code-cache.js';
import { distFile } from '../host/node/dist-path.js';
import { INTERP_HINT, prefetchInterpreter } from '../host/node/interp-prefetch.js';
import { prefetchInterpreterCode } from '../host/node/interp-code-cache.js';

/** Defined (true) by scripts/build-bundle.js in the bundle: tsc's output has no
 * system-riscv64-main.cjs of its own build, so it never runs one (it may be a stale one). */
declare const __TSQEMU_BUNDLE__: boolean | undefined;

// The interpreter from V8's code of an earlier run (interp-code-cache.ts: ~5 ms); without it,
// its TurboFan compile starts now, beside the loading below (interp-prefetch.ts). Neither for a
// command line that only prints (the ~165 ms of background CPU would be for nothing).
const printsOnly = process.argv.slice(2).some((a) => /^--?(version|h|help)$/.test(a) || a === 'help' || a === '?' || /[=,](help|\?)$/.test(a) || a.includes('dumpdtb='));
if (!printsOnly) {
  const fromCode = prefetchInterpreterCode(codeCacheDir(), INTERP_HINT);
  if (fromCode) await fromCode;
  else prefetchInterpreter(codeCacheDir());
}

if (typeof __TSQEMU_BUNDLE__ === 'undefined' || runCachedScript(distFile('cli/system-riscv64-main.cjs'), 'system-riscv64-main') === null) {
  await import('./system-riscv64-main.js');
}
