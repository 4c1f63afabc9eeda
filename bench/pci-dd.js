// Guest `dd` throughput on PCI storage, tsqemu against qemu-system-riscv64 on the same command
// line: a virtio-blk-pci disk (/dev/vda) and an sd-card on sdhci-pci (/dev/mmcblk0), plus our
// emmc (Debian's QEMU 7.2 has no emmc model). Sequential reads
// (page cache dropped before each run) and writes with conv=fsync, 1 MiB blocks, MIB MiB each,
// RUNS runs per boot (median), timed by the guest's BusyBox dd. Benchmarks are never run as tests.
// Usage: node bench/pci-dd.js [MIB=32] [RUNS=3]
import { spawnSync } from 'node:child_process';
import { bootConsole } from './lib.js';
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { loadavg, tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const MIB = Number(process.argv[2] ?? 32);
const RUNS = Number(process.argv[3] ?? 3);
const dir = mkdtempSync(join(tmpdir(), 'tsqemu-pci-dd-'));

const boot = bootConsole;

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** MiB/s of `dd` in the guest (BusyBox prints "N bytes (...) copied, S seconds, R/s"). */
async function dd(vm, cmd) {
  const from = vm.out.length;
  vm.send(`${cmd} 2>&1 | tail -1\n`);
  const m = await vm.expect(/(\d+) bytes \([^)]*\) copied, ([\d.]+) seconds/, 300_000, from);
  return Number(m[1]) / 2 ** 20 / Number(m[2]);
}

async function measure(label, cmd, args, dev) {
  const vm = boot(cmd, args);
  try {
    await vm.expect(/tsqemu-guest: boot complete/, 300_000, 0);
    vm.send('dmesg -n 1\n');
    const rd = [], wr = [];
    for (let i = 0; i < RUNS; i++) {
      rd.push(await dd(vm, `echo 3 > /proc/sys/vm/drop_caches; dd if=${dev} of=/dev/null bs=1M count=${MIB}`));
      wr.push(await dd(vm, `dd if=/dev/zero of=${dev} bs=1M count=${MIB} conv=fsync`));
    }
    console.log(`| ${label} | ${dev} | ${median(rd).toFixed(1)} | ${median(wr).toFixed(1)} | ${rd.map((x) => x.toFixed(1)).join(', ')} / ${wr.map((x) => x.toFixed(1)).join(', ')} |`);
    vm.send('poweroff -f\n');
    return { rd: median(rd), wr: median(wr) };
  } finally {
    setTimeout(() => vm.p.kill('SIGKILL'), 5000).unref();
  }
}

try {
  const kernel = join(dir, 'Image');
  writeFileSync(kernel, gunzipSync(readFileSync(join(root, 'images', 'Image.gz'))));
  const disk = join(dir, 'disk.raw');
  const card = join(dir, 'card.raw');
  spawnSync('truncate', ['-s', '128M', disk]);
  spawnSync('truncate', ['-s', '128M', card]);
  const common = ['-M', 'virt', '-m', '256M', '-smp', '1', '-nographic', '-kernel', kernel, '-initrd', join(root, 'images', 'initramfs.cpio.gz'),
    '-append', 'console=ttyS0 quiet'];
  const blk = ['-drive', `file=${disk},format=raw,if=none,id=d0,cache=writeback`, '-device', 'virtio-blk-pci,drive=d0'];
  const sd = (model) => ['-device', 'sdhci-pci', '-drive', `file=${card},format=raw,if=none,id=c0,cache=writeback`, '-device', `${model},drive=c0`];
  console.log(`# guest dd, ${MIB} MiB in 1 MiB blocks, median of ${RUNS} runs (read after drop_caches, write with conv=fsync); ` +
    `load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  console.log('| emulator | device | read MiB/s | write MiB/s | runs (read / write) |');
  console.log('|---|---|---|---|---|');
  const ts = join(root, 'bin', 'tsqemu-system-riscv64');
  const ours = { blk: await measure('tsqemu', ts, [...common, ...blk], '/dev/vda'), mmc: await measure('tsqemu (sd-card)', ts, [...common, ...sd('sd-card')], '/dev/mmcblk0') };
  await measure('tsqemu (emmc)', ts, [...common, ...sd('emmc')], '/dev/mmcblk0');
  // The same disk on the virtio-mmio transport: what the PCI transport itself costs.
  await measure('tsqemu (virtio-blk-device, mmio)', ts, [...common, blk[0], blk[1], '-device', 'virtio-blk-device,drive=d0'], '/dev/vda');
  if (spawnSync('qemu-system-riscv64', ['--version']).status === 0) {
    const qcpu = ['-cpu', 'rv64,h=off,zba=off,zbb=off,zbc=off,zbs=off,sstc=off'];
    const q = { blk: await measure('qemu-system-riscv64', 'qemu-system-riscv64', [...common, ...qcpu, ...blk], '/dev/vda'),
      mmc: await measure('qemu-system-riscv64 (sd-card)', 'qemu-system-riscv64', [...common, ...qcpu, ...sd('sd-card')], '/dev/mmcblk0') };
    for (const k of ['blk', 'mmc']) {
      console.log(`ratio qemu / tsqemu ${k === 'blk' ? 'virtio-blk-pci' : 'sdhci-pci card'}: read ${(q[k].rd / ours[k].rd).toFixed(2)}x, write ${(q[k].wr / ours[k].wr).toFixed(2)}x`);
    }
  } else {
    console.log('qemu-system-riscv64 not installed: no reference run');
  }
  console.log(`load average at the end: ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
