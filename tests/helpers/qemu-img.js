// Running Debian's real qemu-img from tests.
import { spawnSync } from 'node:child_process';

/**
 * spawnSync of a real tool, asked again when qemu-img's PBKDF benchmark gives up because the host
 * was too busy to time it ("Unable to get accurate CPU usage": about 1 in 12 LUKS creates on a
 * loaded 2-core VM), so that a busy CI machine is not reported as an incompatibility.
 */
export function runReal(cmd, args, opts = {}) {
  let r;
  for (let i = 0; i < 10; i++) {
    r = spawnSync(cmd, args, { ...opts, encoding: 'utf8' });
    if (r.status === 0 || !/Unable to get accurate CPU usage/.test(r.stderr ?? '')) break;
  }
  return r;
}
