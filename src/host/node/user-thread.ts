// Entry of a guest thread's worker (user-main.ts, user-prewarm.ts): it loads user-worker's
// code, from the CommonJS bundle scripts/build-bundle.js writes (dist/host/node/user-worker.cjs)
// when there is one, else as the ES module. Why: every guest thread is a new V8 isolate that
// parses and compiles the whole emulator again (~30-50 ms of CPU per thread, more under load:
// issue 18's 8 threads spent 7 x ~170 ms starting). A script (unlike an ES module on Node 20)
// takes a V8 code cache: the first thread that clones another one makes it (with the functions
// it has compiled so far) and the supervisor hands it to every later thread (workerData
// codeCache). V8 checks the cache against the source and its own version and flags, and
// compiles normally when it does not fit. The cache is also kept on disk (code-cache.ts: named
// by the contents, checked), so the first thread of the next process starts from it too.
// scripts/build-bundle.js also builds this file as CommonJS (user-thread.cjs, the workers'
// entry when present: Node starts a CommonJS worker ~10 ms faster than an ES module one).
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Script } from 'node:vm';
import { workerData } from 'node:worker_threads';
import { codeCacheFile, readAsciiScript, readCodeCache, wrapScript, writeCodeCache, type AsciiScript } from './code-cache.js';

const dir = path.dirname(fileURLToPath(import.meta.url));
const cjs = path.join(dir, 'user-worker.cjs');
// (null: tsc's output only, or not ASCII: the module)
let text: AsciiScript | null = readAsciiScript(cjs);
let source: string | null = text?.source ?? null;
// (latin1: esbuild writes ASCII, non-ASCII escaped; and V8 hashes the string it compiles.)

type CacheGlobal = { tsqemuCodeCache?: () => Uint8Array | undefined; tsqemuCodeCacheUse?: string };
if (source === null || text === null) {
  (globalThis as CacheGlobal).tsqemuCodeCacheUse = 'module';
  void import('./user-worker.js'); // (no top-level await: this file is also built as CommonJS)
} else {
  // The disk entry: named by the script's contents and Node's version, checked (code-cache.ts).
  const disk = codeCacheFile('user-worker', text, process.env, cjs);
  let cachedData = (workerData as { codeCache?: Uint8Array } | null)?.codeCache;
  let fromDisk = false;
  if (!cachedData && disk) {
    cachedData = readCodeCache(disk);
    fromDisk = cachedData !== undefined;
  }
  const script = new Script(wrapScript(source), { filename: cjs, cachedData });
  // The script keeps the source (with the tsqemu_v8 addon a string over the read buffer itself,
  // else its own copy) and needs neither our references nor the cache any more: ~0.75 MiB each,
  // per guest thread, for the worker's lifetime.
  source = null;
  text = null;
  delete (workerData as { codeCache?: Uint8Array } | null)?.codeCache;
  const rejected = script.cachedDataRejected === true;
  // TSQEMU_JIT_INFO=1 says per thread whether it was used (tests/user-threads-start.test.js).
  (globalThis as CacheGlobal).tsqemuCodeCacheUse = !cachedData ? 'none' : rejected ? 'rejected' : fromDisk ? 'disk' : 'used';
  // A thread that was given a cache that fit makes none (the supervisor keeps the first); the
  // one made is also written to the disk cache for the next processes.
  if (!cachedData || rejected) {
    setUserWorkerCodeCache(() => {
      const c = script.createCachedData();
      if (disk) writeCodeCache(disk, c);
      return c;
    });
  }
  const mod = { exports: {} };
  (script.runInThisContext() as (e: object, r: NodeJS.Require, m: object, f: string, d: string) => void)(mod.exports, createRequire(cjs), mod, cjs, dir);
}

/** The code cache of this thread's script (for the threads it starts), once. */
function setUserWorkerCodeCache(make: () => Buffer): void {
  let done = false;
  (globalThis as CacheGlobal).tsqemuCodeCache = () => {
    if (done) return undefined;
    done = true;
    return make();
  };
}
