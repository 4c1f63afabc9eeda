// CRC-32 (zlib's) for the code and wasm caches' names and checks, without loading node:zlib:
// that module pulls in the stream classes, ~5 ms of CPU and ~1.5 MiB in every isolate (the
// main thread and each guest thread's worker), for one function. Node 20.15+ keeps the same
// function in its zlib binding, which process.binding still hands out; --pending-deprecation
// would warn about process.binding, so there node:zlib is used.
import { createRequire } from 'node:module';

type Crc32 = (data: string | Uint8Array, value?: number) => number;

function pick(): Crc32 {
  const pending = process.execArgv.includes('--pending-deprecation') || /--pending-deprecation/.test(process.env.NODE_OPTIONS ?? '') ||
    process.env.NODE_PENDING_DEPRECATION === '1';
  if (!pending) {
    try {
      const b = (process as unknown as { binding?: (name: string) => { crc32?: unknown } }).binding?.('zlib');
      const f = b?.crc32 as ((d: string | Uint8Array, v: number) => number) | undefined;
      // Checked against the standard check value: a binding that answers otherwise is not used.
      if (typeof f === 'function' && f('123456789', 0) === 0xcbf43926) return (d, v = 0) => f(d, v);
    } catch { /* no such binding: below */ }
  }
  return (createRequire(import.meta.url)('node:zlib') as { crc32: Crc32 }).crc32;
}

let impl: Crc32 | undefined;
/** zlib's crc32 of `data` (a string as UTF-8), continuing from `value`. */
export function crc32(data: string | Uint8Array, value = 0): number {
  return (impl ??= pick())(data, value);
}
