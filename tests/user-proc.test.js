// /proc for the guest (tests/linux-user/procfs.c) and execve of host programs, under
// tsqemu-riscv64 and Debian's qemu-riscv64. procfs.c prints one "name: ok|FAIL" line per check:
// every check must pass under tsqemu-riscv64; qemu-riscv64 7.2 passes all but the ones listed
// (its environ is the host process's, its comm is "qemu-riscv64"), which shows the checks are real.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { ccSpawnSync } from './helpers/cc-cache.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cli = path.join(root, 'dist/cli/riscv64.js');
const SYSROOT = '/usr/riscv64-linux-gnu';
const have = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const missing = !have('riscv64-linux-gnu-gcc') ? 'riscv64-linux-gnu-gcc' : !have('qemu-riscv64') ? 'qemu-riscv64' : null;
const noSys = fs.existsSync(path.join(root, 'native/build/Release/tsqemu_sys.node')) ? null : 'native addon tsqemu_sys not built';
// (and it cannot execute a riscv64 program, itself through /proc/self/exe included, without binfmt_misc).
const QEMU_FAILS = ['environ', 'environ-no-host', 'comm', 'reexec'];

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tsqemu-proc-'));
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));

const checks = (out) => Object.fromEntries(out.trim().split('\n').filter((l) => /^[a-z-]+: /.test(l))
  .map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 2)]));

for (const isStatic of [true, false]) {
  test(`procfs (${isStatic ? 'static' : 'dynamic'}): the guest's /proc/self`, { skip: missing ?? false }, () => {
    const prog = path.join(tmp, `procfs-${isStatic}`);
    const b = ccSpawnSync('riscv64-linux-gnu-gcc', ['-O1', '-o', prog, path.join(root, 'tests/linux-user/procfs.c'),
      ...(isStatic ? ['-static'] : []), '-pthread'], { encoding: 'utf8' });
    assert.equal(b.status, 0, b.stderr);
    const data = path.join(tmp, 'data.txt');
    fs.writeFileSync(data, 'hello world\n');
    const env = { ...process.env, TSQ_HOST_ONLY: 'secret' };
    const q = spawnSync('qemu-riscv64', ['-L', SYSROOT, prog, data], { encoding: 'utf8', env: { ...process.env } });
    const t = spawnSync(process.execPath, [cli, '-L', SYSROOT, '-U', 'TSQ_HOST_ONLY', prog, data], { encoding: 'utf8', env, timeout: 60000 });
    const qc = checks(q.stdout), tc = checks(t.stdout);
    assert.equal(t.status, 0, t.stderr);
    assert.ok(Object.keys(tc).length >= 20, t.stdout);
    for (const [name, r] of Object.entries(tc)) assert.equal(r, 'ok', `${name}: ${r}`);
    assert.deepEqual(Object.keys(qc), Object.keys(tc));
    for (const [name, r] of Object.entries(qc)) {
      if (name === 'environ' || name === 'environ-no-host') continue; // qemu's is right without -U
      assert.equal(r.startsWith('ok'), !QEMU_FAILS.includes(name), `qemu-riscv64 ${name}: ${r}`);
    }
  });
}

let bb = '';
function busybox() {
  if (bb) return bb;
  bb = path.join(tmp, 'busybox');
  fs.writeFileSync(bb, zlib.gunzipSync(fs.readFileSync(path.join(root, 'images/busybox.gz'))), { mode: 0o755 });
  return bb;
}

// BusyBox's sh runs host programs found in PATH (seq, sort); qemu-riscv64 hands an execve of a
// host program to the host. (want: what Linux does where qemu-riscv64 differs.)
const SCRIPTS = [
  ['host pipeline', 'seq 1 3 | sort -r; echo rc=$?'],
  ['host #! script and its status', `printf '#!/bin/sh\\necho "script $1"; exit 7\\n' > s.sh; chmod +x s.sh; ./s.sh arg; echo rc=$?`],
  ['host program gets the guest fds and cwd', 'mkdir -p sub; cd sub; exec 7>out; /bin/sh -c "pwd; echo to7 >&7"; cat out; cd ..; rm -r sub'],
  // ENOEXEC: sh runs it as a script of its own (Linux: 127, "garbage: not found"); qemu-riscv64
  // tries that through /proc/self/exe and fails with 126.
  ['non-executable format', `printf 'garbage' > g; chmod +x g; ./g; echo rc=$?`, { stdout: 'rc=127\n', status: 0 }],
];
for (const [name, script, linux] of SCRIPTS) {
  test(`busybox sh: ${name} (as qemu-riscv64)`, { skip: missing ?? noSys ?? false }, () => {
    const prog = busybox();
    const work = path.join(tmp, 'w');
    const side = (cmd, pre) => {
      fs.rmSync(work, { recursive: true, force: true });
      fs.mkdirSync(work);
      const r = spawnSync(cmd, [...pre, prog, 'sh', '-c', script], { encoding: 'utf8', cwd: work, timeout: 60000 });
      return { stdout: r.stdout.replaceAll(prog, 'BB'), status: r.status };
    };
    const want = linux ?? side('qemu-riscv64', []);
    const got = side(process.execPath, [cli]);
    assert.deepEqual(got, want);
  });
}

// A program that cannot be loaded: one line on stderr and QEMU's exit status, no Node stack trace.
test('load errors: one line as qemu-riscv64 says it', { skip: missing ?? false }, () => {
  const notElf = path.join(tmp, 'notelf');
  fs.writeFileSync(notElf, 'garbage', { mode: 0o755 });
  const dyn = path.join(tmp, 'dyn');
  fs.writeFileSync(path.join(tmp, 'main.c'), 'int main(void) { return 0; }\n');
  assert.equal(ccSpawnSync('riscv64-linux-gnu-gcc', ['-o', dyn, path.join(tmp, 'main.c')]).status, 0);
  for (const prog of [notElf, dyn, process.execPath]) {
    const q = spawnSync('qemu-riscv64', [prog], { encoding: 'utf8' });
    const t = spawnSync(process.execPath, [cli, prog], { encoding: 'utf8', timeout: 60000 });
    assert.equal(t.status, q.status, `${prog}: ${t.stderr}`);
    assert.match(t.stderr, /^tsqemu-riscv64: [^\n]+\n$/);
    if (q.stderr) assert.equal(t.stderr.replace('tsqemu-riscv64', 'qemu-riscv64'), q.stderr);
  }
});
