// MTTCG speed-up: the reference guest with -smp 2 runs a 2-process compute job (two busybox
// sha256sum of a MIB-MiB tmpfs file at once) on tsqemu with -accel tcg,thread=single (every
// hart on one host thread, round-robin) and thread=multi (a thread per hart), and on
// qemu-system-riscv64 (Debian's 7.2, MTTCG). Each boot warms up first (both jobs once, so each
// hart's translations exist), then times RUNS jobs in the guest (/proc/uptime deltas: the guest
// clock follows the host's) and prints the median, one job alone for reference, and the
// speed-up of thread=multi over thread=single, with the CPU time the emulator spent on the 2 jobs
// (all its threads: on a loaded host the wall times mostly say how the OS shared the cores).
// Usage: node bench/mttcg.js [MIB=16] [RUNS=3] [ONE_RUNS=1] [only=single|multi|qemu,...]
// ONE_RUNS > 1 times the 1-job run that many times in each boot and prints its median and spread
// (thread=single's 1-job time used to vary 0.6-4 s within one boot: jump-cache evictions).
import { loadavg } from 'node:os';
import { readFileSync } from 'node:fs';
import { bootConsole, emitRows, ensureTools, fmt, guestFiles, median, TOP } from './lib.js';
import { join } from 'node:path';

const MIB = Number(process.argv[2] ?? 16);
const RUNS = Number(process.argv[3] ?? 3);
const ONE_RUNS = Number(process.argv[4] ?? 1);
const ONLY = process.argv[5] ? process.argv[5].split(',') : null;
ensureTools({ 'qemu-system-riscv64': 'qemu-system-misc' });
const g = guestFiles();
const common = ['-M', 'virt', '-m', '256M', '-smp', '2', '-nographic', '-kernel', g.kernel, '-initrd', g.initrd, '-append', 'console=ttyS0'];

let tagN = 0;
async function sh(c, cmd, ms = 600_000) {
  const tag = `@@T${tagN++}@@`;
  const from = c.out.length;
  c.send(`${cmd}; echo '${tag.slice(0, 3)}''${tag.slice(3)}'\n`);
  await c.expect(new RegExp(tag), ms, from);
  return c.out.slice(from, c.out.indexOf(tag, from));
}

const uptimeDelta = (out) => {
  const m = /T=([0-9.]+) ([0-9.]+)/.exec(out);
  return m ? Number(m[2]) - Number(m[1]) : NaN;
};

/** CPU seconds (user + system, all threads) the emulator process has used. */
function cpuSeconds(pid) {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
}

async function measure(name, cmd, args) {
  const c = bootConsole(cmd, [...common, ...args]);
  try {
    await c.expect(/tsqemu-guest: boot complete|Run \/init/, 300_000, 0);
    await c.expect(/# $/, 120_000, 0);
    // Kernel messages on the console (an "hrtimer: interrupt took" under host load) can split
    // the echoed tag: keep them off the console.
    await sh(c, 'dmesg -n 1');
    await sh(c, `dd if=/dev/zero of=/tmp/z bs=1M count=${MIB} 2>/dev/null`);
    const one = 'sha256sum /tmp/z >/dev/null';
    const two = 'sha256sum /tmp/z >/dev/null & sha256sum /tmp/z >/dev/null & wait';
    const time = (job) => `a=$(cut -d' ' -f1 /proc/uptime); ${job}; b=$(cut -d' ' -f1 /proc/uptime); echo "T=$a $b"`;
    await sh(c, two); // warm-up: translate on each hart
    const ones = [], oneCpus = [];
    for (let i = 0; i < ONE_RUNS; i++) {
      const c0 = cpuSeconds(c.p.pid);
      ones.push(uptimeDelta(await sh(c, time(one))));
      oneCpus.push(cpuSeconds(c.p.pid) - c0);
    }
    const t1 = median(ones);
    const spread = (xs) => `median ${fmt(median(xs))}, min ${fmt(Math.min(...xs))}, max ${fmt(Math.max(...xs))} (${xs.map((x) => fmt(x)).join(' ')})`;
    if (ONE_RUNS > 1) console.log(`${name}: 1 job x ${ONE_RUNS}: wall s ${spread(ones)}; CPU s ${spread(oneCpus)}`);
    const t2s = [], cpus = [];
    for (let i = 0; i < RUNS; i++) {
      const c0 = cpuSeconds(c.p.pid);
      t2s.push(uptimeDelta(await sh(c, time(two))));
      cpus.push(cpuSeconds(c.p.pid) - c0);
    }
    c.send('poweroff -f\n');
    if (process.env.TSQEMU_JIT_INFO === '1') { // info jit at exit: how much ran translated
      let err = '';
      c.p.stderr.on('data', (d) => { err += d; });
      await new Promise((r) => { c.p.once('exit', r); setTimeout(r, 20_000).unref(); });
      console.log(`${name}: ${err.split('\n').filter((l) => /translated insns|reinstall|TB count|invalidate/.test(l)).join('; ')}`);
    }
    return { name, one: t1, two: median(t2s), cpu: median(cpus) };
  } finally {
    setTimeout(() => c.p.kill('SIGKILL'), 5000).unref();
  }
}

const bin = join(TOP, 'bin', 'tsqemu-system-riscv64');
const rows = [];
const want = (k) => !ONLY || ONLY.includes(k);
const skip = (name) => ({ name, one: NaN, two: NaN, cpu: NaN });
rows.push(want('single') ? await measure('tsqemu thread=single', bin, ['-accel', 'tcg,thread=single']) : skip('tsqemu thread=single'));
rows.push(want('multi') ? await measure('tsqemu thread=multi', bin, ['-accel', 'tcg,thread=multi']) : skip('tsqemu thread=multi'));
rows.push(want('qemu') ? await measure('qemu-system-riscv64 (MTTCG)', 'qemu-system-riscv64', ['-bios', 'default', '-accel', 'tcg,thread=multi']) : skip('qemu-system-riscv64 (MTTCG)'));
console.log(`\nMTTCG: 2 x sha256sum of ${MIB} MiB in a -smp 2 guest (median of ${RUNS}; load ${loadavg().map((x) => x.toFixed(2)).join(' ')})`);
console.log(`${'emulator'.padEnd(30)} ${'1 job s'.padStart(8)} ${'2 jobs s'.padStart(9)} ${'2 jobs CPU s'.padStart(13)}`);
for (const r of rows) console.log(`${r.name.padEnd(30)} ${fmt(r.one).padStart(8)} ${fmt(r.two).padStart(9)} ${fmt(r.cpu).padStart(13)}`);
console.log(`speed-up of thread=multi over thread=single (2 jobs): ${fmt(rows[0].two / rows[1].two)}x (target >= 1.7x)`);
console.log(`tsqemu thread=multi vs QEMU (2 jobs): ${fmt(rows[1].two / rows[2].two)}x QEMU's time`);
if (!ONLY) emitRows('mttcg', [
  { name: 'MTTCG: thread=multi speed-up over single', ours: rows[0].two / rows[1].two, theirs: null, unit: 'x', goal: { of: 'ours', op: '>=', value: 1.7 }, note: `-smp 2, 2 x sha256sum ${MIB} MiB` },
  { name: 'MTTCG: 2 jobs, -smp 2, thread=multi', ours: rows[1].two, theirs: rows[2].two, unit: 's', goal: { of: 'ratio', op: '<=', value: 1.5 } },
]);
