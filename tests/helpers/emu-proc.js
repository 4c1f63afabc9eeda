// Emulator processes in tests: wait until a TCP port accepts, stop a child for good.
import { connect } from 'node:net';

/** Waits (up to ~60 s: an emulator start on a loaded host) until 127.0.0.1:port accepts a connection. */
export async function waitPort(port) {
  for (let i = 0; i < 1200; i++) {
    const ok = await new Promise((resolve) => {
      const s = connect(port, '127.0.0.1', () => { s.destroy(); resolve(true); });
      s.on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nothing accepts connections on 127.0.0.1:${port}`);
}

/** Waits (up to ~60 s) until the unix socket at `path` accepts a connection (the file exists from
 * bind(); connections are refused until listen()). */
export async function waitUnix(path) {
  for (let i = 0; i < 1200; i++) {
    const ok = await new Promise((resolve) => {
      const s = connect(path, () => { s.destroy(); resolve(true); });
      s.on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nothing accepts connections on ${path}`);
}

/** SIGKILLs the child (if still running) and resolves once it exited. */
export function stopEmu(child) {
  return new Promise((resolve) => {
    if (child.exitCode !== null) { resolve(); return; }
    child.on('exit', () => resolve());
    child.kill('SIGKILL');
  });
}
