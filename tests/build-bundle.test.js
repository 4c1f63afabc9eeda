// The bundled build (scripts/build-bundle.js): each Node entry point is one file that imports
// only Node's built-ins, and the bundles find what lives beside dist/ (native addons, the user
// worker, the CLI a fork spawns). bin/tsqemu-riscv64's malloc setting stays out of the guest.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { BUNDLE_ENTRIES, SCRIPT_ENTRIES, SCRIPT_LAZY_PACKAGES, memoizeToESM } = await import(path.join(ROOT, 'scripts/build-bundle.js'));
const have = (c) => spawnSync('sh', ['-c', `command -v ${c}`]).status === 0;
const skipUser = !have('riscv64-linux-gnu-gcc') ? 'riscv64-linux-gnu-gcc missing' : false;

test('every entry point is a single file importing only node: built-ins', () => {
  for (const out of Object.keys(BUNDLE_ENTRIES)) {
    const js = fs.readFileSync(path.join(ROOT, 'dist', `${out}.js`), 'utf8');
    const specs = [...js.matchAll(/(?:^|[;\s])(?:import|export)\s[^"';]*?from\s*["']([^"']+)["']|import\(["']([^"']+)["']\)/gm)].map((m) => m[1] ?? m[2]);
    assert.ok(specs.length > 0, `${out}: no imports found (not an ES module?)`);
    // The CLIs' entries run cli/*-main.cjs (code-cache.ts); tsc's module only if that is missing.
    const mains = { 'cli/riscv64': './riscv64-main.js', 'cli/img': './img-main.js', 'cli/system-riscv64': './system-riscv64-main.js' };
    const allowed = mains[out] ? [mains[out]] : [];
    assert.deepEqual(specs.filter((s) => !s.startsWith('node:')), allowed, `${out} imports other files`);
  }
  // The CommonJS scripts: one file each, requiring only built-ins (user-thread: its fallback).
  for (const out of Object.keys(SCRIPT_ENTRIES)) {
    const js = fs.readFileSync(path.join(ROOT, 'dist', `${out}.cjs`), 'latin1');
    assert.doesNotMatch(js, /[^\x00-\x7f]/, `${out}.cjs is not ASCII`);
    const reqs = [...js.matchAll(/\b(?:require|import)\(["']([^"']+)["']\)/g)].map((m) => m[1]);
    assert.ok(reqs.length > 0, `${out}.cjs: no require found`);
    const allowed = out === 'host/node/user-thread' ? ['./user-worker.js'] : (SCRIPT_LAZY_PACKAGES?.[out] ?? []);
    assert.deepEqual([...new Set(reqs.filter((s) => !s.startsWith('node:')))], allowed, `${out}.cjs requires other files`);
    // Scripts run as a vm.Script with a V8 code cache (code-cache.ts), where import() throws
    // ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING: built-ins must come by require (lazy-builtin.ts).
    if (out !== 'host/node/user-thread') assert.doesNotMatch(js, /\bimport\(/, `${out}.cjs calls import()`);
  }
});

test('tsqemu-img (bundled) finds the native addon beside dist/', { skip: fs.existsSync(path.join(ROOT, 'native/build/Release/tsqemu_sys.node')) ? false : 'addon not built' }, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsqemu-bundle-'));
  try {
    const img = path.join(dir, 'a.qcow2');
    const r = spawnSync(path.join(ROOT, 'bin/tsqemu-img'), ['create', '-f', 'qcow2', img, '1M'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const info = spawnSync(path.join(ROOT, 'bin/tsqemu-img'), ['info', img], { encoding: 'utf8' });
    assert.equal(info.status, 0, info.stderr);
    assert.doesNotMatch(info.stderr, /not built/); // image locking needs tsqemu_sys
    assert.match(info.stdout, /file format: qcow2/);
  } finally { fs.rmSync(dir, { recursive: true, force: true }); }
});

test('bin/tsqemu-riscv64: worker, fork and malloc setting from the bundle', { skip: skipUser }, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsqemu-bundle-'));
  try {
    const c = path.join(dir, 'envfork.c');
    // Prints its environment, then forks: the child (another emulator, started from the
    // bundle's own path) exits 7 and the parent reports it.
    fs.writeFileSync(c, `#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>
int main(int argc, char **argv, char **envp) {
  for (char **e = envp; *e; e++) puts(*e);
  fflush(stdout);
  pid_t p = fork();
  if (p == 0) _exit(7);
  int st; waitpid(p, &st, 0);
  printf("child status %d\\n", WEXITSTATUS(st));
  return 0;
}
`);
    const exe = path.join(dir, 'envfork');
    execFileSync('riscv64-linux-gnu-gcc', ['-O1', '-o', exe, c]);
    const bin = path.join(ROOT, 'bin/tsqemu-riscv64');
    const env = { ...process.env };
    delete env.MALLOC_ARENA_MAX;
    delete env.GLIBC_TUNABLES;
    const r = spawnSync(bin, ['-L', '/usr/riscv64-linux-gnu', exe], { encoding: 'utf8', env: { ...env, TSQEMU_BUNDLE_TEST: 'x1' } });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^TSQEMU_BUNDLE_TEST=x1$/m);
    assert.doesNotMatch(r.stdout, /MALLOC_ARENA_MAX|TSQEMU_MALLOC_ARENA|GLIBC_TUNABLES/);
    assert.match(r.stdout, /^child status 7$/m);
    // The user's own setting is the guest's too.
    const u = spawnSync(bin, ['-L', '/usr/riscv64-linux-gnu', exe], { encoding: 'utf8', env: { ...env, MALLOC_ARENA_MAX: '3', GLIBC_TUNABLES: 'glibc.malloc.check=0' } });
    assert.equal(u.status, 0, u.stderr);
    assert.match(u.stdout, /^MALLOC_ARENA_MAX=3$/m);
    assert.match(u.stdout, /^GLIBC_TUNABLES=glibc\.malloc\.check=0$/m);
    // NODE_EXTRA_CA_CERTS is the guest's, not node's (node would load it at start-up: a file
    // that does not exist makes it warn), in the forked child too.
    const ca = spawnSync(bin, ['-L', '/usr/riscv64-linux-gnu', exe], { encoding: 'utf8', env: { ...env, NODE_EXTRA_CA_CERTS: path.join(dir, 'no-such-ca.pem') } });
    assert.equal(ca.status, 0, ca.stderr);
    assert.match(ca.stdout, /^NODE_EXTRA_CA_CERTS=.*no-such-ca\.pem$/m);
    assert.doesNotMatch(ca.stdout, /TSQEMU_NODE_EXTRA_CA_CERTS/);
    assert.match(ca.stdout, /^child status 7$/m);
    assert.doesNotMatch(ca.stderr, /extra certs/i);
  } finally { fs.rmSync(dir, { recursive: true, force: true }); }
});

// esbuild's __toESM copied node:fs once per importing module at every start-up (start-up round 5).
test('the CommonJS scripts make one __toESM copy per built-in module', () => {
  for (const out of ['cli/riscv64-main', 'host/node/user-worker']) {
    const text = fs.readFileSync(path.join(ROOT, 'dist', `${out}.cjs`), 'latin1');
    assert.match(text, /__toESMDone/, `${out}: __toESM not patched (esbuild's helper changed?)`);
  }
  const helper = fs.readFileSync(path.join(ROOT, 'dist/cli/riscv64-main.cjs'), 'latin1');
  const end = helper.indexOf('\n));\n', helper.indexOf('\nvar __toESM = (')) + 5;
  const head = helper.slice(helper.indexOf('var __create'), end);
  const f = new Function('require', `${memoizeToESM(`\n${head}`)}\nreturn __toESM;`);
  const toESM = f(() => null);
  const a = toESM(fs, 1), b = toESM(fs, 1);
  assert.equal(a, b, 'one copy');
  assert.equal(a.readFileSync, fs.readFileSync);
  assert.equal(a.default, fs);
  assert.equal(memoizeToESM('no helper here'), 'no helper here');
});

// bin/tsqemu-riscv64 runs node with one V8 platform thread on a host of one or two CPUs (a Go
// program's peak RSS ~4 MiB less: fewer TurboFan jobs at once); a pool size in NODE_OPTIONS
// is the user's.
test('the launcher sizes V8\'s thread pool by the host\'s CPUs', () => {
  const bin = path.join(ROOT, 'bin/tsqemu-riscv64');
  const busybox = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tsqemu-pool-')), 'busybox');
  fs.writeFileSync(busybox, zlib.gunzipSync(fs.readFileSync(path.join(ROOT, 'images/busybox.gz'))), { mode: 0o755 });
  const online = fs.readFileSync('/sys/devices/system/cpu/online', 'utf8').trim();
  const argsOf = (env) => {
    const p = spawn(bin, [busybox, 'sleep', '2'], { env: { ...process.env, ...env }, stdio: 'ignore' });
    return new Promise((resolve, reject) => {
      setTimeout(() => {
        let cmd = '';
        try { cmd = fs.readFileSync(`/proc/${p.pid}/cmdline`, 'latin1').split('\0').join(' '); } catch (e) { reject(e); }
        p.kill();
        p.on('exit', () => resolve(cmd));
      }, 700);
    });
  };
  return (async () => {
    const cmd = await argsOf({});
    assert.match(cmd, /riscv64\.c?js/, cmd);
    if (online === '0' || online === '0-1') assert.match(cmd, /--v8-pool-size=1 /, cmd);
    else assert.doesNotMatch(cmd, /--v8-pool-size/, cmd);
    assert.doesNotMatch(await argsOf({ NODE_OPTIONS: '--v8-pool-size=3' }), /--v8-pool-size=1/);
  })();
});
