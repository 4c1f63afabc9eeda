// Setting V8 flags without node:v8: that module loads its heap snapshot streams and with them
// every stream class (node:stream), ~5 ms of CPU and ~1.3 MiB in each process that starts
// (start-up round 5; a static `true`'s whole start-up is ~0.2 s). node:v8's setFlagsFromString is
// the v8 binding's, which process.binding still hands out (process-binding.ts). Where the binding
// is missing or differs: node:v8.
import { createRequire } from 'node:module';
import { bindingFunction } from './process-binding.js';

type SetFlags = (flags: string) => void;

function pick(): SetFlags {
  const f = bindingFunction('v8', 'setFlagsFromString') as SetFlags | undefined;
  if (f) return (flags) => { f(flags); };
  return (createRequire(import.meta.url)('node:v8') as typeof import('node:v8')).setFlagsFromString;
}

let impl: SetFlags | undefined;
/** v8.setFlagsFromString. */
export function setV8Flags(flags: string): void {
  (impl ??= pick())(flags);
}
