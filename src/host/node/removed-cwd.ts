// A forked child starts in its parent's cwd, which may be a removed directory (Linux keeps it:
// getcwd ENOENT, no new files there). Node's workers cannot start in one (their process.cwd() is
// uv_cwd's ENOENT, uncaught), so the directory is held open as the guest's cwd (user-main.ts
// openCwd takes it) and the host process goes to /.
import * as fs from 'node:fs';

// On globalThis: the entry (cli/riscv64.js) and the bundle that takes it each have a copy of this module.
const KEY = Symbol.for('tsqemu.removedCwd');
const slot = globalThis as unknown as Record<symbol, number | undefined>;

/** At start-up, and after a fork server's chdir to a job's cwd. */
export function holdRemovedCwd(): void {
  try { process.cwd(); return; } catch { /* removed */ }
  try { slot[KEY] = fs.openSync('.', 'r'); } catch { slot[KEY] = undefined; }
  try { process.chdir('/'); } catch { /* stays */ }
}

/** The held directory's descriptor (once), or -1. */
export function takeRemovedCwd(): number {
  const fd = slot[KEY] ?? -1;
  slot[KEY] = undefined;
  return fd;
}
