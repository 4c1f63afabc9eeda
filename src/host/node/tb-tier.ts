// Translated code straight to TurboFan (tb-cache.ts TbTier). V8 compiles a translated module
// lazily with Liftoff and moves a function to TurboFan once it has used up its tier-up budget
// (200M: v8-tuning.ts); here, a module proven hot is compiled again with every function sent to
// TurboFan at once, as interp-prefetch.ts does for the interpreter: dynamic tiering and lazy
// compilation off around `new WebAssembly.Module` (Liftoff code for all functions now, on this
// thread; TurboFan on V8's background threads), then restored.
// TSQEMU_TB_TIER=hot (sampled: TSQEMU_TB_TIER_SAMPLES slice ends on a module's pages) | all
// (every module, a measurement) | off.
import { setV8Flags } from './v8-flags.js';
import { setTbTier } from '../../target/riscv/tb-cache.js';

function compileEager(bytes: Uint8Array): WebAssembly.Module {
  setV8Flags('--no-wasm-dynamic-tiering');
  setV8Flags('--no-wasm-lazy-compilation');
  try {
    return new WebAssembly.Module(bytes);
  } finally {
    setV8Flags('--wasm-lazy-compilation');
    setV8Flags('--wasm-dynamic-tiering');
  }
}

export function tbTierFromEnv(env: NodeJS.ProcessEnv): void {
  const mode = env.TSQEMU_TB_TIER ?? 'off';
  if (mode !== 'hot' && mode !== 'all') { setTbTier(null); return; }
  const n = Number(env.TSQEMU_TB_TIER_SAMPLES ?? 64);
  setTbTier({ compile: compileEager, mode, samples: Number.isInteger(n) && n > 0 ? n : 64 });
}
