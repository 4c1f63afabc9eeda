// The first guest thread's worker, started before the main thread has loaded anything else
// (cli/riscv64.ts): loading the emulator's modules costs a worker as much as the main thread,
// and both can load at once. It gets its guest memory now and the rest of its UserWorkerData
// in one message when the supervisor starts thread 0 (user-main.ts); until then it does not
// keep the process alive.
import { SHARE_ENV, Worker } from 'node:worker_threads';
import { existsSync } from 'node:fs';
import { distFile } from './dist-path.js';

/** A guest thread's worker entry (user-thread.ts): its CommonJS build when there is one. */
export function userThreadEntry(): string {
  const cjs = distFile('host/node/user-thread.cjs');
  return existsSync(cjs) ? cjs : distFile('host/node/user-thread.js');
}

/** V8 limits of a guest thread's isolate. The young generation (new space) grows to 8 MiB by
 * default and ~4 MiB of it stays committed in every worker; 2 MiB saves ~2 MiB of RSS per
 * guest thread (bench/threads.js: 8 threads 224 -> 205 MiB) for no measurable CPU (the
 * emulator allocates little once running). */
export const USER_WORKER_LIMITS = { maxYoungGenerationSizeMb: 2 } as const;

/** The whole 4 GiB (layout.ts HOST_MEMORY_PAGES; GuestMM checks the size). */
const PAGES = 65536;

export interface PrewarmedWorker { memory: WebAssembly.Memory; worker: Worker }
/** Kept on globalThis: in the bundled build the entry (cli/riscv64.js) and the script it runs
 * (cli/riscv64-main.cjs, with user-main) each hold a copy of this module. */
interface PrewarmState { pre: PrewarmedWorker | null; failed: boolean; onError: () => void }
const KEY = Symbol.for('tsqemu.userPrewarm');
const g = globalThis as { [KEY]?: PrewarmState };
const st: PrewarmState = g[KEY] ??= { pre: null, failed: false, onError: () => { st.failed = true; } };

/** It shares the main thread's environment: the command line (-r, -seed) sets QEMU_UNAME and
 * QEMU_RAND_SEED there after this worker started, and a copy taken now would miss them. */
export function prewarmUserWorker(): void {
  const memory = new WebAssembly.Memory({ initial: PAGES, maximum: PAGES, shared: true });
  const worker = new Worker(userThreadEntry(), { workerData: { prewarmed: true, memory }, trackUnmanagedFds: false, env: SHARE_ENV, resourceLimits: USER_WORKER_LIMITS });
  worker.unref();
  // Until taken, an error only means it is not used (the supervisor starts a fresh one and
  // reports that one's errors).
  worker.once('error', st.onError);
  st.pre = { memory, worker };
}

/** The prewarmed worker (once), or null. */
export function takePrewarmedWorker(): PrewarmedWorker | null {
  const p = st.pre;
  st.pre = null;
  if (!p) return null;
  p.worker.off('error', st.onError);
  if (st.failed) { void p.worker.terminate(); return null; }
  p.worker.ref();
  return { memory: p.memory, worker: p.worker };
}

/** Its memory, for the supervisor (null: none prewarmed). */
export function prewarmedMemory(): WebAssembly.Memory | null {
  return st.pre?.memory ?? null;
}
