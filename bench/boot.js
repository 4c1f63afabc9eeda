// Benchmark (a) of issue 3: the reference guest from start to power-off (guest.poweroff),
// tsqemu-system-riscv64 vs qemu-system-riscv64 with the same options, median of N runs.
// Usage: node bench/boot.js [runs=5] [smp=1] [mem=256M]
import { join } from 'node:path';
import { emitRows, ensureTools, guestFiles, measure, printTable, TOP } from './lib.js';

const runs = Number(process.argv[2] ?? 5);
const smp = String(process.argv[3] ?? 1);
const mem = String(process.argv[4] ?? '256M');
ensureTools({ 'qemu-system-riscv64': 'qemu-system-misc' });
const g = guestFiles();
const args = ['-M', 'virt', '-m', mem, '-smp', smp, '-nographic', '-bios', g.bios, '-kernel', g.kernel,
  '-initrd', g.initrd, '-append', 'console=ttyS0 guest.poweroff', '-no-reboot'];
const expect = /tsqemu-guest: boot complete/;
const theirs = measure('qemu boot', ['qemu-system-riscv64', ...args], runs, { expect });
const ours = measure('tsqemu boot', [join(TOP, 'bin/tsqemu-system-riscv64'), ...args], runs, { expect });
printTable(`boot to power-off, -smp ${smp} -m ${mem}, median of ${runs} (${new Date().toISOString().slice(0, 10)})`, [{ name: `boot -smp ${smp}`, ours, theirs }]);
emitRows('boot', [{ name: `boot to power-off, -smp ${smp}`, ours: ours.seconds, theirs: theirs.seconds, unit: 's', goal: { of: 'ratio', op: '<=', value: 1.5 } }]);
