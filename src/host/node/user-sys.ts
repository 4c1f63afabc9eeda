// Loads the optional native addon of raw host system calls (native/tsqemu_sys.c) for
// tsqemu-riscv64. Without it (not built: no compiler or node headers at npm install, or
// TSQEMU_NO_NATIVE / TSQEMU_NO_SYS set) sockets, eventfd and timerfd return ENOSYS and
// readiness is approximated (src/linux-user/README.md).
import { createRequire } from 'node:module';
import { nativeAddonPath } from './dist-path.js';
import type { HostSys } from '../../linux-user/host.js';

let cached: HostSys | null | undefined;

export function loadUserSys(): HostSys | null {
  if (cached !== undefined) return cached;
  cached = null;
  if (process.env.TSQEMU_NO_SYS) return cached;
  const path = nativeAddonPath('tsqemu_sys');
  try {
    cached = createRequire(import.meta.url)(path) as HostSys;
  } catch { /* not built: the pure-Node fallbacks apply */ }
  // The process-level calls (fork's page scan, pidfd_getfd) live in a second addon.
  try {
    const proc = createRequire(import.meta.url)(path.replace('tsqemu_sys.node', 'tsqemu_proc.node')) as Required<Pick<HostSys, 'residentPages' | 'pidfdGetfd' | 'sendFds' | 'recvFds' | 'dup2' | 'fdFlags' | 'cred' | 'prctl' | 'ioctlIfreq' | 'busGuard' | 'faccessat' | 'priority' | 'sched' | 'renameat2' | 'fdRange' | 'kcmp'>>;
    if (cached) {
      Object.assign(cached, { residentPages: proc.residentPages, pidfdGetfd: proc.pidfdGetfd });
      // Newer calls (fork server, credentials): only when this build has them.
      for (const k of ['sendFds', 'recvFds', 'dup2', 'fdFlags', 'cred', 'prctl', 'ioctlIfreq', 'busGuard', 'faccessat', 'priority', 'sched', 'renameat2', 'fdRange', 'kcmp'] as const) {
        if (typeof proc[k] === 'function') Object.assign(cached, { [k]: proc[k] });
      }
    }
  } catch { /* older build: fork scans every mapped page, pidfd_getfd is ENOSYS */ }
  return cached;
}
