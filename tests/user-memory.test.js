// Guest memory: anonymous memory reads as zeros however it comes back (tests/linux-user/
// mmapzero.c, compared with qemu-riscv64), and reserving or freeing large ranges gives host
// memory back instead of writing zeros over it, so the emulator's peak RSS stays near what the
// guest touches (before: mmapzero 1.6 GB, a gccgo program 870 MB). Peak RSS from /usr/bin/time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ccSpawnSync } from './helpers/cc-cache.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cli = path.join(root, 'dist/cli/riscv64.js');
const have = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const missing = !have('riscv64-linux-gnu-gcc') ? 'riscv64-linux-gnu-gcc' : !have('qemu-riscv64') ? 'qemu-riscv64' : null;
const noTime = fs.existsSync('/usr/bin/time') ? null : '/usr/bin/time not installed';
const noSys = fs.existsSync(path.join(root, 'native/build/Release/tsqemu_sys.node')) ? null : 'native addon tsqemu_sys not built';
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tsqemu-mem-'));
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));

/** Run argv without blocking (qemu-riscv64 and ours run at the same time): stdout, stderr, status. */
function runAsync(argv, env = process.env) {
  return new Promise((resolve) => {
    const child = spawn(argv[0], argv.slice(1), { env });
    child.stdin.end(); // an empty pipe, as spawnSync's
    let stdout = '', stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 180000);
    child.stdout.setEncoding('utf8').on('data', (d) => { stdout += d; });
    child.stderr.setEncoding('utf8').on('data', (d) => { stderr += d; });
    child.on('close', (status, signal) => { clearTimeout(timer); resolve({ stdout, stderr, status, signal }); });
  });
}

/** Run under /usr/bin/time: stdout, status and peak RSS in MiB. */
let measures = 0;
async function measured(cmd, args, env = process.env) {
  const rss = path.join(tmp, `rss-${measures++}`);
  const r = await runAsync(['/usr/bin/time', '-o', rss, '-f', '%M', cmd, ...args], env);
  return { stdout: r.stdout, status: r.status, rssMiB: Number(fs.readFileSync(rss, 'utf8').trim().split('\n').pop()) / 1024 };
}

test('mmapzero: zeros after mmap/MAP_FIXED/madvise/mremap/munmap, cheap reservations', { skip: missing ?? noTime ?? noSys ?? false }, async () => {
  const prog = path.join(tmp, 'mmapzero');
  const b = ccSpawnSync('riscv64-linux-gnu-gcc', ['-O1', '-static', '-o', prog, path.join(root, 'tests/linux-user/mmapzero.c')], { encoding: 'utf8' });
  assert.equal(b.status, 0, b.stderr);
  const [want, got] = await Promise.all([runAsync(['qemu-riscv64', prog]), measured(process.execPath, [cli, prog])]);
  assert.equal(got.stdout, want.stdout);
  assert.equal(got.status, want.status);
  // 2 GiB reserved, 8 MiB x 4 and 2 MiB x 4 touched: nowhere near the 1.6 GB of writing zeros.
  assert.ok(got.rssMiB < 600, `peak RSS ${got.rssMiB} MiB`);
});

const noGccgo = missing ?? noTime ?? noSys ?? (have('riscv64-linux-gnu-gccgo') ? null : 'riscv64-linux-gnu-gccgo');
test('gccgo program: peak RSS far below the arenas Go reserves', { skip: noGccgo ?? false }, async () => {
  const prog = path.join(tmp, 'goroutines');
  const b = ccSpawnSync('riscv64-linux-gnu-gccgo', ['-static', '-o', prog, path.join(root, 'tests/linux-user/goroutines.go')], { encoding: 'utf8' });
  assert.equal(b.status, 0, b.stderr);
  const [want, got] = await Promise.all([measured('qemu-riscv64', [prog]), measured(process.execPath, [cli, prog])]);
  assert.equal(got.stdout, want.stdout);
  // Node itself needs ~90 MiB; before, this program peaked at 850 MiB.
  assert.ok(got.rssMiB < 400, `peak RSS ${got.rssMiB} MiB (qemu-riscv64: ${want.rssMiB} MiB)`);
});

test('fork with a 512 MiB mapping copies only the written pages (was: all 547 MB through the image, 30 s a fork)', { skip: missing ?? noTime ?? noSys ?? false }, async () => {
  const prog = path.join(tmp, 'forkbig');
  const b = ccSpawnSync('riscv64-linux-gnu-gcc', ['-O1', '-static', '-o', prog, path.join(root, 'tests/linux-user/forkbig.c')], { encoding: 'utf8' });
  assert.equal(b.status, 0, b.stderr);
  const envs = [{}, { TSQEMU_NO_SYS: '1' }]; // with the host's page map, and scanning for zeros
  const [want, ...gots] = await Promise.all([runAsync(['qemu-riscv64', prog]),
    ...envs.map((env) => measured(process.execPath, [cli, prog], { ...process.env, ...env }))]);
  assert.match(want.stdout, /child 2: same memory\nparent after: unchanged\n$/);
  for (const [i, env] of envs.entries()) {
    const got = gots[i];
    assert.equal(got.stdout, want.stdout);
    assert.equal(got.status, 0);
    // The parent held the image of every page of the mapping: 547 MB. (Without the addon mmap
    // writes its zeros: no bound there.)
    if (!env.TSQEMU_NO_SYS) assert.ok(got.rssMiB < 400, `peak RSS ${got.rssMiB} MiB`);
  }
});

// Pages are zeroed only when they may hold data (mmap.ts TOUCHED bitmap): small and large
// reuse, MAP_FIXED, mprotect, and fork after reservations, against qemu-riscv64; also without
// the addon (every zeroing is a write then).
test('mmaplazy: lazily zeroed memory reads as zeros, fork after reservations', { skip: missing ?? false }, async () => {
  const prog = path.join(tmp, 'mmaplazy');
  const b = ccSpawnSync('riscv64-linux-gnu-gcc', ['-O1', '-static', '-o', prog, path.join(root, 'tests/linux-user/mmaplazy.c')], { encoding: 'utf8' });
  assert.equal(b.status, 0, b.stderr);
  const envs = [{}, { TSQEMU_NO_SYS: '1' }];
  const [want, ...gots] = await Promise.all([runAsync(['qemu-riscv64', prog]), ...envs.map((env) => runAsync([process.execPath, cli, prog], { ...process.env, ...env }))]);
  assert.match(want.stdout, /remapped reservation: zeros 1 1/);
  for (const [i, env] of envs.entries()) {
    const got = gots[i];
    assert.equal(got.stdout, want.stdout, JSON.stringify(env));
    assert.equal(got.status, want.status);
  }
});

// The interpreter module's bytes are cached on disk (host/node/wasm-cache.ts): a second run
// uses them, and a damaged entry is ignored (generated again), never run.
test('interpreter cache: written once, reused, damaged entries ignored', { skip: missing ?? false }, () => {
  const prog = path.join(tmp, 'hello-cache');
  fs.writeFileSync(prog + '.c', '#include <stdio.h>\nint main(void){puts("cached");return 0;}\n');
  const b = ccSpawnSync('riscv64-linux-gnu-gcc', ['-O1', '-static', '-o', prog, prog + '.c'], { encoding: 'utf8' });
  assert.equal(b.status, 0, b.stderr);
  const dir = path.join(tmp, 'cache');
  const run = () => spawnSync(process.execPath, [cli, prog], { encoding: 'utf8', env: { ...process.env, TSQEMU_CACHE_DIR: dir } });
  let r = run();
  assert.equal(r.stdout, 'cached\n', r.stderr);
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.wasm'));
  assert.equal(files.length, 1);
  const f = path.join(dir, files[0]);
  const mtime = fs.statSync(f).mtimeMs;
  r = run();
  assert.equal(r.stdout, 'cached\n', r.stderr);
  assert.equal(fs.statSync(f).mtimeMs, mtime, 'a valid entry is not written again');
  // Flip a byte of the module: the checksum no longer matches, the entry is regenerated.
  const buf = fs.readFileSync(f);
  buf[buf.length - 10] ^= 0xff;
  fs.writeFileSync(f, buf);
  r = run();
  assert.equal(r.stdout, 'cached\n', r.stderr);
  assert.notDeepEqual(fs.readFileSync(f), buf);
  r = spawnSync(process.execPath, [cli, prog], { encoding: 'utf8', env: { ...process.env, TSQEMU_CACHE_DIR: 'off' } });
  assert.equal(r.stdout, 'cached\n', r.stderr);
});

// TSQEMU_JIT_INFO=1: `info jit` at exit, with the translation cost per guest instruction.
test('TSQEMU_JIT_INFO prints the translation cost', { skip: missing ?? false }, () => {
  const prog = path.join(tmp, 'loop');
  fs.writeFileSync(prog + '.c', '#include <stdio.h>\nint main(void){unsigned long x=1;for(long i=0;i<300000;i++)x=x*31+i;printf("%lu\\n",x);return 0;}\n');
  const b = ccSpawnSync('riscv64-linux-gnu-gcc', ['-O1', '-static', '-o', prog, prog + '.c'], { encoding: 'utf8' });
  assert.equal(b.status, 0, b.stderr);
  const want = spawnSync('qemu-riscv64', [prog], { encoding: 'utf8' });
  const r = spawnSync(process.execPath, [cli, prog], { encoding: 'utf8', env: { ...process.env, TSQEMU_JIT_INFO: '1', TSQEMU_TCG_THRESHOLD: '20', TSQEMU_TCG_BATCH: '1000' } });
  assert.equal(r.stdout, want.stdout);
  const n = /translated code\s+(\d+) guest insns/.exec(r.stderr);
  assert.ok(n && Number(n[1]) > 0, r.stderr);
  assert.match(r.stderr, /translation cost\s+[0-9.]+ us\/insn \(decode [0-9.]+, emit [0-9.]+, compile [0-9.]+, instantiate [0-9.]+\)/);
  // The clock it was measured with: the thread's CPU time with the native addon, else wall time.
  const addon = fs.existsSync(path.join(root, 'native/build/Release/tsqemu_proc.node'));
  assert.match(r.stderr, addon ? /translation cost .* \[thread CPU time\]/ : /translation cost .* \[wall time\]/, r.stderr);
  const w = spawnSync(process.execPath, [cli, prog], { encoding: 'utf8', env: { ...process.env, TSQEMU_NO_NATIVE: '1', TSQEMU_JIT_INFO: '1', TSQEMU_TCG_THRESHOLD: '20', TSQEMU_TCG_BATCH: '1000' } });
  assert.equal(w.stdout, want.stdout);
  assert.match(w.stderr, /translation cost .* \[wall time\]/, w.stderr);
});
