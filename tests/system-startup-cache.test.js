// tsqemu-system-riscv64's start-up code cache (src/cli/system-riscv64.ts, host/node/code-cache.ts):
// the command line runs as a CommonJS script compiled from a V8 code cache kept on disk. The
// first process makes the entry, the next ones use it without writing it again; a damaged entry
// is ignored and made again; output and errors are the same with the cache off.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bundled = fs.existsSync(path.join(root, 'dist/cli/system-riscv64-main.cjs')) ? false : 'no bundle (npm run build)';
const BIN = path.join(root, 'bin/tsqemu-system-riscv64');

test('tsqemu-system-riscv64 makes, uses and remakes its code cache; output and errors as with it off', { skip: bundled }, () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tsqemu-cc-'));
  try {
    const run = (args, cache) => spawnSync(BIN, args, { encoding: 'utf8', env: { ...process.env, TSQEMU_CACHE_DIR: cache } });
    const entries = () => fs.readdirSync(tmp).filter((f) => f.startsWith('v8-system-riscv64-main-'));
    const off = run(['--version'], 'off');
    assert.equal(off.status, 0);
    const first = run(['--version'], tmp);
    assert.deepEqual([first.status, first.stdout, first.stderr], [0, off.stdout, '']);
    assert.equal(entries().length, 1, 'the first run made the entry');
    const file = path.join(tmp, entries()[0]);
    const made = fs.readFileSync(file);
    fs.utimesSync(file, 0, 0);
    const second = run(['--version'], tmp);
    assert.deepEqual([second.status, second.stdout], [0, off.stdout]);
    assert.equal(fs.statSync(file).mtimeMs, 0, 'a usable entry is not written again');
    const damaged = Buffer.from(made);
    damaged[damaged.length >> 1] ^= 0x40;
    fs.writeFileSync(file, damaged);
    const third = run(['--version'], tmp);
    assert.deepEqual([third.status, third.stdout], [0, off.stdout]);
    assert.ok(fs.readFileSync(file).equals(made) || fs.readFileSync(file).length > 16, 'made again');
    assert.notDeepEqual(fs.readFileSync(file), damaged);
    // An error goes through the cached script with QEMU's wording and status.
    const bad = ['-M', 'virt', '-bios', 'none', '-display', 'none', '-smp', 'bogus'];
    const e1 = run(bad, 'off'), e2 = run(bad, tmp);
    assert.notEqual(e1.status, 0);
    assert.deepEqual([e2.status, e2.stderr], [e1.status, e1.stderr]);
    assert.match(e2.stderr, /^tsqemu-system-riscv64: /);
  } finally { fs.rmSync(tmp, { recursive: true, force: true }); }
});
