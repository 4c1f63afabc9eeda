// CPU seconds (user + sys) of one guest program under several tsqemu builds or settings and
// qemu-riscv64, the commands run in turn N times (so load changes hit all of them alike); medians
// and ratios.
// Usage: node bench/user-ab.js RUNS NAME=BUILD_DIR[,SETTING...]... -- GUEST_PROGRAM [ARGS...]
//   e.g. node bench/user-ab.js 5 before=/tmp/old after=. -- /tmp/busybox sha256sum /tmp/data
//        node bench/user-ab.js 5 base=. b20m=.,--wasm-tiering-budget=20000000 t1k=.,TSQEMU_TCG_THRESHOLD=1000 -- ...
// BUILD_DIR: a tsqemu tree with dist/ built. A SETTING is a node/V8 flag (`--...`) or an
// environment variable (`NAME=VALUE`) for that variant only. Each variant runs as
// bin/tsqemu-riscv64 runs node (its malloc settings and V8 pool size), with a cache directory of
// its own (V8 refuses a code cache made under other flags, so variants sharing one would rewrite
// it at every run), and once before the counted runs to fill it (TSQEMU_AB_WARM=0: not).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const argv = process.argv.slice(2);
const runs = Number(argv.shift());
const sep = argv.indexOf('--');
if (!(runs > 0) || sep < 1 || sep === argv.length - 1) {
  console.error('usage: node bench/user-ab.js RUNS NAME=BUILD_DIR[,SETTING...]... -- GUEST_PROGRAM [ARGS...]');
  process.exit(2);
}
const prog = argv.slice(sep + 1);
const scratch = mkdtempSync(join(tmpdir(), 'tsqemu-ab-'));
let online = '';
try { online = readFileSync('/sys/devices/system/cpu/online', 'latin1').trim(); } catch { /* unknown */ }
const pool = online === '0' || online === '0-1' || (!online && cpus().length <= 2) ? ['--v8-pool-size=1'] : [];
const hostEnv = { ...process.env, MALLOC_ARENA_MAX: '2', GLIBC_TUNABLES: process.env.GLIBC_TUNABLES ?? 'glibc.malloc.hugetlb=1' };
delete hostEnv.NODE_EXTRA_CA_CERTS; // as bin/tsqemu-riscv64 (node parses every root certificate otherwise)

const cmds = argv.slice(0, sep).map((spec, i) => {
  const eq = spec.indexOf('=');
  if (eq < 1) { console.error(`user-ab: ${spec}: expected NAME=BUILD_DIR[,SETTING...]`); process.exit(2); }
  const [dir, ...settings] = spec.slice(eq + 1).split(',');
  const dist = join(resolve(dir), 'dist/cli');
  const entry = existsSync(join(dist, 'riscv64.cjs')) ? join(dist, 'riscv64.cjs') : join(dist, 'riscv64.js');
  const env = { ...hostEnv, TSQEMU_CACHE_DIR: join(scratch, String(i)) };
  const flags = [];
  for (const s of settings) {
    const e = s.indexOf('=');
    if (s.startsWith('--')) flags.push(s);
    else if (e > 0) env[s.slice(0, e)] = s.slice(e + 1);
    else { console.error(`user-ab: ${s}: a setting is --flag or NAME=VALUE`); process.exit(2); }
  }
  return [spec.slice(0, eq), [process.execPath, ...pool, ...flags, entry, ...prog], env];
});
cmds.push(['qemu', ['qemu-riscv64', ...prog], hostEnv]);

function cpuSeconds(n, cmd, env) {
  const r = spawnSync('/usr/bin/time', ['-f', '%U %S', ...cmd], { encoding: 'utf8', env, maxBuffer: 1 << 26 });
  const m = /([\d.]+) ([\d.]+)\s*$/.exec(r.stderr ?? '');
  if (r.status !== 0 || !m) { console.error(`${n}: exit ${r.status}: ${(r.stderr ?? '').slice(-300)}`); process.exitCode = 1; throw new Error('failed'); }
  return Number(m[1]) + Number(m[2]);
}
try {
  if (process.env.TSQEMU_AB_WARM !== '0') for (const [n, cmd, env] of cmds) cpuSeconds(n, cmd, env);
  const res = new Map(cmds.map(([n]) => [n, []]));
  const load = [loadavg()[0]];
  for (let i = 0; i < runs; i++) {
    // Alternate which goes first, so a change of load hits each variant at both ends of a round.
    const order = i % 2 ? [...cmds].reverse() : cmds;
    for (const [n, cmd, env] of order) res.get(n).push(cpuSeconds(n, cmd, env));
    load.push(loadavg()[0]);
  }
  const med = (a) => [...a].sort((x, y) => x - y)[a.length >> 1];
  const q = med(res.get('qemu'));
  console.log(`CPU seconds, median of ${runs} (load average ${Math.min(...load).toFixed(1)}-${Math.max(...load).toFixed(1)})`);
  for (const [n, a] of res) console.log(`${n.padEnd(10)} ${med(a).toFixed(2)} s  ${(med(a) / q).toFixed(2)}x QEMU  (${Math.min(...a).toFixed(2)}-${Math.max(...a).toFixed(2)})  [${a.map((x) => x.toFixed(2)).join(' ')}]`);
} catch (e) {
  if (process.exitCode !== 1) throw e;
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
