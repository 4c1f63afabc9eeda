// Guest I/O requests in flight between a device and the host (QEMU needs no such count: its
// vCPU threads and the main loop's io_uring/thread-pool completions run on different host
// threads). Here the vCPUs, the devices and the host's event loop share one thread: a request
// a device started reaches the kernel, and its completion reaches the guest, only when the vCPU
// loop lets its promise chains run. A new request ends the running hart's slice early; right
// after that round the loop runs the chains as microtasks and polls the engines (ioPollNow: the
// ring submits and reaps what the kernel finished inline), with no event-loop turn; a request
// still in flight then makes the loop yield every IO_YIELD_MS (0.25 ms) instead of every
// YIELD_MS (8 ms) (cpus.ts).
let inflight = 0;
let onSubmit: (() => void) | null = null;

/** A device started a request (the vCPU scheduler is told, so its slice ends soon). */
export function ioRequestBegin(): void {
  inflight++;
  onSubmit?.();
}

/** The request completed (or was dropped). */
export function ioRequestEnd(): void {
  if (inflight > 0) inflight--;
}

/** Slices that started requests: all completed in microtasks (inline) or not (the event loop
 * had to turn): TSQEMU_URING_STATS prints them. */
export const ioSettleStats = { inline: 0, slow: 0 };

export function ioRequestsInFlight(): number {
  return inflight;
}

/** The vCPU scheduler's hook: end the running slice (null: none). */
export function setIoSubmitHook(fn: (() => void) | null): void {
  onSubmit = fn;
}

// Host I/O engines that can take completions without a turn of the event loop (the io_uring
// ring: submit now, reap what the kernel finished inline). Called by the vCPU loop right
// after a slice that started requests.
const pollers: (() => void)[] = [];

export function addIoPoller(fn: () => void): void {
  pollers.push(fn);
}

/** Submit queued requests and take finished ones now (their promise chains then run as microtasks). */
export function ioPollNow(): void {
  for (const p of pollers) p();
}
