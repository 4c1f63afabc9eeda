// worker_threads for -accel tcg,thread=multi: one worker per hart (mttcg-worker.ts).
import { Worker } from 'node:worker_threads';
import { distFile } from './dist-path.js';
import type { HartThreadHost, MttcgMessage, MttcgWorkerData } from '../../system/mttcg.js';

export const nodeHartThreads: HartThreadHost = {
  start(data: MttcgWorkerData, onMessage: (m: MttcgMessage) => void) {
    const w = new Worker(distFile('host/node/mttcg-worker.js'), { workerData: data, trackUnmanagedFds: false });
    w.on('message', (m: MttcgMessage) => onMessage(m));
    w.on('error', (e: Error) => onMessage({ op: 'error', message: e.stack ?? e.message }));
    w.unref(); // the main loop decides when the process ends
    return { terminate: () => { void w.terminate(); } };
  },
  nowNs: () => process.hrtime.bigint(),
};
