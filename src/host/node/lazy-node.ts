// Node built-ins loaded when first needed, not at start-up: node:child_process and node:tty (with net,
// dgram... behind them) cost a few ms of CPU in each process and each guest thread's worker,
// and most runs never fork, spawn, call mkfifo or ask isatty.
import { createRequire } from 'node:module';

type ChildProcessModule = typeof import('node:child_process');
let cp: ChildProcessModule | undefined;

/** node:child_process. */
export function childProcess(): ChildProcessModule {
  return (cp ??= createRequire(import.meta.url)('node:child_process') as ChildProcessModule);
}

type TtyModule = typeof import('node:tty');
let ttyMod: TtyModule | undefined;

/** node:tty (it loads node:net). */
export function nodeTty(): TtyModule {
  return (ttyMod ??= createRequire(import.meta.url)('node:tty') as TtyModule);
}
