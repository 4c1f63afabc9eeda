// The emulator's clock for guest timeouts: wall-clock milliseconds with sub-millisecond
// resolution. Date.now() counts whole ms, so a wait measured with it could end up to 1 ms before
// the time asked (LTP's timer tests: nanosleep, clock_nanosleep, epoll_wait "woken up early").
export function nowMs(): number { return performance.timeOrigin + performance.now(); }
