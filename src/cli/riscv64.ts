// tsqemu-riscv64: run a riscv64 Linux program on this host (QEMU's linux-user command line).
//   tsqemu-riscv64 [-L SYSROOT] [-E VAR=VAL] [-U VAR] [-0 ARGV0] [-strace] [-d ITEMS] [-D FILE]
//                  [-cpu rv64] PROGRAM [ARGS...]
// Start-up: the first guest thread's worker starts loading now, while this thread loads the
// command line, the program and the ELF loader (riscv64-main.ts): two cores share the start-up.
import '../host/node/v8-tuning.js'; // first: before any wasm is compiled
import { prewarmUserWorker } from '../host/node/user-prewarm.js';

const args = process.argv.slice(2);
if (args.length && !args.some((a) => /^--?(h|help|version)$/.test(a) || a === 'help')) prewarmUserWorker();
await import('./riscv64-main.js');
