// Guest networking through -netdev user: guest->host and host->guest TCP throughput and
// request/response latency (1-byte round trips on one connection), on tsqemu and on real
// qemu-system-riscv64 (libslirp) in the same run, same kernel/initrd, virtio-net-device on
// virtio-mmio for both. The guest load is bench/prog/netperf.c (static riscv64, appended to the
// initramfs); it times itself in the guest. The host peers are Node servers on 127.0.0.1.
// Beside wall-clock rates, the emulator's CPU time per run (/proc/PID/stat, all threads) gives
// MiB per CPU second and CPU us per round trip, which a loaded host disturbs much less.
// Usage: node bench/net.js [MIB=32] [RR=2000] [RUNS=3]
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { gunzipSync, gzipSync } from 'node:zlib';
import net from 'node:net';
import { loadavg } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureTools } from './lib.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const MIB = Number(process.argv[2] ?? 32);
const RR = Number(process.argv[3] ?? 2000);
const RUNS = Number(process.argv[4] ?? 3);
ensureTools({ 'qemu-system-riscv64': 'qemu-system-misc', 'riscv64-linux-gnu-gcc': 'gcc-riscv64-linux-gnu' });
const dir = mkdtempSync(join(process.env.TSQEMU_BENCH_DIR ?? here, '.net-'));

function boot(cmd, args) {
  const p = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  p.stdout.on('data', (d) => { out += d; });
  p.stderr.on('data', (d) => { out += d; });
  const expect = (re, ms, from = 0) => new Promise((resolve, reject) => {
    const t0 = Date.now();
    const poll = () => {
      const m = re.exec(out.slice(from));
      if (m) return resolve(m);
      if (Date.now() - t0 > ms || p.exitCode !== null) return reject(new Error(`${cmd}: no ${re}\n${out.slice(-1500)}`));
      setTimeout(poll, 20);
    };
    poll();
  });
  return { p, expect, send: (s) => p.stdin.write(s), get len() { return out.length; } };
}

/** A newc cpio archive holding `files` (the kernel unpacks it over the first initramfs). */
function newcArchive(files) {
  const parts = [];
  const pad4 = (n) => Buffer.alloc((4 - (n % 4)) % 4);
  let ino = 2000;
  const entry = (name, mode, data) => {
    const f = [ino++, mode, 0, 0, 1, Math.floor(Date.now() / 1000), data.length, 0, 0, 0, 0, name.length + 1, 0];
    const hdr = Buffer.from('070701' + f.map((v) => v.toString(16).padStart(8, '0')).join('') + name + '\0', 'latin1');
    parts.push(hdr, pad4(hdr.length), data, pad4(data.length));
  };
  for (const [name, data] of files) entry(name, 0o100755, data);
  entry('TRAILER!!!', 0, Buffer.alloc(0));
  return Buffer.concat(parts);
}

function initrdWithLoad() {
  const exe = join(dir, 'netperf');
  execFileSync('riscv64-linux-gnu-gcc', ['-static', '-O2', '-o', exe, join(here, 'prog', 'netperf.c')]);
  const script = Buffer.from('#!/bin/sh\n[ "$1" = bound ] && ifconfig $interface $ip netmask $subnet && route add default gw $router\nexit 0\n');
  const initrd = join(dir, 'initrd.cpio.gz');
  writeFileSync(initrd, Buffer.concat([readFileSync(join(root, 'images', 'initramfs.cpio.gz')),
    gzipSync(newcArchive([['netperf', readFileSync(exe)], ['dhcp.sh', script]]))]));
  return initrd;
}

/** Host peers: a sink (counts bytes, closes at EOF), a source (writes MIB MiB), an echo server. */
function servers() {
  const listen = (handler) => new Promise((r) => { const s = net.createServer(handler).listen(0, '127.0.0.1', () => r(s)); });
  const chunk = Buffer.alloc(1 << 16, 0x61);
  return Promise.all([
    listen((c) => { c.on('data', () => {}); c.on('end', () => c.end()); }),
    listen((c) => {
      let left = MIB << 20;
      const pump = () => { while (left > 0) { left -= chunk.length; if (!c.write(chunk)) return c.once('drain', pump); } c.end(); };
      pump();
    }),
    listen((c) => { c.setNoDelay(true); c.on('data', (d) => c.write(d)); }),
  ]);
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** CPU seconds (user + system, all threads) the process used so far: robust to a loaded host. */
function cpuSeconds(pid) {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12])) / 100; // utime, stime (fields 14, 15) in clock ticks
}

async function measure(label, cmd, args, ports) {
  const vm = boot(cmd, args);
  try {
    await vm.expect(/tsqemu-guest: boot complete/, 300_000);
    vm.send('ifconfig eth0 up; udhcpc -i eth0 -s /dhcp.sh -n -q -t 5 >/dev/null 2>&1; echo NET-UP-$((40+2))\n');
    await vm.expect(/NET-UP-42/, 60_000);
    const res = {};
    const run = async (key, line, field) => {
      const xs = [];
      const cpu = [];
      for (let i = -1; i < RUNS; i++) { // run -1 warms up (JIT, TCP windows), not counted
        const from = vm.len;
        const c0 = cpuSeconds(vm.p.pid);
        vm.send(`${line}\n`);
        const m = await vm.expect(/NETPERF mode=\S+ bytes=(\d+) seconds=[\d.]+ mibps=([\d.]+) us_per_rr=([\d.]+)/, 300_000, from);
        const c = cpuSeconds(vm.p.pid) - c0;
        if (i >= 0) {
          xs.push(Number(m[field + 1]));
          cpu.push(field === 1 ? Number(m[1]) / 1048576 / c : c * 1e6 / RR); // MiB per CPU second, or CPU us per round trip
        }
      }
      res[key] = median(xs);
      res[`${key}Cpu`] = median(cpu);
    };
    await run('g2h', `/netperf send 10.0.2.2 ${ports[0]} ${MIB}`, 1);
    await run('h2g', `/netperf recv 10.0.2.2 ${ports[1]}`, 1);
    await run('rr', `/netperf rr 10.0.2.2 ${ports[2]} ${RR}`, 2);
    console.log(`| ${label} | ${res.g2h.toFixed(1)} (${res.g2hCpu.toFixed(1)}) | ${res.h2g.toFixed(1)} (${res.h2gCpu.toFixed(1)}) | ` +
      `${res.rr.toFixed(0)} (${res.rrCpu.toFixed(0)}) |`);
    vm.send('poweroff -f\n');
    return res;
  } finally {
    setTimeout(() => vm.p.kill('SIGKILL'), 3000).unref();
  }
}

const srv = await servers();
try {
  const ports = srv.map((s) => s.address().port);
  const kernel = join(dir, 'Image');
  writeFileSync(kernel, gunzipSync(readFileSync(join(root, 'images', 'Image.gz'))));
  const initrd = initrdWithLoad();
  const common = ['-M', 'virt', '-m', '256M', '-smp', '1', '-nographic', '-kernel', kernel, '-initrd', initrd,
    '-append', 'console=ttyS0 quiet', '-netdev', 'user,id=n0', '-device', 'virtio-net-device,netdev=n0'];
  console.log(`# -netdev user TCP: ${MIB} MiB each way, ${RR} 1-byte round trips, median of ${RUNS} runs (bench/prog/netperf.c, timed in the guest); ` +
    `load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  console.log('| emulator | guest->host MiB/s (per CPU s) | host->guest MiB/s (per CPU s) | round trip us (CPU us) |');
  console.log('|---|---|---|---|');
  const t = await measure('tsqemu', join(root, 'bin', 'tsqemu-system-riscv64'), common, ports);
  if (spawnSync('qemu-system-riscv64', ['--version']).status === 0) {
    const q = await measure('qemu-system-riscv64 (libslirp)', 'qemu-system-riscv64', ['-bios', 'default', ...common], ports);
    console.log(`ratios tsqemu/qemu: guest->host ${(t.g2h / q.g2h).toFixed(2)}, host->guest ${(t.h2g / q.h2g).toFixed(2)}, ` +
      `round-trip time ${(t.rr / q.rr).toFixed(2)} (lower is better)`);
    console.log(`ratios per emulator CPU second (less sensitive to a loaded host): guest->host ${(t.g2hCpu / q.g2hCpu).toFixed(2)}, ` +
      `host->guest ${(t.h2gCpu / q.h2gCpu).toFixed(2)}, CPU per round trip ${(t.rrCpu / q.rrCpu).toFixed(2)} (lower is better)`);
  }
} finally {
  for (const s of srv) s.close();
  rmSync(dir, { recursive: true, force: true });
}
