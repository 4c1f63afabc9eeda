// Guest-visible disk IOPS: boot the reference guest with a 256 MiB raw disk of random data on
// tsqemu (aio=threads, aio=io_uring) and on qemu-system-riscv64 (aio=threads, aio=io_uring), run
// a BusyBox loop of N random 4 KiB reads (dd iflag=direct, one dd per read, as the guest shell
// allows) and time it inside the guest (/proc/uptime). Same kernel, initrd, disk and script on
// every run, cache=writeback on the host. Usage: node bench/guest-io.js [N=1000]
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, openSync, writeSync, closeSync, writeFileSync, readFileSync } from 'node:fs';
import { randomFillSync } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const N = Number(process.argv[2] ?? 1000);
const SIZE_MIB = 256;
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

// Offsets from the guest's $RANDOM (BusyBox ash), over the whole disk (65536 blocks of 4 KiB).
const SCRIPT = `i=0; s=$(cut -d" " -f1 /proc/uptime); while [ $i -lt ${N} ]; do ` +
  `dd if=/dev/vda of=/dev/null bs=4096 count=1 iflag=direct skip=$(( (RANDOM * 32768 + RANDOM) % ${SIZE_MIB * 256} )) 2>/dev/null || echo READFAIL; ` +
  `i=$((i+1)); done; e=$(cut -d" " -f1 /proc/uptime); echo "GUESTIO $s $e"`;

async function measure(label, cmd, args) {
  const vm = boot(cmd, args);
  try {
    await vm.expect(/tsqemu-guest: boot complete/, 300_000, 0);
    const from = vm.out.length;
    vm.send(`${SCRIPT}\n`);
    const m = await vm.expect(/\nGUESTIO ([\d.]+) ([\d.]+)/, 1_200_000, from);
    if (/\nREADFAIL/.test(vm.out.slice(from))) throw new Error(`${label}: a read failed`);
    const secs = Number(m[2]) - Number(m[1]);
    const iops = N / secs;
    console.log(`${label.padEnd(34)} ${secs.toFixed(2).padStart(8)} s ${iops.toFixed(0).padStart(8)} IOPS`);
    vm.send('poweroff -f\n');
    return iops;
  } finally {
    setTimeout(() => vm.p.kill('SIGKILL'), 5000).unref();
  }
}

try {
  const disk = join(dir, 'disk.raw');
  const fd = openSync(disk, 'w');
  const chunk = Buffer.alloc(1 << 20);
  for (let i = 0; i < SIZE_MIB; i++) writeSync(fd, randomFillSync(chunk));
  closeSync(fd);
  const kernel = join(dir, 'Image');
  writeFileSync(kernel, gunzipSync(readFileSync(join(root, 'images', 'Image.gz'))));
  const initrd = join(root, 'images', 'initramfs.cpio.gz');
  const common = ['-M', 'virt', '-m', '256M', '-smp', '1', '-nographic', '-kernel', kernel, '-initrd', initrd, '-append', 'console=ttyS0 quiet'];
  const drive = (aio) => ['-drive', `file=${disk},format=raw,if=virtio,cache=writeback,aio=${aio}`];
  console.log(`guest random 4 KiB reads (dd iflag=direct, ${N} reads, ${SIZE_MIB} MiB disk), timed in the guest`);
  const r = {};
  for (const aio of ['threads', 'io_uring']) {
    r[`tsqemu ${aio}`] = await measure(`tsqemu aio=${aio}`, join(root, 'bin', 'tsqemu-system-riscv64'), [...common, ...drive(aio)]);
  }
  if (spawnSync('qemu-system-riscv64', ['--version']).status === 0) {
    for (const aio of ['threads', 'io_uring']) {
      r[`qemu ${aio}`] = await measure(`qemu-system-riscv64 aio=${aio}`, 'qemu-system-riscv64', ['-bios', 'default', ...common, ...drive(aio)]);
    }
    console.log(`ratio tsqemu io_uring / qemu io_uring: ${(r['tsqemu io_uring'] / r['qemu io_uring']).toFixed(2)}`);
  } else {
    console.log('qemu-system-riscv64 not installed: no reference run');
  }
  console.log(`ratio tsqemu io_uring / tsqemu threads: ${(r['tsqemu io_uring'] / r['tsqemu threads']).toFixed(2)}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
