// V8 settings of the system emulator only (cli/system-riscv64.ts imports this right after
// v8-tuning.ts; V8's flags are per process, so the MTTCG harts' workers get them too).
//
// A boot runs a lot of JavaScript a few thousand times each (page walks, slow loads and stores,
// traps, CSRs, device models, the block translator) and little of it for long. TurboFan
// optimises ~200 such functions on background threads, several more than once (a path first
// taken late in the boot deoptimises them), and with inlining each job compiles whole call
// trees: the jobs of one boot took ~3.1 s of background-thread time on this 2-core VM, ~0.7 s
// without inlining (`node --trace-opt`); boot CPU fell ~5% (README, "Where a boot's CPU goes").
// Tried and dropped: --turbo-force-mid-tier-regalloc (the interpreter's TurboFan compile
// ~270 -> ~110 ms and boot CPU -15%, but hot translated code got slower: gzip -9 in the guest
// 1.50 -> 2.00 s). The user-mode emulator keeps V8's defaults.
import { setFlagsFromString } from 'node:v8';

setFlagsFromString('--no-turbo-inlining');
