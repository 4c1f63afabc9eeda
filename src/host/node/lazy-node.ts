// Node built-ins loaded when first needed, not at start-up: node:child_process and node:tty
// (with net, dgram... behind them), and node:crypto in a worker, cost a few ms of CPU in each
// process or guest thread's worker, and most runs never fork, spawn, call mkfifo or isatty.
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

type CryptoModule = typeof import('node:crypto');
let cryptoMod: CryptoModule | undefined;

/** node:crypto (a guest thread's worker asks it only for getrandom without -seed). */
export function nodeCrypto(): CryptoModule {
  return (cryptoMod ??= createRequire(import.meta.url)('node:crypto') as CryptoModule);
}
