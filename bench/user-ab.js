// CPU seconds (user + sys) of one guest program under several tsqemu builds and qemu-riscv64,
// the commands run in turn N times (so load changes hit all of them alike); medians and ratios.
// Usage: node bench/user-ab.js RUNS NAME=BUILD_DIR... -- GUEST_PROGRAM [ARGS...]
//   e.g. node bench/user-ab.js 5 before=/tmp/old after=. -- /tmp/busybox sha256sum /tmp/data
// (BUILD_DIR: a tsqemu tree with dist/ built).
import { spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';

const argv = process.argv.slice(2);
const runs = Number(argv.shift());
const sep = argv.indexOf('--');
if (!(runs > 0) || sep < 1 || sep === argv.length - 1) {
  console.error('usage: node bench/user-ab.js RUNS NAME=BUILD_DIR... -- GUEST_PROGRAM [ARGS...]');
  process.exit(2);
}
const builds = argv.slice(0, sep).map((s) => s.split('='));
const prog = argv.slice(sep + 1);
const cmds = [...builds.map(([n, d]) => [n, ['node', join(resolve(d), 'dist/cli/riscv64.js'), ...prog]]), ['qemu', ['qemu-riscv64', ...prog]]];
const res = new Map(cmds.map(([n]) => [n, []]));
for (let i = 0; i < runs; i++) {
  for (const [n, cmd] of cmds) {
    const r = spawnSync('/usr/bin/time', ['-f', '%U %S', ...cmd], { encoding: 'utf8', env: { ...process.env, MALLOC_ARENA_MAX: '2' }, maxBuffer: 1 << 26 });
    const m = /([\d.]+) ([\d.]+)\s*$/.exec(r.stderr ?? '');
    if (r.status !== 0 || !m) { console.error(`${n}: exit ${r.status}: ${(r.stderr ?? '').slice(-300)}`); process.exit(1); }
    res.get(n).push(Number(m[1]) + Number(m[2]));
  }
}
const med = (a) => [...a].sort((x, y) => x - y)[a.length >> 1];
const q = med(res.get('qemu'));
console.log(`CPU seconds, median of ${runs} (load ${loadavg().map((x) => x.toFixed(2)).join(' ')})`);
for (const [n, a] of res) console.log(`${n.padEnd(10)} ${med(a).toFixed(2)} s  ${(med(a) / q).toFixed(2)}x QEMU  [${a.map((x) => x.toFixed(2)).join(' ')}]`);
