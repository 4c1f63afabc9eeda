// Guest-visible disk IOPS: boot the reference guest with a 256 MiB raw disk of random data on
// tsqemu (aio=threads, aio=io_uring) and on qemu-system-riscv64 (aio=threads, aio=io_uring), and
// run bench/prog/randread.c in the guest: THREADS threads of random 4 KiB O_DIRECT preads on
// /dev/vda for SECONDS, IOPS timed in the guest, RUNS runs per boot (median). The program is
// built here (riscv64-linux-gnu-gcc -static) and appended to the initramfs as a second archive.
// Same kernel, initrd, disk and load on every run, cache=writeback on the host; the disk file is
// fsync'd once written (its writeback would otherwise fall into the first emulator's runs).
// Each boot first warms up with the same number of reads on every emulator (GUEST_IO_WARMUP_READS,
// default 20000, at most WARMUP_MAX_S), not a fixed time: tsqemu translates a block after 5000
// executions, and the read path's blocks run once per read, so a time-based warm-up left the
// first measured runs partly interpreted, more so the slower the run (a loaded host); QEMU
// translates at the first execution and is warm either way. The warm-up's own IOPS and reads
// per CPU second are printed too (not counted in the medians).
// Usage: node bench/guest-io.js [THREADS=8] [SECONDS=3] [RUNS=3]  (GUEST_IO_WARMUP_READS=0: the old 1 s warm-up)
// GUEST_IO_BASE=<dir of another tsqemu checkout, built>: also measure that build ("tsqemu base")
// in the same run, for before/after ratios on a loaded machine.
// Debian's qemu-system-riscv64 7.2 sometimes hangs in this load (its guest stops answering):
// each QEMU boot has a time limit (QEMU_TIMEOUT_S, 120 s for the boot, SECONDS + 120 s per run,
// WARMUP_MAX_S + 120 s for the warm-up),
// then it is killed and retried (up to 3 attempts), and the table says so.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, openSync, writeSync, closeSync, fsyncSync, writeFileSync, readFileSync } from 'node:fs';
import { randomFillSync } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import { loadavg } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { emitRows, ensureTools } from './lib.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const THREADS = Number(process.argv[2] ?? 8);
const SECONDS = Number(process.argv[3] ?? 3);
const RUNS = Number(process.argv[4] ?? 3);
const SIZE_MIB = 256;
const WARMUP_READS = Number(process.env.GUEST_IO_WARMUP_READS ?? 20000);
const WARMUP_MAX_S = 30;
// GUEST_IO_AIO=io_uring: only those engines (a quicker run; the ratios need io_uring).
const AIOS = (process.env.GUEST_IO_AIO ?? 'threads,io_uring').split(',');
ensureTools({ 'qemu-system-riscv64': 'qemu-system-misc', 'riscv64-linux-gnu-gcc': 'gcc-riscv64-linux-gnu' });
const dir = mkdtempSync(join(process.env.TSQEMU_BENCH_DIR ?? here, '.guest-io-'));

/** One emulator with its console on pipes; expect() waits for a pattern in new output. */
function boot(cmd, args) {
  const p = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  p.stdout.on('data', (d) => { out += d; });
  p.stderr.on('data', (d) => { err += d; });
  const expect = (re, ms, from) => new Promise((resolve, reject) => {
    const t0 = Date.now();
    const poll = () => {
      const m = re.exec(out.slice(from));
      if (m) return resolve(m);
      if (Date.now() - t0 > ms || p.exitCode !== null) return reject(new Error(`${cmd}: no ${re}\n${out.slice(-1000)}\n${err}`));
      setTimeout(poll, 50);
    };
    poll();
  });
  return { p, expect, send: (s) => p.stdin.write(s), get out() { return out; } };
}

/** A newc cpio archive (what the kernel's initramfs unpacker reads) holding `files`. */
function newcArchive(files) {
  const parts = [];
  const pad4 = (n) => Buffer.alloc((4 - (n % 4)) % 4);
  let ino = 1000;
  const entry = (name, mode, data) => {
    const f = [ino++, mode, 0, 0, 1, Math.floor(Date.now() / 1000), data.length, 0, 0, 0, 0, name.length + 1, 0];
    const hdr = Buffer.from('070701' + f.map((v) => v.toString(16).padStart(8, '0')).join('') + name + '\0', 'latin1');
    parts.push(hdr, pad4(hdr.length), data, pad4(data.length));
  };
  for (const [name, data] of files) entry(name, 0o100755, data);
  entry('TRAILER!!!', 0, Buffer.alloc(0));
  return Buffer.concat(parts);
}

/** The guest load: bench/prog/randread.c, static riscv64, added to the initramfs as a second
 * (gzip'd newc) archive, which the kernel unpacks over the first. */
function initrdWithLoad() {
  const exe = join(dir, 'randread');
  execFileSync('riscv64-linux-gnu-gcc', ['-static', '-O2', '-pthread', '-o', exe, join(here, 'prog', 'randread.c')]);
  const initrd = join(dir, 'initrd.cpio.gz');
  writeFileSync(initrd, Buffer.concat([readFileSync(join(root, 'images', 'initramfs.cpio.gz')),
    gzipSync(newcArchive([['randread', readFileSync(exe)]]))]));
  return initrd;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** CPU seconds (user + system, every thread) the process `pid` has used so far. */
function cpuSeconds(pid) {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(f[11]) + Number(f[12])) / 100; // utime, stime: fields 14 and 15, USER_HZ = 100
  } catch { return NaN; }
}

const QEMU_TIMEOUT_MS = Number(process.env.QEMU_TIMEOUT_S ?? 120) * 1000;
const ATTEMPTS = 3;

/** measureOnce, retried when a run times out (`limitMs`: boot and per-run limit; 0: the defaults). */
async function measure(label, cmd, args, limitMs = 0) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await measureOnce(label, cmd, args, limitMs);
    } catch (e) {
      if (!limitMs || !(e instanceof TimeoutError)) throw e;
      hangs.push(label);
      if (attempt >= ATTEMPTS) {
        console.log(`# ${label}: no answer within its time limit in ${ATTEMPTS} attempts: no reference numbers for it`);
        return null;
      }
      console.log(`# ${label}: no answer within its time limit (attempt ${attempt} of ${ATTEMPTS}: ${e.message.split('\n')[0]}); killed, retrying`);
    }
  }
}
class TimeoutError extends Error {}
const hangs = [];

/** Boot, run the load RUNS times in the guest, power off; the IOPS of each run. */
async function measureOnce(label, cmd, args, limitMs) {
  const vm = boot(cmd, args);
  let killed = false;
  try {
    await vm.expect(/tsqemu-guest: boot complete/, limitMs || 300_000, 0);
    const runs = [];
    const perCpu = [];
    const irqPerRead = [];
    let warm = '';
    // The guest's virtio interrupts (all CPUs' columns of /proc/interrupts), read outside the
    // CPU-time window: QEMU's completions coalesce (~0.5-0.7 per read), ours come one per read.
    const irqs = async () => {
      const from = vm.out.length;
      vm.send("echo IRQS $(grep virtio /proc/interrupts | awk '{for (i = 2; i <= NF && $i ~ /^[0-9]+$/; i++) s += $i} END {print s + 0}') END\n");
      return Number((await vm.expect(/IRQS (\d+) END/, limitMs || 60_000, from))[1]);
    };
    for (let i = -1; i < RUNS; i++) { // run -1: the warm-up (WARMUP_READS reads: the emulator's JIT, the guest's caches), not counted
      const irq0 = i >= 0 ? await irqs() : 0;
      const from = vm.out.length;
      const cpu0 = cpuSeconds(vm.p.pid);
      vm.send(i < 0 ? `/randread /dev/vda ${THREADS} ${WARMUP_READS ? WARMUP_MAX_S : 1}${WARMUP_READS ? ` ${WARMUP_READS}` : ''}\n` : `/randread /dev/vda ${THREADS} ${SECONDS}\n`);
      const m = await vm.expect(/RANDREAD threads=\d+ reads=(\d+) seconds=([\d.]+) iops=(\d+)( READFAIL)?/, (i < 0 ? WARMUP_MAX_S : SECONDS) * 1000 + (limitMs || 120_000), from);
      if (m[4]) throw new Error(`${label}: a read failed`);
      // Reads per CPU second of the emulator (all its threads): the guest times its IOPS on a
      // clock that follows the host's, so a CPU-bound emulator that gets a smaller share of a
      // loaded host shows proportionally fewer IOPS; this one does not depend on the share.
      const rate = Math.round(Number(m[1]) / (cpuSeconds(vm.p.pid) - cpu0));
      if (i >= 0) irqPerRead.push((await irqs() - irq0) / Number(m[1]));
      if (i >= 0) { runs.push(Number(m[3])); perCpu.push(rate); } else warm = `${m[1]} reads in ${m[2]} s: ${m[3]} IOPS, ${rate}`;
    }
    console.log(`| ${label} | ${median(runs)} | ${runs.join(', ')} | ${median(perCpu)} | ${perCpu.join(', ')} | ${median(irqPerRead).toFixed(2)} | ${warm} |`);
    vm.send('poweroff -f\n');
    // The next boot opens the same disk: wait until this emulator has exited (and dropped its lock).
    const t = Date.now();
    await new Promise((resolve) => {
      if (vm.p.exitCode !== null || vm.p.signalCode !== null) return resolve();
      vm.p.once('exit', resolve);
      setTimeout(() => vm.p.kill('SIGKILL'), 10_000).unref();
    });
    if (Date.now() - t > 2000) console.log(`# ${label}: ${((Date.now() - t) / 1000).toFixed(1)} s from poweroff to exit`);
    return { iops: median(runs), perCpu: median(perCpu) };
  } catch (e) {
    if (vm.p.exitCode === null && /: no \//.test(e.message)) { killed = true; vm.p.kill('SIGKILL'); throw new TimeoutError(e.message); }
    throw e;
  } finally {
    if (!killed) setTimeout(() => vm.p.kill('SIGKILL'), 5000).unref();
  }
}

try {
  const disk = join(dir, 'disk.raw');
  const fd = openSync(disk, 'w');
  const chunk = Buffer.alloc(1 << 20);
  for (let i = 0; i < SIZE_MIB; i++) writeSync(fd, randomFillSync(chunk));
  fsyncSync(fd); // written back now, not during the first emulator's runs (the pages stay cached)
  closeSync(fd);
  const kernel = join(dir, 'Image');
  writeFileSync(kernel, gunzipSync(readFileSync(join(root, 'images', 'Image.gz'))));
  const initrd = initrdWithLoad();
  const common = ['-M', 'virt', '-m', '256M', '-smp', '1', '-nographic', '-kernel', kernel, '-initrd', initrd, '-append', 'console=ttyS0 quiet'];
  const drive = (aio) => ['-drive', `file=${disk},format=raw,if=virtio,cache=writeback,aio=${aio}`];
  console.log(`# guest random 4 KiB O_DIRECT reads on virtio-blk (bench/prog/randread.c: ${THREADS} threads, ${SECONDS} s, ` +
    `median of ${RUNS} runs per boot; ${SIZE_MIB} MiB raw disk, cache=writeback, -smp 1); load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  console.log(`# warm-up before the runs of each boot: ${WARMUP_READS ? `${WARMUP_READS} reads (at most ${WARMUP_MAX_S} s)` : '1 s'}`);
  console.log('| emulator, engine | IOPS (median) | runs | reads per CPU s (median) | runs | virtio interrupts per read (median) | warm-up (not counted): IOPS, reads per CPU s |');
  console.log('|---|---|---|---|---|---|---|');
  const r = {};
  for (const aio of AIOS) {
    r[`tsqemu ${aio}`] = await measure(`tsqemu aio=${aio}`, join(root, 'bin', 'tsqemu-system-riscv64'), [...common, ...drive(aio)]);
    if (process.env.GUEST_IO_BASE) {
      r[`base ${aio}`] = await measure(`tsqemu base aio=${aio}`, join(process.env.GUEST_IO_BASE, 'bin', 'tsqemu-system-riscv64'), [...common, ...drive(aio)]);
    }
  }
  if (spawnSync('qemu-system-riscv64', ['--version']).status === 0) {
    for (const aio of AIOS) {
      r[`qemu ${aio}`] = await measure(`qemu-system-riscv64 aio=${aio}`, 'qemu-system-riscv64', ['-bios', 'default', ...common, ...drive(aio)], QEMU_TIMEOUT_MS);
    }
    for (const aio of AIOS) {
      const q = r[`qemu ${aio}`];
      if (!q) continue;
      console.log(`ratio aio=${aio}: tsqemu/qemu IOPS ${(r[`tsqemu ${aio}`].iops / q.iops).toFixed(2)}, reads per CPU s ${(r[`tsqemu ${aio}`].perCpu / q.perCpu).toFixed(2)}` +
        (r[`base ${aio}`] ? `; base/qemu IOPS ${(r[`base ${aio}`].iops / q.iops).toFixed(2)}, reads per CPU s ${(r[`base ${aio}`].perCpu / q.perCpu).toFixed(2)}` : ''));
    }
    if (hangs.length) console.log(`# QEMU runs killed after their time limit and retried: ${hangs.join(', ')}`);
    const complete = AIOS.every((aio) => r[`qemu ${aio}`]);
    if (r['qemu io_uring']) console.log(`ratio tsqemu io_uring / qemu io_uring: IOPS ${(r['tsqemu io_uring'].iops / r['qemu io_uring'].iops).toFixed(2)}, ` +
      `reads per CPU second ${(r['tsqemu io_uring'].perCpu / r['qemu io_uring'].perCpu).toFixed(2)}`);
    if (AIOS.length === 2 && complete) emitRows('guest-io', ['io_uring', 'threads'].flatMap((aio) => [
      { name: `guest 4K random-read IOPS, aio=${aio}`, ours: r[`tsqemu ${aio}`].iops, theirs: r[`qemu ${aio}`].iops, unit: 'IOPS', goal: { of: 'ratio', op: '>=', value: 0.7 } },
      { name: `guest 4K random reads per host CPU second, aio=${aio}`, ours: r[`tsqemu ${aio}`].perCpu, theirs: r[`qemu ${aio}`].perCpu, unit: 'reads/CPU s' },
    ]));
  } else {
    console.log('qemu-system-riscv64 not installed: no reference run');
  }
  if (AIOS.length === 2) console.log(`ratio tsqemu io_uring / tsqemu threads: ${(r['tsqemu io_uring'].iops / r['tsqemu threads'].iops).toFixed(2)}`);
  console.log(`load average at the end: ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
