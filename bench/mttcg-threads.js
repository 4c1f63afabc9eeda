// Where thread=multi's CPU goes: boots the reference guest with -smp 2 (thread=multi, or the
// mode given), warms up, then runs the 2-job load of bench/mttcg.js (two busybox sha256sum of a
// 16 MiB tmpfs file at once) RUNS times and prints, per run, the guest's wall time and the CPU
// seconds each host thread of the emulator used in that window (/proc/PID/task/*/stat: the main
// thread, then the others by CPU: the two hart threads, V8's helpers), and the boot's time to the shell.
// PERF=file also records the first run with `perf record -p` (add
// NODE_OPTIONS=--perf-basic-prof to name the translated blocks: tb_<guest pc>).
// Usage: node bench/mttcg-threads.js [single|multi] [RUNS=3]
import { readFileSync, readdirSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { bootConsole, guestFiles, TOP } from './lib.js';

const MODE = process.argv[2] ?? 'multi';
const RUNS = Number(process.argv[3] ?? 3);
const g = guestFiles();
const args = ['-M', 'virt', '-m', '256M', '-smp', '2', '-nographic', '-kernel', g.kernel, '-initrd', g.initrd,
  '-append', 'console=ttyS0', '-accel', `tcg,thread=${MODE}`];
let n = 0;
async function sh(c, cmd, ms = 600_000) {
  const tag = `@@T${n++}@@`;
  const from = c.out.length;
  c.send(`${cmd}; echo '${tag.slice(0, 3)}''${tag.slice(3)}'\n`);
  await c.expect(new RegExp(tag), ms, from);
  return c.out.slice(from, c.out.indexOf(tag, from));
}
/** CPU seconds of each thread of process pid, by thread id. */
function threads(pid) {
  const o = {};
  for (const t of readdirSync(`/proc/${pid}/task`)) {
    try {
      const f = readFileSync(`/proc/${pid}/task/${t}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
      o[t] = (Number(f[11]) + Number(f[12])) / 100;
    } catch { /* the thread ended */ }
  }
  return o;
}
const c = bootConsole(join(TOP, 'bin', 'tsqemu-system-riscv64'), args);
const t0 = Date.now();
try {
  await c.expect(/# $/, 600_000, 0);
  const boot = threads(c.p.pid);
  console.log(`${MODE}: boot to the shell ${((Date.now() - t0) / 1000).toFixed(2)} s, CPU ${Object.values(boot).reduce((a, s) => a + s, 0).toFixed(2)} s`);
  await sh(c, 'dmesg -n 1');
  await sh(c, 'dd if=/dev/zero of=/tmp/z bs=1M count=16 2>/dev/null');
  const two = 'sha256sum /tmp/z >/dev/null & sha256sum /tmp/z >/dev/null & wait';
  await sh(c, two); // warm-up: translate on each hart
  for (let i = 0; i < RUNS; i++) {
    let perf = null;
    if (process.env.PERF && i === 0) {
      perf = spawn('perf', ['record', '-F', '999', '-o', process.env.PERF, '-p', String(c.p.pid)], { stdio: 'ignore' });
      await new Promise((r) => setTimeout(r, 500));
    }
    const t0 = threads(c.p.pid);
    const out = await sh(c, `a=$(cut -d' ' -f1 /proc/uptime); ${two}; b=$(cut -d' ' -f1 /proc/uptime); echo "T=$a $b"`);
    const t1 = threads(c.p.pid);
    if (perf) { perf.kill('SIGINT'); await new Promise((r) => perf.once('exit', r)); }
    const m = /T=([0-9.]+) ([0-9.]+)/.exec(out);
    const main = String(c.p.pid);
    const cpu = Object.entries(t1).filter(([tid]) => tid !== main).map(([tid, s]) => s - (t0[tid] ?? 0)).filter((s) => s >= 0.005).sort((a, b) => b - a);
    const mainCpu = t1[main] - t0[main];
    const total = cpu.reduce((a, s) => a + s, mainCpu);
    console.log(`${MODE} run ${i}: wall ${m ? (m[2] - m[1]).toFixed(2) : '?'} s, CPU ${total.toFixed(2)} s (main thread ${mainCpu.toFixed(2)}, others ${cpu.map((s) => s.toFixed(2)).join(' ')}), load ${loadavg()[0].toFixed(1)}`);
  }
  c.send('poweroff -f\n');
  await new Promise((r) => { c.p.once('exit', r); setTimeout(r, 20_000).unref(); });
} finally {
  setTimeout(() => c.p.kill('SIGKILL'), 3000).unref();
}
