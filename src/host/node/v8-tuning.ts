// V8 settings for the block compiler, applied when a front end imports this module (first, so
// before any wasm module is compiled). Translated blocks are many wasm functions most of which
// run a few thousand times during a boot; at V8's default tier-up budget most of them are also
// recompiled by TurboFan in the background, which on a 2-core host cost more than it gained
// (boot to power-off: ~17% less CPU with a budget 100x the default; hot loops still tier up).
// A budget given on node's own command line (`node --wasm-tiering-budget=N ...`, for
// measurements) is kept.
import { setV8Flags as setFlagsFromString } from './v8-flags.js';

if (!process.execArgv.some((a) => a.startsWith('--wasm-tiering-budget'))) setFlagsFromString('--wasm-tiering-budget=200000000');
// Branch hints (wasm-builder.ts: translated code marks TLB misses, exits and budget checks
// unlikely): TurboFan then lays those paths out of line (deferred blocks) and keeps its spills
// there. TSQEMU_BRANCH_HINTS=0 leaves them unread (for A/B measurements).
// The flag is V8 11-12's (node 20-23); a V8 that does not know it would print an error on stderr.
const v8Major = Number(process.versions.v8.split('.')[0]);
if (process.env.TSQEMU_BRANCH_HINTS !== '0' && v8Major >= 11 && v8Major <= 12) setFlagsFromString('--experimental-wasm-branch-hinting');
