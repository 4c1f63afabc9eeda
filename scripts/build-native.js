// npm install hook: build the optional io_uring addon (native/). Never fails the install: without
// a compiler, liburing or node headers tsqemu falls back to the thread pool and says so with -d.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const top = join(dirname(fileURLToPath(import.meta.url)), '..');
const gyp = process.env.npm_config_node_gyp;
if (process.env.TSQEMU_NO_NATIVE) {
  console.log('tsqemu: TSQEMU_NO_NATIVE set: io_uring addon not built (thread pool only)');
} else if (!gyp || !existsSync(gyp)) {
  console.log('tsqemu: node-gyp not found: io_uring addon not built (thread pool only)');
} else {
  const r = spawnSync(process.execPath, [gyp, 'rebuild'], { cwd: join(top, 'native'), encoding: 'utf8' });
  if (r.status === 0) console.log('tsqemu: io_uring addon built');
  else console.log(`tsqemu: io_uring addon not built (thread pool only): ${(r.stderr || r.stdout || '').split('\n').filter((l) => /error/i.test(l)).slice(0, 3).join(' | ')}`);
}
