// The Web Worker entry: one machine per worker, driven by the page's messages (protocol.ts).
import type { FromWorker, ToWorker } from './protocol.js';
import { BrowserSystem } from './system.js';

interface WorkerScope {
  postMessage(m: FromWorker, transfer: ArrayBuffer[]): void;
  onmessage: ((e: { data: ToWorker }) => void) | null;
}
const scope = globalThis as unknown as WorkerScope;
const sys = new BrowserSystem((m, transfer) => scope.postMessage(m, transfer ?? []));
scope.onmessage = (e) => { void sys.handle(e.data); };
