// -daemonize (QEMU's os_daemonize/os_setup_post): the command returns only once the emulator is
// ready (monitors listening), and exits 0; the emulator goes on in the background. Node cannot
// fork, so the parent starts itself again, detached, and waits for the child to say "ready" on
// an extra pipe; the child's stderr comes through the parent until then (errors during start-up
// reach the caller and the parent exits non-zero), and goes nowhere after.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { PROG } from '../system/vl.js';

const CHILD_ENV = 'TSQEMU_DAEMON_CHILD';

/** In the parent: start the daemon and exit with the outcome. In the child: return. */
export async function maybeDaemonize(daemonize: boolean): Promise<void> {
  if (!daemonize) return;
  if (process.env[CHILD_ENV] === '1') {
    // Once the parent is gone, writes to its stderr pipe fail: drop them.
    process.stderr.on('error', () => {});
    process.stdout.on('error', () => {});
    return;
  }
  const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    detached: true, stdio: ['ignore', 'ignore', 'pipe', 'pipe'], env: { ...process.env, [CHILD_ENV]: '1' },
  });
  child.stderr?.on('data', (d: Buffer) => process.stderr.write(d));
  const ready = await new Promise<boolean>((resolve) => {
    (child.stdio[3] as NodeJS.ReadableStream).on('data', () => resolve(true));
    child.on('exit', () => resolve(false));
  });
  if (!ready) {
    process.stderr.write(`${PROG}: the daemon exited during start-up\n`);
    process.exit(1);
  }
  process.exit(0);
}

/** In the daemon: monitors listen, the machine exists: let the parent return 0. */
export function daemonReady(): void {
  if (process.env[CHILD_ENV] !== '1') return;
  try {
    fs.writeSync(3, 'ready\n');
    fs.closeSync(3);
  } catch { /* parent gone */ }
  // From now on nobody reads our stdio (QEMU points it at /dev/null).
  delete process.env[CHILD_ENV];
}
