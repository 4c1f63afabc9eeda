// tsqemu-riscv64's start-up code cache (src/host/node/code-cache.ts, issue 18): the command line
// runs as a CommonJS script compiled from a V8 code cache kept on disk. The first process makes
// the entry, the next ones use it; a truncated, damaged or foreign entry is ignored (the program
// still runs as under qemu-riscv64) and made again; the entry checks are also tested directly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ccSpawnSync } from './helpers/cc-cache.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const have = (c) => spawnSync('sh', ['-c', `command -v ${c}`]).status === 0;
const missing = !have('riscv64-linux-gnu-gcc') ? 'riscv64-linux-gnu-gcc' : !have('qemu-riscv64') ? 'qemu-riscv64' : null;
const bundled = fs.existsSync(path.join(root, 'dist/cli/riscv64-main.cjs')) ? null : 'no bundle (npm run build)';
const { readCodeCache, writeCodeCache, codeCacheFile, readAsciiScript } = await import(path.join(root, 'dist/host/node/code-cache.js'));

test('cache entries: a whole entry reads back; truncated, damaged or foreign ones are ignored', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tsqemu-cc-'));
  try {
    const env = { TSQEMU_CACHE_DIR: tmp };
    const f = codeCacheFile('t', 'var a = 1;', env);
    assert.ok(f.startsWith(tmp + path.sep));
    assert.notEqual(codeCacheFile('t', 'var a = 2;', env), f, 'named by the contents');
    assert.equal(codeCacheFile('t', 'x', { TSQEMU_CACHE_DIR: 'off' }), null);
    const data = Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 7) & 0xff));
    writeCodeCache(f, data);
    assert.deepEqual(readCodeCache(f), data);
    assert.deepEqual(fs.readdirSync(tmp), [path.basename(f)], 'no temporary file left');
    const whole = fs.readFileSync(f);
    for (const bad of [whole.subarray(0, whole.length - 1), whole.subarray(0, 10), Buffer.alloc(0), Buffer.from('garbage that is long enough')]) {
      fs.writeFileSync(f, bad);
      assert.equal(readCodeCache(f), undefined, `${bad.length} bytes`);
    }
    const flipped = Buffer.from(whole);
    flipped[3000] ^= 0x10;
    fs.writeFileSync(f, flipped);
    assert.equal(readCodeCache(f), undefined, 'one byte changed');
    assert.equal(readCodeCache(path.join(tmp, 'none')), undefined);
  } finally { fs.rmSync(tmp, { recursive: true, force: true }); }
});

test('tsqemu-riscv64 makes, uses and remakes its code cache; the program runs as under qemu-riscv64', { skip: missing ?? bundled ?? false }, () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tsqemu-cc-'));
  try {
    const prog = path.join(tmp, 'hello');
    fs.writeFileSync(path.join(tmp, 'hello.c'), '#include <stdio.h>\nint main(int c, char **v) { printf("hello %d %s\\n", c, v[c - 1]); return 3; }\n');
    const b = ccSpawnSync('riscv64-linux-gnu-gcc', ['-O2', '-o', prog, path.join(tmp, 'hello.c')], { encoding: 'utf8' });
    assert.equal(b.status, 0, b.stderr);
    const args = ['-L', '/usr/riscv64-linux-gnu', prog, 'x'];
    const want = spawnSync('qemu-riscv64', args, { encoding: 'utf8' });
    assert.equal(want.status, 3);
    const cacheDir = path.join(tmp, 'cache');
    const run = (expect) => {
      const r = spawnSync(path.join(root, 'bin/tsqemu-riscv64'), args, { encoding: 'utf8', env: { ...process.env, TSQEMU_JIT_INFO: '1', TSQEMU_CACHE_DIR: cacheDir } });
      assert.equal(r.status, want.status, r.stderr);
      assert.equal(r.stdout, want.stdout);
      assert.match(r.stderr, new RegExp(`^main code cache ${expect}$`, 'm'));
    };
    const entry = () => {
      const names = fs.readdirSync(cacheDir).filter((n) => n.startsWith('v8-riscv64-main-'));
      assert.equal(names.length, 1, names.join(' '));
      return path.join(cacheDir, names[0]);
    };
    // The first process generates the interpreter and writes no entry (its compiled functions
    // would include the generator's, start-up round 6); the next one writes it as it exits.
    run('none');
    assert.deepEqual(fs.readdirSync(cacheDir).filter((n) => n.startsWith('v8-riscv64-main-')), []);
    run('none');
    const whole = fs.readFileSync(entry());
    run('disk');
    // Truncated: ignored, written again whole.
    fs.writeFileSync(entry(), whole.subarray(0, whole.length >> 1));
    run('none');
    assert.equal(fs.readFileSync(entry()).length > 16, true);
    run('disk');
    // Damaged in its data (the header's CRC-32 no longer fits): ignored.
    const bad = fs.readFileSync(entry());
    bad[bad.length >> 1] ^= 0xff;
    fs.writeFileSync(entry(), bad);
    run('none');
    run('disk');
    // A cache directory that cannot be made (mkdir fails with ENOENT under /proc): no cache,
    // and no hang (Node's recursive mkdir retried forever there).
    const p = spawnSync(path.join(root, 'bin/tsqemu-riscv64'), args, { encoding: 'utf8', timeout: 120_000, env: { ...process.env, TSQEMU_JIT_INFO: '1', TSQEMU_CACHE_DIR: '/proc/tsqemu-no-such-dir/x' } });
    assert.equal(p.status, want.status, p.stderr);
    assert.equal(p.stdout, want.stdout);
    assert.match(p.stderr, /^main code cache none$/m);
    // TSQEMU_CACHE_DIR=off: no cache.
    const r = spawnSync(path.join(root, 'bin/tsqemu-riscv64'), args, { encoding: 'utf8', env: { ...process.env, TSQEMU_JIT_INFO: '1', TSQEMU_CACHE_DIR: 'off' } });
    assert.equal(r.stdout, want.stdout);
    assert.match(r.stderr, /^main code cache off$/m);
  } finally { fs.rmSync(tmp, { recursive: true, force: true }); }
});

// Start-up round 7: V8's entry holds only the functions its writer compiled. One written by a
// program that only ran the interpreter is written again, once, by a process whose translator
// ran (sha256sum then compiled the translator itself in every process: ~+33 ms of CPU).
test('an entry written by an interpreted program is written again once by a translating one', { skip: missing ?? bundled ?? false }, () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tsqemu-cc-'));
  try {
    const src = {
      hello: '#include <stdio.h>\nint main(void) { puts("hello"); return 0; }\n',
      loop: '#include <stdio.h>\nint main(void) { unsigned long s = 1; for (long i = 0; i < 20000000; i++) s = s * 6364136223846793005UL + i; printf("%lu\\n", s); return 0; }\n',
    };
    for (const [n, text] of Object.entries(src)) {
      fs.writeFileSync(path.join(tmp, `${n}.c`), text);
      const b = ccSpawnSync('riscv64-linux-gnu-gcc', ['-O1', '-o', path.join(tmp, n), path.join(tmp, `${n}.c`)], { encoding: 'utf8' });
      assert.equal(b.status, 0, b.stderr);
    }
    const cacheDir = path.join(tmp, 'cache');
    const run = (n, expect) => {
      const args = ['-L', '/usr/riscv64-linux-gnu', path.join(tmp, n)];
      const want = spawnSync('qemu-riscv64', args, { encoding: 'utf8' });
      const r = spawnSync(path.join(root, 'bin/tsqemu-riscv64'), args, { encoding: 'utf8', env: { ...process.env, TSQEMU_JIT_INFO: '1', TSQEMU_CACHE_DIR: cacheDir } });
      assert.equal(r.status, want.status, r.stderr);
      assert.equal(r.stdout, want.stdout);
      assert.match(r.stderr, new RegExp(`^main code cache ${expect}$`, 'm'));
      return r.stderr;
    };
    const entry = () => {
      const names = fs.readdirSync(cacheDir).filter((n) => n.startsWith('v8-riscv64-main-'));
      assert.equal(names.length, 1, names.join(' '));
      return fs.readFileSync(path.join(cacheDir, names[0]));
    };
    run('hello', 'none');
    run('hello', 'none');
    const interpreted = entry();
    assert.equal(interpreted.readUInt32LE(16), 0, 'level 0: the interpreter only');
    assert.match(run('loop', 'disk'), /^TB count +[1-9]/m);
    const translated = entry();
    assert.equal(translated.readUInt32LE(16), 1, 'level 1: the translator ran');
    assert.ok(translated.length > interpreted.length, `${translated.length} > ${interpreted.length}`);
    run('loop', 'disk');
    run('hello', 'disk');
    assert.deepEqual(entry(), translated, 'written once; a lower level does not write it again');
  } finally { fs.rmSync(tmp, { recursive: true, force: true }); }
});

test('scripts are read as bytes: ASCII only, the same entry name as for their text', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tsqemu-cc-'));
  try {
    const env = { TSQEMU_CACHE_DIR: tmp };
    const f = path.join(tmp, 'a.cjs');
    fs.writeFileSync(f, 'module.exports = "x\\u00e9";\n');
    const t = readAsciiScript(f);
    assert.equal(t.source, fs.readFileSync(f, 'latin1'));
    assert.equal(codeCacheFile('t', t, env, f), codeCacheFile('t', t.source, env, f));
    fs.writeFileSync(f, 'module.exports = "x\u00e9";\n'); // UTF-8 bytes: latin1 would misread them
    assert.equal(readAsciiScript(f), null);
    assert.equal(readAsciiScript(path.join(tmp, 'none.cjs')), null);
  } finally { fs.rmSync(tmp, { recursive: true, force: true }); }
});

// Start-up round 7: the script's text is a string over the read buffer itself (tsqemu_v8's
// externalLatin1), not a second copy in V8's heap. A write to the bytes shows in the string (no
// copy), and the string outlives its buffer (the bytes are kept alive by it).
const v8AddonFile = path.join(root, 'native/build/Release/tsqemu_v8.node');
test('a script\'s text is not copied: an external string over the read bytes', { skip: fs.existsSync(v8AddonFile) ? false : 'no native addon tsqemu_v8 (npm run install)' }, () => {
  const r = spawnSync(process.execPath, ['--expose-gc', '-e', `
    const a = require(${JSON.stringify(v8AddonFile)});
    let b = Buffer.from('x'.repeat(100000) + 'tail');
    const s = a.externalLatin1(b);
    const before = s.slice(-4);
    b[b.length - 1] = 0x53; // 'S'
    const after = s.slice(-4);
    const view = a.externalLatin1(Buffer.from('..abc..').subarray(2, 5));
    b = null; globalThis.gc(); globalThis.gc();
    new Array(2e5).fill(0).map((_, i) => ({ i }));
    globalThis.gc();
    process.stdout.write(JSON.stringify([before, after, s.length, s.slice(0, 3), view, a.externalLatin1('no view') ?? null]));
  `], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), ['tail', 'taiS', 100004, 'xxx', 'abc', null]);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tsqemu-cc-'));
  try {
    const f = path.join(tmp, 'a.cjs');
    const text = '(function (exports, require, module, __filename, __dirname) {' + 'module.exports = 42;'.repeat(1000) + '\n})';
    fs.writeFileSync(f, text);
    assert.equal(readAsciiScript(f).source, text);
  } finally { fs.rmSync(tmp, { recursive: true, force: true }); }
});

// Start-up round 5: node:v8 (V8 flags), node:worker_threads (a worker only when one is made)
// and process.stdout to a file each load every stream class; a single-threaded program on the
// main thread and --version need none of them.
test('a program on the main thread and --version load no node:stream, node:v8 or node:worker_threads', { skip: missing ?? bundled ?? false }, () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tsqemu-cc-'));
  try {
    const prog = path.join(tmp, 'hello');
    fs.writeFileSync(path.join(tmp, 'hello.c'), '#include <stdio.h>\nint main(int c, char **v) { printf("hello %d %s\\n", c, v[c - 1]); return 3; }\n');
    const b = ccSpawnSync('riscv64-linux-gnu-gcc', ['-O2', '-static', '-o', prog, path.join(tmp, 'hello.c')], { encoding: 'utf8' });
    assert.equal(b.status, 0, b.stderr);
    const want = spawnSync('qemu-riscv64', [prog, 'x'], { encoding: 'utf8' });
    const pre = path.join(tmp, 'mods.cjs');
    const list = path.join(tmp, 'mods.txt');
    fs.writeFileSync(pre, `process.on('exit', () => require('fs').writeFileSync(${JSON.stringify(list)}, process.moduleLoadList.join('\\n')));\n`);
    const env = { ...process.env, NODE_OPTIONS: `--require ${pre}`, TSQEMU_JIT_INFO: '1', TSQEMU_CACHE_DIR: path.join(tmp, 'cache') };
    for (const [args, out] of [[[prog, 'x'], 'pipe'], [['--version'], 'file']]) {
      const o = path.join(tmp, 'out.txt');
      const r = spawnSync('sh', ['-c', `"$0" "$@"${out === 'file' ? ` >${o}` : ''}`, path.join(root, 'bin/tsqemu-riscv64'), ...args], { encoding: 'utf8', env });
      const stdout = out === 'file' ? fs.readFileSync(o, 'utf8') : r.stdout;
      if (args[0] === prog) {
        assert.equal(r.status, want.status, r.stderr);
        assert.equal(stdout, want.stdout);
        assert.match(r.stderr, /^thread 0: on the main thread to the end$/m);
      } else assert.match(stdout, /^tsqemu-riscv64 version \d/);
      const mods = fs.readFileSync(list, 'utf8').split('\n');
      for (const m of ['NativeModule stream', 'NativeModule v8', 'NativeModule worker_threads']) assert.ok(!mods.includes(m), `${args[0]}: ${m} loaded`);
    }
  } finally { fs.rmSync(tmp, { recursive: true, force: true }); }
});

// Start-up round 6: isatty (a guest's ioctl TCGETS, made by most C programs on stdout) answered
// without node:tty, which loads node:net and every stream class (~15 ms of CPU); the answers are
// still the host's: a file or /dev/null is no tty (ENOTTY), a pty is one (under script(1)).
test('isatty from the guest loads no node:tty or node:net, and answers as qemu-riscv64', { skip: missing ?? bundled ?? false }, () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tsqemu-cc-'));
  try {
    const prog = path.join(tmp, 'tty');
    fs.writeFileSync(path.join(tmp, 'tty.c'), `#include <stdio.h>
#include <unistd.h>
#include <errno.h>
int main(void) {
  char b[128];
  int n = 0;
  for (int fd = 0; fd < 4; fd++) { errno = 0; int t = isatty(fd); n += snprintf(b + n, sizeof b - n, "%d:%d:%d ", fd, t, t ? 0 : errno); }
  b[n++] = '\\n';
  write(2, b, n);
  return 0;
}
`);
    const b = ccSpawnSync('riscv64-linux-gnu-gcc', ['-O2', '-static', '-o', prog, path.join(tmp, 'tty.c')], { encoding: 'utf8' });
    assert.equal(b.status, 0, b.stderr);
    const pre = path.join(tmp, 'mods.cjs');
    const list = path.join(tmp, 'mods.txt');
    fs.writeFileSync(pre, `process.on('exit', () => require('fs').writeFileSync(${JSON.stringify(list)}, process.moduleLoadList.join('\\n')));\n`);
    const env = { ...process.env, NODE_OPTIONS: `--require ${pre}`, TSQEMU_CACHE_DIR: path.join(tmp, 'cache') };
    const run = (emu) => spawnSync('sh', ['-c', '"$0" "$1" </dev/null >/dev/null', emu, prog], { encoding: 'utf8', env });
    const want = run('qemu-riscv64');
    assert.match(want.stderr, /^0:0:25 1:0:25 2:0:25 3:0:9 $/m);
    const r = run(path.join(root, 'bin/tsqemu-riscv64'));
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr, want.stderr);
    const mods = fs.readFileSync(list, 'utf8').split('\n');
    for (const m of ['NativeModule tty', 'NativeModule net', 'NativeModule stream']) assert.ok(!mods.includes(m), `${m} loaded`);
    if (have('script')) {
      const pty = (emu) => spawnSync('script', ['-qec', `"${emu}" "${prog}"`, '/dev/null'], { encoding: 'utf8', env: { ...process.env, TSQEMU_CACHE_DIR: path.join(tmp, 'cache') } });
      const q = pty('qemu-riscv64');
      assert.match(q.stdout, /0:1:0 1:1:0 2:1:0 3:0:9/);
      assert.equal(pty(path.join(root, 'bin/tsqemu-riscv64')).stdout, q.stdout);
    }
  } finally { fs.rmSync(tmp, { recursive: true, force: true }); }
});

// The entry holds what the first run compiled: one made by --version lacked most of what a
// program needs, and every later run compiled that itself (start-up round 5).
test('--version, --help and a bad option write no code cache entry; the next program run does', { skip: bundled ?? false }, () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tsqemu-cc-'));
  try {
    const env = { ...process.env, TSQEMU_JIT_INFO: '1', TSQEMU_CACHE_DIR: tmp };
    const bin = path.join(root, 'bin/tsqemu-riscv64');
    for (const [args, status] of [[['--version'], 0], [['--help'], 0], [['-no-such-option'], 1]]) {
      const r = spawnSync(bin, args, { encoding: 'utf8', env });
      assert.equal(r.status, status, r.stderr);
      assert.match(r.stderr, /^main code cache none$/m);
      assert.deepEqual(fs.readdirSync(tmp).filter((n) => n.startsWith('v8-riscv64-main-')), [], args[0]);
    }
    if (missing) return;
    const prog = path.join(tmp, 'true');
    fs.writeFileSync(`${prog}.c`, 'int main(void) { return 5; }\n');
    const b = ccSpawnSync('riscv64-linux-gnu-gcc', ['-O2', '-static', '-o', prog, `${prog}.c`], { encoding: 'utf8' });
    assert.equal(b.status, 0, b.stderr);
    for (const made of [0, 1]) { // (the first generates the interpreter: no entry, as above)
      const r = spawnSync(bin, [prog], { encoding: 'utf8', env });
      assert.equal(r.status, 5, r.stderr);
      assert.equal(fs.readdirSync(tmp).filter((n) => n.startsWith('v8-riscv64-main-')).length, made);
    }
    const v = spawnSync(bin, ['--version'], { encoding: 'utf8', env });
    assert.match(v.stderr, /^main code cache disk$/m);
  } finally { fs.rmSync(tmp, { recursive: true, force: true }); }
});
