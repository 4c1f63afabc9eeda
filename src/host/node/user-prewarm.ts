// The first guest thread's worker, started before the main thread has loaded anything else
// (cli/riscv64.ts): loading the emulator's modules costs a worker as much as the main thread,
// and both can load at once. It gets its guest memory now and the rest of its UserWorkerData
// in one message when the supervisor starts thread 0 (user-main.ts); until then it does not
// keep the process alive.
import type { Worker } from 'node:worker_threads';
import { workerThreads } from './lazy-builtin.js';
import { existsSync } from 'node:fs';
import { distFile } from './dist-path.js';
import { writeAllSync } from './write-all.js';

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

/** A guest thread's worker writes the guest's output to host descriptors itself; only Node's
 * own writes (a warning, console.*) go through its process.stdout/stderr. Node pipes those into
 * the main thread's process.stdout/stderr, whose creation loads node:net or node:tty (~10 ms of
 * CPU, part of every start-up); they are forwarded to fds 1 and 2 instead (stdout/stderr: true). */
export const USER_WORKER_STDIO = { stdout: true, stderr: true } as const;

/** A new guest thread's worker (its Node-level stdout/stderr forwarded to fds 1 and 2).
 * Guest fds belong to the process: a worker must neither close them when its thread ends nor
 * warn when another thread closes them (trackUnmanagedFds). */
export function newUserWorker(workerData: unknown, shareEnv = false): Worker {
  const wt = workerThreads();
  const w = new wt.Worker(userThreadEntry(), { workerData, trackUnmanagedFds: false, resourceLimits: USER_WORKER_LIMITS, ...USER_WORKER_STDIO, ...(shareEnv ? { env: wt.SHARE_ENV } : {}) });
  w.stdout.on('data', (c: Uint8Array) => writeAllSync(1, c));
  w.stderr.on('data', (c: Uint8Array) => writeAllSync(2, c));
  return w;
}

/** Whether a fresh process runs its first guest thread on the main thread (user-first.ts;
 * TSQEMU_MAIN_THREAD=0: on a worker from the start). */
export function mainThreadWanted(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.TSQEMU_MAIN_THREAD !== '0';
}

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
  const worker = newUserWorker({ prewarmed: true, memory }, true);
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
