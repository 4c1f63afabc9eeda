// tsqemu-riscv64's -r, -seed, -p, -s, -B, -R against qemu-riscv64: a static program prints
// uname's release and 4 bytes of AT_RANDOM.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT, hasTool, tmpdir } from './system-helpers.js';
import { ccSpawnSync } from './helpers/cc-cache.js';

const BIN = path.join(ROOT, 'bin', 'tsqemu-riscv64');
const skip = !hasTool('riscv64-linux-gnu-gcc') || !hasTool('qemu-riscv64') ? 'needs riscv64-linux-gnu-gcc and qemu-riscv64' : false;
const dir = tmpdir();
const prog = path.join(dir, 'uname');
if (!skip) {
  fs.writeFileSync(`${prog}.c`, `#include <stdio.h>
#include <sys/auxv.h>
#include <sys/utsname.h>
int main(void) { struct utsname u; uname(&u); unsigned char *r = (unsigned char *)getauxval(AT_RANDOM);
  printf("%s %02x%02x%02x%02x\\n", u.release, r[0], r[1], r[2], r[3]); return 0; }
`);
  ccSpawnSync('riscv64-linux-gnu-gcc', ['-static', '-O2', '-o', prog, `${prog}.c`]);
}
const run = (cmd, args) => spawnSync(cmd, [...args, prog], { encoding: 'utf8', timeout: 60_000 });

test('-r sets the release, -seed repeats AT_RANDOM (as qemu-riscv64)', { skip, timeout: 120_000 }, () => {
  for (const cmd of ['qemu-riscv64', BIN]) {
    const a = run(cmd, ['-r', '9.9.9', '-seed', '42']), b = run(cmd, ['-r', '9.9.9', '-seed', '42']);
    assert.equal(a.status, 0, a.stderr);
    assert.match(a.stdout, /^9\.9\.9 [0-9a-f]{8}\n$/, cmd);
    assert.equal(a.stdout, b.stdout, `${cmd}: the same seed, the same bytes`);
    const c = run(cmd, ['-seed', '43']);
    assert.notEqual(c.stdout.split(' ')[1], a.stdout.split(' ')[1]);
  }
});

test('bad or unsupported values are refused with one line naming the option', { skip, timeout: 60_000 }, () => {
  let r = run(BIN, ['-seed', 'x']);
  assert.equal(r.status, 1);
  assert.equal(r.stderr, 'tsqemu-riscv64: cannot initialize crypto: Invalid seed number: x\n');
  assert.equal(run('qemu-riscv64', ['-seed', 'x']).status, 1);
  for (const [o, v] of [['-B', '0x100000000'], ['-R', '1G'], ['-s', '1M']]) {
    r = run(BIN, [o, v]);
    assert.equal(r.status, 1, `${o} ${v}`);
    assert.match(r.stderr, new RegExp(`^tsqemu-riscv64: ${o} ${v}: .* is not supported by tsqemu\\n$`));
  }
  r = run(BIN, ['-p', '8192']);
  assert.equal(r.status, 0);
  assert.match(r.stderr, /Deprecated page size option cannot change host page size \(4096\)/);
  assert.equal(run(BIN, ['-s', '8M']).status, 0);
});

test('a directory or a file without an execute bit is refused as qemu-riscv64 does (no crash)', { skip, timeout: 60_000 }, () => {
  const noExec = path.join(dir, 'uname-noexec');
  fs.copyFileSync(prog, noExec);
  fs.chmodSync(noExec, 0o644);
  for (const p of [dir, noExec]) {
    // qemu-riscv64 prints its "Error while loading" line with printf and _exit: lost on a pipe.
    assert.equal(spawnSync('qemu-riscv64', [p], { encoding: 'utf8' }).status, 1, p);
    const r = spawnSync(BIN, [p], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 1, r.stderr);
    assert.equal(r.stderr, `tsqemu-riscv64: Error while loading ${p}: Permission denied\n`);
  }
});

test.after(() => fs.rmSync(dir, { recursive: true, force: true }));
