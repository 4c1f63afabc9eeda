// Crash safety: a qcow2 writer killed with SIGKILL at random points leaves an image real
// qemu-img check calls clean or leaky (status 0 or 3), never corrupt (status 2).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fs, haveQemuImg, ours, path, prng, real, tmpdir } from './img-helpers.js';

const skip = !haveQemuImg() ? 'qemu-img not installed' : false;
const helper = new URL('./block-write-helper.js', import.meta.url).pathname;
const SIZE = 16 * 1024 * 1024;
const KILLS = Number(process.env.TSQEMU_CRASH_KILLS ?? 8);
const CONFIGS = ['cluster_size=65536', 'cluster_size=4096,refcount_bits=1', 'lazy_refcounts=on,cluster_size=16384'];
/** TSQEMU_CRASH_CONFIGS=a;b: only those qcow2 -o configurations (block-aio-engines' rerun). */
const only = process.env.TSQEMU_CRASH_CONFIGS?.split(';').filter(Boolean);
for (const c of only ?? []) if (!CONFIGS.includes(c)) throw new Error(`TSQEMU_CRASH_CONFIGS: no configuration ${c}`);

/** Run the writer and SIGKILL it after `afterOps` completed writes plus `delayMs`. */
function runAndKill(img, seed, afterOps, delayMs) {
  return new Promise((resolve) => {
    const child = spawn('node', [helper, img, 'qcow2', String(seed), '400', String(SIZE), 'slow'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let seen = 0, killed = false, buf = '';
    child.stdout.on('data', (d) => {
      buf += d.toString();
      const lines = buf.split('\n');
      buf = lines.pop();
      seen += lines.filter((l) => l.startsWith('op ')).length;
      if (!killed && seen >= afterOps) {
        killed = true;
        setTimeout(() => child.kill('SIGKILL'), delayMs);
      }
    });
    child.on('exit', (code, signal) => resolve({ code, signal, seen }));
  });
}

for (const opts of only ? CONFIGS.filter((c) => only.includes(c)) : CONFIGS) {
  test(`SIGKILL during writes leaves no corruption (${opts})`, { skip }, async () => {
    const dir = tmpdir('crash');
    const rand = prng(opts.length * 7919);
    let killedMidway = 0;
    // One fresh image per configuration, copied for each kill (a tsqemu-img start per copy saved).
    const fresh = path.join(dir, 'fresh.qcow2');
    assert.equal(ours(['create', '-q', '-f', 'qcow2', '-o', opts, fresh, String(SIZE)]).status, 0);
    for (let i = 0; i < KILLS; i++) {
      const img = path.join(dir, `c${i}.qcow2`);
      fs.copyFileSync(fresh, img);
      const r = await runAndKill(img, 100 + i, rand() % 120, rand() % 4);
      if (r.signal === 'SIGKILL') killedMidway++;
      const chk = real(['check', img]);
      assert.ok(chk.status === 0 || chk.status === 3, `kill ${i} after ${r.seen} ops: real check status ${chk.status}\n${chk.stdout}${chk.stderr}`);
      assert.equal(ours(['check', img]).status, chk.status, `our check agrees with real (kill ${i})`);
      // The image stays usable: repair leaks, then real check is clean.
      if (chk.status === 3) {
        assert.equal(ours(['check', '-r', 'leaks', img]).status, 0);
        assert.equal(real(['check', img]).status, 0);
      }
      fs.rmSync(img);
    }
    assert.ok(killedMidway >= KILLS / 2, `most runs were killed mid-way (${killedMidway}/${KILLS})`);
  });
}
