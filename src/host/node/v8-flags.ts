// Setting V8 flags without node:v8: that module loads its heap snapshot streams and with them
// every stream class (node:stream), ~5 ms of CPU and ~1.3 MiB in each process that starts
// (start-up round 5; a static `true`'s whole start-up is ~0.2 s). node:v8's setFlagsFromString is
// the v8 binding's, which process.binding still hands out; Node warns that this access is
// deprecated (DEP0111), so the warning is kept quiet for that one call (process.noDeprecation
// is read when a warning is emitted). Where the binding is missing or differs: node:v8.
import { createRequire } from 'node:module';

type SetFlags = (flags: string) => void;

function pick(): SetFlags {
  const p = process as unknown as { binding?: (name: string) => { setFlagsFromString?: unknown }; noDeprecation?: boolean };
  const quiet = p.noDeprecation;
  try {
    p.noDeprecation = true;
    const f = p.binding?.('v8')?.setFlagsFromString;
    if (typeof f === 'function') return (flags) => { (f as SetFlags)(flags); };
  } catch { /* no such binding: below */ } finally {
    p.noDeprecation = quiet;
  }
  return (createRequire(import.meta.url)('node:v8') as typeof import('node:v8')).setFlagsFromString;
}

let impl: SetFlags | undefined;
/** v8.setFlagsFromString. */
export function setV8Flags(flags: string): void {
  (impl ??= pick())(flags);
}
