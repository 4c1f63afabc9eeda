// The last line of defence of every binary: an error nobody expected prints one line,
// "PROG: internal error: MESSAGE (please report)", with the stack only under -d or
// TSQEMU_DEBUG, after the registered cleanups (drives flushed and closed) ran; exit status 1.
import { QemuError } from '../../qemu/error.js';

const cleanups: Array<() => Promise<void> | void> = [];
let debug = false;

/** Run `fn` before exiting on an internal error (flush and close a drive). Returns an unregister. */
export function atFatal(fn: () => Promise<void> | void): () => void {
  cleanups.push(fn);
  return () => { const i = cleanups.indexOf(fn); if (i >= 0) cleanups.splice(i, 1); };
}

/** -d was given: internal errors show their stack. */
export function setFatalDebug(on: boolean): void { debug = on; }

/** The one-line text of an internal error (stack appended under -d / TSQEMU_DEBUG). */
export function internalErrorText(prog: string, e: unknown): string {
  const msg = e instanceof Error ? e.message.split('\n')[0] : String(e);
  const stack = (debug || process.env.TSQEMU_DEBUG) && e instanceof Error && e.stack ? `\n${e.stack}` : '';
  return `${prog}: internal error: ${msg} (please report)${stack}\n`;
}

/** Report `e` (a QemuError as the user-facing message it is), run the cleanups, exit 1. */
export async function exitOnError(prog: string, e: unknown): Promise<never> {
  process.stderr.write(e instanceof QemuError ? `${prog}: ${e.message}\n` : internalErrorText(prog, e));
  for (const fn of cleanups.splice(0)) {
    try { await fn(); } catch { /* already failing: keep closing the others */ }
  }
  process.exit(1);
}
