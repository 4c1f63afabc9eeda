// V8 settings of the system emulator only (cli/system-riscv64.ts imports this right after
// v8-tuning.ts; V8's flags are per process, so the MTTCG harts' workers get them too).
//
// A boot runs a lot of JavaScript a few thousand times each (page walks, slow loads and stores,
// traps, CSRs, device models, the block translator) and little of it for long, and one big wasm
// function, the interpreter, long. TurboFan optimises ~200 JavaScript functions on background
// threads, several more than once (a path first taken late in the boot deoptimises them), and
// with inlining each job compiles whole call trees: the jobs of one boot took ~3.1 s of
// background-thread time on this 2-core VM, ~0.7 s without inlining (`node --trace-opt`).
// TurboFan's mid-tier register allocator (the one V8 itself takes for huge functions) compiles
// the interpreter in ~110 ms instead of ~270 ms. Boot to power-off, CPU seconds, medians of 7
// interleaved runs (load ~25): 3.05 default, 2.86 without inlining, 2.43 with both.
// The user-mode emulator keeps V8's defaults (its hot JavaScript, the system-call layer, gains
// from inlining).
import { setFlagsFromString } from 'node:v8';

setFlagsFromString('--no-turbo-inlining');
// Node 20's V8 (11.3) has the flag; later V8s dropped that allocator (an unknown flag would
// print an error on stderr).
const [major, minor] = process.versions.v8.split('.').map(Number);
if (major === 11 && minor <= 3) setFlagsFromString('--turbo-force-mid-tier-regalloc');
