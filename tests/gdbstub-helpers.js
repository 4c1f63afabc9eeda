// Shared by the user-mode gdb stub tests: the stub takes exactly one connection, so readiness is
// read from /proc/net/tcp{,6} instead of probing with a connect (a probe would take gdb's place).
import { readFileSync } from 'node:fs';

export { freePort } from './net-helpers.js';

/** Until something LISTENs on the TCP port (up to 60 s: a start on a loaded host). */
export async function waitListen(port) {
  const hex = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  for (let i = 0; i < 1200; i++) {
    for (const f of ['/proc/net/tcp', '/proc/net/tcp6']) {
      let t = '';
      try { t = readFileSync(f, 'utf8'); } catch { continue; }
      if (t.split('\n').some((l) => { const c = l.trim().split(/\s+/); return c[1]?.endsWith(hex) && c[3] === '0A'; })) return;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nothing listens on ${port}`);
}
