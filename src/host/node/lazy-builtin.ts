// Node built-in modules a guest thread's worker rarely needs, loaded on first use: every
// worker is a fresh isolate, and `node:child_process` (with the streams, net and dgram it
// pulls in), `node:crypto` and `node:tty` cost each one ~15-20 ms of CPU and ~0.6 MiB at
// start-up when imported at the top (measured on 5 empty workers). Types stay static.
import { createRequire } from 'node:module';

const req = createRequire(import.meta.url);

/** A getter that requires `name` (a node: built-in) the first time it is called. */
export function lazyBuiltin<T>(name: string): () => T {
  let m: T | undefined;
  return () => (m ??= req(name) as T);
}

export const childProcess = lazyBuiltin<typeof import('node:child_process')>('node:child_process');
export const nodeCrypto = lazyBuiltin<typeof import('node:crypto')>('node:crypto');
export const nodeTty = lazyBuiltin<typeof import('node:tty')>('node:tty');
export const nodeV8 = lazyBuiltin<typeof import('node:v8')>('node:v8');
// (also on the main thread: node:worker_threads loads every stream class, ~5 ms of CPU and
// ~1.5 MiB, and a single-threaded guest on the main thread starts no worker; start-up round 5)
export const workerThreads = lazyBuiltin<typeof import('node:worker_threads')>('node:worker_threads');
