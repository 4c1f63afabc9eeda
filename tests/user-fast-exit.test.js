// tsqemu-riscv64 ends with _exit() once Node's 'exit' listeners have run (src/host/node/fast-exit.ts,
// native/tsqemu_proc.c exitNow; issue 18's start-up): the guest's output through a pipe and a file is
// whole, the exit status is the guest's, the listeners (TSQEMU_JIT_INFO's report) still run, and the
// same holds without the addon (TSQEMU_NO_NATIVE: Node's own exit). Compared with qemu-riscv64.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const have = (c) => spawnSync('sh', ['-c', `command -v ${c}`]).status === 0;
const missing = !have('riscv64-linux-gnu-gcc') ? 'riscv64-linux-gnu-gcc' : !have('qemu-riscv64') ? 'qemu-riscv64' : null;
const addon = path.join(root, 'native/build/Release/tsqemu_proc.node');
const SYSROOT = '/usr/riscv64-linux-gnu';

// Long enough for V8 to start tiering the interpreter up (a few thousand instructions), then
// 3000 lines (more than a pipe holds) and exit(status) with stdio's buffers flushed by the guest.
const SRC = `#include <stdio.h>
#include <stdlib.h>
int main(int argc, char **argv) {
  unsigned long h = 5381;
  for (int i = 0; i < 200000; i++) h = h * 33 + (i ^ (h >> 7));
  for (int i = 0; i < 3000; i++) printf("line %d %lu\\n", i, h % 1000003);
  if (argc > 2) { FILE *f = fopen(argv[2], "w"); for (int i = 0; i < 500; i++) fprintf(f, "%d\\n", i); fclose(f); }
  exit(atoi(argv[1]));
}
`;

test('the addon has exitNow', { skip: fs.existsSync(addon) ? false : 'native addon not built' }, () => {
  assert.equal(typeof createRequire(import.meta.url)(addon).exitNow, 'function');
});

test('guest exit: status, piped and file output, exit listeners, with and without the addon, as qemu-riscv64', { skip: missing ?? false }, () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tsqemu-fastexit-'));
  try {
    const src = path.join(tmp, 'p.c'), bin = path.join(tmp, 'p');
    fs.writeFileSync(src, SRC);
    assert.equal(spawnSync('riscv64-linux-gnu-gcc', ['-O1', '-o', bin, src]).status, 0);
    const run = (cmd, status, out, env = {}) => spawnSync(cmd, ['-L', SYSROOT, bin, String(status), out], { encoding: 'utf8', env: { ...process.env, ...env }, maxBuffer: 1 << 24 });
    const ref = run('qemu-riscv64', 42, path.join(tmp, 'ref.txt'));
    assert.equal(ref.status, 42);
    assert.equal(ref.stdout.split('\n').length, 3001);
    const refFile = fs.readFileSync(path.join(tmp, 'ref.txt'), 'utf8');
    for (const env of [{}, { TSQEMU_NO_NATIVE: '1' }]) {
      for (const status of [0, 42]) {
        const out = path.join(tmp, `ours-${status}.txt`);
        const r = run(path.join(root, 'bin/tsqemu-riscv64'), status, out, { ...env, TSQEMU_JIT_INFO: '1' });
        const what = `${JSON.stringify(env)} status ${status}`;
        assert.equal(r.status, status, `${what}: ${r.stderr.slice(-300)}`);
        assert.equal(r.signal, null, what);
        assert.equal(r.stdout, ref.stdout, `${what}: stdout`);
        assert.equal(fs.readFileSync(out, 'utf8'), refFile, `${what}: file`);
        // Written by 'exit' listeners (riscv64.ts), before the process ends.
        assert.match(r.stderr, /main code cache \w+/, `${what}: exit listener`);
      }
    }
  } finally { fs.rmSync(tmp, { recursive: true, force: true }); }
});
