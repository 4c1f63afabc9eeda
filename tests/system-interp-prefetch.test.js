// tsqemu-system-riscv64 compiles the interpreter's wasm at the very start, from the disk cache
// entry the previous run used (host/node/interp-prefetch.ts), so its TurboFan compile overlaps
// the start-up: the run names that entry in a hint file, the next one takes the module compiled
// from it (`info jit`: "interpreter compiled at start-up"), a damaged entry is generated again,
// and the V8 flags set around the compile leave the start-up code cache usable. (Without V8's code
// of the interpreter kept on disk, TSQEMU_INTERP_CODE=0: tests/interp-code-cache.test.js.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BIN = path.join(root, 'bin/tsqemu-system-riscv64');

/** A paused machine's `info jit` line on its interpreter. */
function interpreterOrigin(cache) {
  const r = spawnSync(BIN, ['-M', 'virt', '-m', '64M', '-display', 'none', '-S', '-bios', 'none', '-monitor', 'stdio', '-serial', 'none'],
    { input: 'info jit\nquit\n', encoding: 'utf8', env: { ...process.env, TSQEMU_CACHE_DIR: cache, TSQEMU_INTERP_CODE: '0' }, timeout: 120_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr, '');
  return /^interpreter\s+(.*)$/m.exec(r.stdout)?.[1];
}

test('the interpreter is compiled at start-up from the entry the last run used', { timeout: 600_000 }, () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tsqemu-prefetch-'));
  try {
    assert.equal(interpreterOrigin(tmp), 'generated');
    const hint = fs.readFileSync(path.join(tmp, 'system-interpreter.last'), 'latin1');
    assert.match(hint, /^[0-9a-z-]+\.wasm$/);
    const entry = path.join(tmp, hint);
    assert.ok(fs.existsSync(entry), 'the hint names the entry');
    assert.equal(interpreterOrigin(tmp), 'compiled at start-up');
    // The code cache made by these runs is used as it is (V8 rejects an entry made under other
    // flags; a rejected entry is written again).
    const cc = fs.readdirSync(tmp).filter((f) => f.startsWith('v8-system-riscv64-main-'));
    assert.equal(cc.length, 1);
    fs.utimesSync(path.join(tmp, cc[0]), 0, 0);
    assert.equal(interpreterOrigin(tmp), 'compiled at start-up');
    assert.equal(fs.statSync(path.join(tmp, cc[0])).mtimeMs, 0, 'the code cache entry was not rejected');
    // A damaged entry: the module compiled from it at start-up is not taken (the disk cache
    // refuses the entry, the interpreter is generated again and the entry made again).
    const buf = fs.readFileSync(entry);
    buf[buf.length - 100] ^= 0xff;
    fs.writeFileSync(entry, buf);
    assert.equal(interpreterOrigin(tmp), 'generated');
    assert.equal(interpreterOrigin(tmp), 'compiled at start-up');
    // A hint naming nothing usable is ignored.
    fs.writeFileSync(path.join(tmp, 'system-interpreter.last'), '../../etc/passwd');
    assert.equal(interpreterOrigin(tmp), 'from the disk cache');
    assert.equal(interpreterOrigin(tmp), 'compiled at start-up');
  } finally { fs.rmSync(tmp, { recursive: true, force: true }); }
});
