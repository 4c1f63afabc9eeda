// All benchmarks, in one run (npm run bench). Never part of the tests.
import { spawnSync } from 'node:child_process';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
const here = dirname(fileURLToPath(import.meta.url));
const runs = process.argv[2] ?? '5';
for (const script of ['boot.js', 'user.js', 'user-rss.js', 'xlate.js', 'io.js', 'guest-io.js', 'img.js']) {
  spawnSync(process.execPath, [join(here, script), ...(script === 'io.js' || script === 'guest-io.js' ? [] : [runs])], { stdio: 'inherit' });
}
