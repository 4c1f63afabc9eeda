// Emulator processes in tests: wait until a TCP port accepts, stop a child for good.
import { connect } from 'node:net';

/** Waits (up to ~10 s) until 127.0.0.1:port accepts a connection. */
export async function waitPort(port) {
  for (let i = 0; i < 200; i++) {
    const ok = await new Promise((resolve) => {
      const s = connect(port, '127.0.0.1', () => { s.destroy(); resolve(true); });
      s.on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** SIGKILLs the child (if still running) and resolves once it exited. */
export function stopEmu(child) {
  return new Promise((resolve) => {
    if (child.exitCode !== null) { resolve(); return; }
    child.on('exit', () => resolve());
    child.kill('SIGKILL');
  });
}
