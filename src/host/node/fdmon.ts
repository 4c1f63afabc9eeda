// Which fd monitor the main loop uses (QEMU picks fdmon-io_uring when the ring works, else
// epoll/poll). Ours: TSQEMU_FDMON=io_uring|poll forces one; TSQEMU_AIO=threads means "no
// io_uring" for the main loop too; otherwise io_uring when the addon loads and a ring can be
// set up, else libuv's poll. Any -d item logs the choice (and why io_uring was not taken).
import { getLogMask, qemuLog } from '../../qemu/log.js';
import type { FdMonitor } from '../../main-loop/fd-handler.js';
import { loadIoUring, mainIoUring } from './io_uring.js';
import { FdMonIoUring } from './fdmon-io_uring.js';
import { FdMonPoll, type FdWatchSys } from './fdmon-poll.js';
import { loadUserSys } from './user-sys.js';

let chosen: FdMonitor | null | undefined;
let why = '';

/** The host's socket calls and uv_poll watcher (tsqemu_sys), or null when the addon is missing. */
export function fdWatchSys(): FdWatchSys | null {
  const s = loadUserSys() as unknown as Partial<FdWatchSys> | null;
  return s && typeof s.fdWatch === 'function' ? s as FdWatchSys : null;
}

function pick(): FdMonitor | null {
  const want = process.env.TSQEMU_FDMON ?? (process.env.TSQEMU_AIO === 'threads' ? 'poll' : 'io_uring');
  if (want === 'io_uring') {
    const ring = mainIoUring();
    if (ring) return new FdMonIoUring(ring);
    why = ` (io_uring: ${loadIoUring().reason || 'ring setup failed'})`;
  } else {
    why = process.env.TSQEMU_FDMON ? ` (TSQEMU_FDMON=${want})` : ' (TSQEMU_AIO=threads)';
  }
  const sys = fdWatchSys();
  return sys ? new FdMonPoll(sys) : null;
}

/** The main loop's fd monitor, chosen on first use; null without the native sys addon. */
export function mainFdMonitor(): FdMonitor | null {
  if (chosen !== undefined) return chosen;
  chosen = pick();
  if (getLogMask() !== 0) qemuLog(`main loop: fd monitor ${chosen?.name ?? 'none (the native sys addon is not built)'}${why}\n`);
  return chosen;
}

/** TSQEMU_URING_STATS: the fd monitor's counters, one line at exit. */
export function fdMonStats(): string {
  const m = chosen;
  if (!m) return 'tsqemu-fdmon-stats: monitor=none';
  if (m instanceof FdMonIoUring) return `tsqemu-fdmon-stats: monitor=io_uring poll-adds=${m.pollAdds} poll-removes=${m.pollRemoves}`;
  return `tsqemu-fdmon-stats: monitor=${m.name} poll-adds=0 poll-removes=0`;
}
