// Guest commands at -m 8G (page cache and user pages at the top of RAM: beyond the wasm memory,
// in host buffers) vs -m 1G on tsqemu, and -m 8G on qemu-system-riscv64: host wall time of each
// shell command (minus an empty command's), same kernel, initramfs and firmware.
// Usage: node bench/highmem.js [ours-1G,ours-8G,qemu-8G]   (a comma list of runs; default all)
import { join } from 'node:path';
import { TOP, bootConsole, ensureTools } from './lib.js';
import { kernelImage } from '../tests/system-helpers.js';

ensureTools({ 'qemu-system-riscv64': 'qemu-system-misc' });
const BIOS = join(TOP, 'pc-bios', 'opensbi-riscv64-generic-fw_dynamic.bin');
const RUNS = { 'ours-1G': ['ours', '1G'], 'ours-8G': ['ours', '8G'], 'qemu-8G': ['qemu', '8G'], 'qemu-1G': ['qemu', '1G'] };
const which = (process.argv[2] ?? 'ours-1G,ours-8G,qemu-8G').split(',');

const SETUP = 'dmesg -n 1; mkdir -p /hm && mount -t tmpfs -o size=64m none /hm && dd if=/dev/urandom of=/hm/r bs=1M count=1 2>/dev/null ' +
  '&& dd if=/dev/zero of=/hm/z bs=1M count=8 2>/dev/null';
const CMDS = [
  ['cat 1 MiB tmpfs file', 'cat /hm/r >/dev/null'],
  ['sha256sum 8 MiB', 'sha256sum /hm/z >/dev/null'],
  ['ls -lR /bin /etc /sys/class', 'ls -lR /bin /etc /sys/class >/dev/null 2>&1'],
  ['shell loop 3000', 'i=0; while [ $i -lt 3000 ]; do i=$((i+1)); done'],
  ['gzip -c 1 MiB', 'gzip -c /hm/r >/dev/null'],
];

function boot(cmd, args) {
  const vm = bootConsole(cmd, args);
  let n = 0;
  const sh = async (c, ms = 600_000) => {
    const tag = `@@${++n}@@`;
    const from = vm.out.length;
    const t0 = process.hrtime.bigint();
    vm.send(`${c}; echo @@""${n}@@\n`);
    await vm.expect(new RegExp(`\\n${tag}`), ms, from);
    return Number(process.hrtime.bigint() - t0) / 1e9;
  };
  return { p: vm.p, expect: vm.expect, sh };
}

const results = {};
for (const name of which) {
  const [kind, mem] = RUNS[name];
  const cmd = kind === 'ours' ? join(TOP, 'bin', 'tsqemu-system-riscv64') : 'qemu-system-riscv64';
  const vm = boot(cmd, ['-M', 'virt', '-m', mem, '-nographic', '-bios', BIOS, '-kernel', kernelImage(),
    '-initrd', join(TOP, 'images', 'initramfs.cpio.gz'), '-append', 'console=ttyS0', '-no-reboot']);
  const t0 = Date.now();
  try {
    await vm.expect(/tsqemu-guest: boot complete/, 400_000, 0);
    results[name] = { boot: (Date.now() - t0) / 1000 };
    await vm.sh(SETUP);
    let empty = Infinity;
    for (let i = 0; i < 3; i++) empty = Math.min(empty, await vm.sh('true'));
    for (const [label, c] of CMDS) {
      await vm.sh(c); // warm-up: the emulator's translations, the guest's caches
      let best = Infinity;
      for (let i = 0; i < 2; i++) best = Math.min(best, await vm.sh(c));
      results[name][label] = Math.max(0, best - empty);
    }
  } finally {
    vm.p.kill('SIGKILL');
  }
  console.error(name, JSON.stringify(results[name]));
}
const labels = ['boot', ...CMDS.map(([l]) => l)];
console.log(['seconds'.padEnd(28), ...which.map((w) => w.padStart(9))].join(' '));
for (const l of labels) console.log([l.padEnd(28), ...which.map((w) => (results[w]?.[l]?.toFixed(3) ?? '-').padStart(9))].join(' '));
