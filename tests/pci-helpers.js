// Helpers for the PCI and eMMC tests: a console on real qemu-system-riscv64 booting the same
// kernel and initramfs as ours, and the guest commands that dump what the guest sees of PCI.
import { spawn } from 'node:child_process';
import { Console, INITRD, kernelImage } from './system-helpers.js';

/** The same CPU extensions as ours, so guest-visible differences come from the devices. */
export const QEMU_CPU = ['-cpu', 'rv64,h=off,zba=off,zbb=off,zbc=off,zbs=off,sstc=off'];

export function guestArgs(extra) {
  return ['-M', 'virt', '-m', '256M', '-nographic', '-kernel', kernelImage(), '-initrd', INITRD, '-append', 'console=ttyS0', ...extra];
}

/** A Console (expect/sh/kill) on another binary. */
export function consoleOn(bin, args) {
  const c = Object.create(Console.prototype);
  c.p = spawn(bin, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  c.out = '';
  c.err = '';
  c.waiters = [];
  c.exit = new Promise((resolve) => c.p.on('close', (code) => resolve(code)));
  c.p.stdout.on('data', (d) => { c.out += d; c.check(); });
  c.p.stderr.on('data', (d) => { c.err += d; });
  return c;
}

/** lspci, then every function's resources, config space and IRQ (what `lspci -v` would show). */
export const PCI_DUMP = 'lspci; for d in /sys/bus/pci/devices/*; do echo $d; cat $d/resource; hexdump -C $d/config; cat $d/irq; done';
