// A Go test package (tests/linux-user/gotest, built with Debian's Go for GOARCH=riscv64) run
// under tsqemu-riscv64 and qemu-riscv64: the same tests pass and fail, the same exit status.
// scripts/go-stdlib-tests.sh runs the standard library's tests the same way (long; opt-in).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cli = path.join(root, 'dist/cli/riscv64.js');
const have = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const missing = ['go', 'qemu-riscv64'].find((c) => !have(c)) ?? null;

/** The test verdicts, without timings: "--- PASS: TestX", "PASS"/"FAIL", ok lines. */
function verdicts(out) {
  return out.split('\n').filter((l) => /^(--- (PASS|FAIL|SKIP)|PASS$|FAIL$)/.test(l)).map((l) => l.replace(/ \([\d.]+s\)$/, ''));
}

test('a Go test package gives the same results under tsqemu-riscv64 and qemu-riscv64', { skip: missing ? `${missing} not installed` : false }, () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tsqemu-go-'));
  try {
    const bin = path.join(tmp, 'gotest.test');
    const b = spawnSync('go', ['test', '-c', '-o', bin, '.'], {
      cwd: path.join(root, 'tests/linux-user/gotest'), encoding: 'utf8',
      env: { ...process.env, GOARCH: 'riscv64', CGO_ENABLED: '0', GOFLAGS: '-mod=mod' },
    });
    assert.equal(b.status, 0, b.stderr);
    const run = (argv) => {
      const r = spawnSync(argv[0], [...argv.slice(1), bin, '-test.v'], { encoding: 'utf8', cwd: tmp, timeout: 300000, env: { ...process.env, TMPDIR: tmp } });
      return { verdicts: verdicts(r.stdout), status: r.status, signal: r.signal };
    };
    const want = run(['qemu-riscv64']);
    assert.equal(want.status, 0);
    assert.ok(want.verdicts.includes('--- PASS: TestSignals'));
    assert.deepEqual(run([process.execPath, cli]), want);
  } finally { fs.rmSync(tmp, { recursive: true, force: true }); }
});
