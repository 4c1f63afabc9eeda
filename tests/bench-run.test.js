// bench/run.js's table machinery (no benchmark is run and nothing is timed here): goals judged
// from the rows scripts emit, a failed bench printed in its row, CoreMark reported as not run
// without TSQEMU_COREMARK, unknown --only names refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const run = (args, env = {}) => spawnSync(process.execPath, ['bench/run.js', ...args], { encoding: 'utf8', env: { ...process.env, ...env } });
const dir = mkdtempSync(join(tmpdir(), 'tsqemu-bench-run-test-'));

test('goals: ratio and own-value goals, both directions', async () => {
  const { goalMet, goalText } = await import('../bench/lib.js');
  assert.equal(goalMet({ of: 'ratio', op: '<=', value: 1.5 }, { ratio: 1.4, ours: 9 }), true);
  assert.equal(goalMet({ of: 'ratio', op: '<=', value: 1.5 }, { ratio: 1.6, ours: 0 }), false);
  assert.equal(goalMet({ of: 'ratio', op: '>=', value: 0.67 }, { ratio: 0.5, ours: 9 }), false);
  assert.equal(goalMet({ of: 'ours', op: '<=', value: 5 }, { ratio: NaN, ours: 4.9 }), true);
  assert.equal(goalMet({ of: 'ours', op: '>=', value: 1.7 }, { ratio: NaN, ours: NaN }), null);
  assert.equal(goalText({ of: 'ratio', op: '>=', value: 0.7 }), '>= 0.7x');
  assert.equal(goalText({ of: 'ours', op: '<=', value: 5 }), 'ts <= 5');
});

test('a bench script writes its rows with --json, human output unchanged', () => {
  const out = join(dir, 'rows.json');
  const script = join(dir, 'fake-bench.mjs');
  writeFileSync(script, `import { emitRows } from ${JSON.stringify(new URL('../bench/lib.js', import.meta.url).href)};
    const runs = Number(process.argv[2]);
    emitRows('x', [{ name: 'a', ours: 3, theirs: 2, unit: 's', goal: { of: 'ratio', op: '<=', value: 1.5 } }]);
    emitRows('x', [{ name: 'b', ours: 4, theirs: null, unit: 'us/insn', goal: { of: 'ours', op: '<=', value: 5 } }]);
    console.log('human', runs);`);
  const r = spawnSync(process.execPath, [script, '7', '--json', out], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, 'human 7\n'); // --json is taken out of argv before the script reads it
  const rows = JSON.parse(readFileSync(out, 'utf8'));
  assert.deepEqual(rows.map((x) => [x.name, x.ratio, x.met]), [['a', 1.5, true], ['b', null, true]]);
});

test('the table: values, goals, met?, an error row; Markdown', () => {
  const saved = join(dir, 'run.json');
  writeFileSync(saved, JSON.stringify({
    date: '2026-12-06T12:00:00.000Z', cpu: 'Test CPU', cores: 2, node: 'v20', loadStart: '1.00 1.00 1.00', loadEnd: '2.00 2.00 2.00', runs: 3, qemu: '7.2', logs: '-',
    rows: [
      { bench: 'boot', name: 'boot to power-off, -smp 1', ours: 3, theirs: 1, unit: 's', ratio: 3, goal: { of: 'ratio', op: '<=', value: 1.5 }, met: false, note: '' },
      { bench: 'coremark', name: 'user: CoreMark', ours: 5000, theirs: 7000, unit: 'it/s', ratio: 5000 / 7000, goal: { of: 'ratio', op: '>=', value: 0.67 }, met: true, note: '' },
      { bench: 'img', name: 'img', error: 'exit 1: qemu-img: boom' },
    ],
  }));
  const r = run(['--from', saved]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /host: Test CPU, 2 cores.*at start 1\.00 1\.00 1\.00, at end 2\.00 2\.00 2\.00/);
  assert.match(r.stdout, /boot to power-off, -smp 1\s+3\.00 s\s+1\.00 s\s+3\.00x\s+<= 1\.5x\s+NO/);
  assert.match(r.stdout, /user: CoreMark\s+5000 it\/s\s+7000 it\/s\s+0\.71x\s+>= 0\.67x\s+yes/);
  assert.match(r.stdout, /img\s+exit 1: qemu-img: boom/);
  assert.match(r.stdout, /1 of 2 goals met/);
  const m = run(['--from', saved, '--md']);
  assert.match(m.stdout, /^\| user: CoreMark \| 5000 it\/s \| 7000 it\/s \| 0\.71x \| >= 0\.67x \| yes \|$/m);
});

test('CoreMark is reported as not run without TSQEMU_COREMARK; unknown names are refused', () => {
  const r = run(['1', '--only', 'coremark'], { TSQEMU_COREMARK: '' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /coremark\s+not run: set TSQEMU_COREMARK/);
  const bad = run(['1', '--only', 'boot,nope']);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--only nope: unknown/);
});
