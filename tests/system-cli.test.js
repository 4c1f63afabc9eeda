// Command-line errors and informational options of tsqemu-system-riscv64, in QEMU's wording.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { run } from './system-helpers.js';

const P = 'tsqemu-system-riscv64';
const errors = [
  [['-foo'], `${P}: -foo: invalid option`],
  [['-M', 'foo'], `${P}: unsupported machine type`],
  [['-M', 'virt,foo=bar'], `${P}: Property 'virt-machine.foo' not found`],
  [['-m', 'foo'], `${P}: -m foo: Parameter 'size' expects a non-negative number below 2^64`],
  [['-m', '1G,foo=2'], `${P}: -m 1G,foo=2: Invalid parameter 'foo'`],
  [['-smp', 'foo'], `${P}: Parameter 'smp.cpus' expects integer`],
  [['-smp', '600'], `${P}: Invalid SMP CPUs 600. The max CPUs supported by machine 'virt' is 512`],
  [['-serial', 'bogus'], `${P}: -serial bogus: 'bogus' is not a valid char driver`],
  [['-nographic', '-serial', 'stdio'], `${P}: -serial stdio: cannot use stdio by multiple character devices`],
  [['-device', 'foo'], `${P}: -device foo: 'foo' is not a valid device model name`],
  [['-device', 'virtio-blk-device'], `${P}: -device virtio-blk-device: drive property not set`],
  [['-device', 'virtio-blk-device,drive=nope'], `${P}: -device virtio-blk-device,drive=nope: Property 'virtio-blk-device.drive' can't find value 'nope'`],
  [['-drive', 'file=/nonexistent.img,format=raw,if=foo'], `${P}: -drive file=/nonexistent.img,format=raw,if=foo: unsupported bus type 'foo'`],
  [['-drive', 'file=/nonexistent.img,format=raw,if=virtio'], `${P}: -drive file=/nonexistent.img,format=raw,if=virtio: Could not open '/nonexistent.img'`],
  [['-bios', '/nonexistent.bin'], `${P}: Unable to load the RISC-V firmware "/nonexistent.bin"`],
  [['-bios', 'none', '-kernel', '/nonexistent'], `${P}: could not load kernel '/nonexistent'`],
  [['-kernel'], `${P}: -kernel: requires an argument`],
];

for (const [args, want] of errors) {
  test(`error: ${args.join(' ')}`, { timeout: 30_000 }, async () => {
    const r = await run(['-M', 'virt', '-display', 'none', ...args], { input: '', timeoutMs: 25_000 });
    assert.equal(r.code, 1, `exit status; stderr: ${r.stderr}`);
    assert.ok(r.stderr.startsWith(want), `stderr was: ${r.stderr}`);
    assert.equal(r.stdout, '');
  });
}

test('-version and -h exit 0', async () => {
  const v = await run(['-version'], { input: '' });
  assert.equal(v.code, 0);
  assert.match(v.stdout, /^QEMU emulator version \d+\.\d+\.\d+/);
  const h = await run(['-h'], { input: '' });
  assert.equal(h.code, 0);
  assert.match(h.stdout, /-machine \[type=\]virt/);
  assert.match(h.stdout, /C-a x\s+exit emulator/);
});

test('-d help lists the log items; -d bogus fails', async () => {
  const r = await run(['-d', 'bogus'], { input: '' });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /guest_errors/);
});
