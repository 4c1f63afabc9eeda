// Our -machine dumpdtb against real qemu-system-riscv64's for the same options, decoded by dtc.
// The random /chosen/rng-seed and the cpu nodes' ISA properties are normalised (QEMU 7.2 writes
// its own ISA format; tests/cpu-models.test.js checks ours against it).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { INITRD, hasTool, kernelImage, run, tmpdir } from './system-helpers.js';

const haveQemu = hasTool('qemu-system-riscv64') && hasTool('dtc');
const QEMU_CPU = ['-cpu', 'rv64,h=off,zba=off,zbb=off,zbc=off,zbs=off,sstc=off'];

function dts(file) {
  const r = spawnSync('dtc', ['-I', 'dtb', '-O', 'dts', file], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  // The cpu nodes' ISA properties follow QEMU 10.2 (isa-base, isa-extensions, sv57, the 10.2
  // string format): tests/cpu-models.test.js compares them with 7.2 on what 7.2 has.
  return r.stdout.replace(/rng-seed = <[^>]*>;/, 'rng-seed = <SEED>;')
    .replace(/\n\s*riscv,(isa-base|isa-extensions|cbo[mpz]-block-size) = [^;]*;/g, '')
    .replace(/riscv,isa = "[^"]*";/g, 'riscv,isa = <ISA>;').replace(/mmu-type = "[^"]*";/g, 'mmu-type = <MMU>;');
}

const cases = [
  ['-smp 1 -m 256M', ['-m', '256M', '-bios', 'none']],
  ['-smp 4 -m 1G', ['-m', '1G', '-smp', '4', '-bios', 'none']],
  ['-smp 2 -m 512M with -kernel -initrd -append', ['-m', '512M', '-smp', '2', '-kernel', 'KERNEL', '-initrd', INITRD, '-append', 'console=ttyS0 root=/dev/vda rw']],
  ['-smp 4 -m 256M with drives', ['-m', '256M', '-smp', '4', '-bios', 'none', '-drive', 'file=DISK,format=raw,if=virtio', '-drive', 'file=DISK2,format=raw,if=none,id=d2', '-device', 'virtio-blk-device,drive=d2']],
];

for (const [name, args] of cases) {
  test(`dumpdtb matches QEMU: ${name}`, { skip: !haveQemu && 'qemu-system-riscv64 or dtc missing', timeout: 60_000 }, async () => {
    const dir = tmpdir();
    try {
      fs.writeFileSync(path.join(dir, 'disk.img'), Buffer.alloc(1 << 20));
      fs.writeFileSync(path.join(dir, 'disk2.img'), Buffer.alloc(1 << 20));
      const a = args.map((x) => x.replace('KERNEL', kernelImage()).replace('DISK2', path.join(dir, 'disk2.img')).replace('DISK', path.join(dir, 'disk.img')));
      const ours = path.join(dir, 'ours.dtb');
      const theirs = path.join(dir, 'qemu.dtb');
      const r = await run(['-M', `virt,dumpdtb=${ours}`, '-nographic', ...a], { timeoutMs: 50_000, input: '' });
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /dtb dumped to/);
      const q = spawnSync('qemu-system-riscv64', ['-M', `virt,dumpdtb=${theirs}`, '-nographic', ...QEMU_CPU, ...a], { encoding: 'utf8', input: '' });
      assert.equal(q.status, 0, q.stderr);
      assert.equal(dts(ours), dts(theirs));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
}

test('-dtb FILE: the user blob is used, with bootargs set in /chosen', { skip: !hasTool('dtc') && 'dtc missing', timeout: 60_000 }, async () => {
  const dir = tmpdir();
  try {
    const src = path.join(dir, 'in.dts');
    fs.writeFileSync(src, '/dts-v1/;\n/ {\n\tmodel = "custom";\n\tchosen {\n\t};\n};\n');
    const blob = path.join(dir, 'in.dtb');
    assert.equal(spawnSync('dtc', ['-I', 'dts', '-O', 'dtb', '-o', blob, src]).status, 0);
    const out = path.join(dir, 'out.dtb');
    const r = await run(['-M', `virt,dumpdtb=${out}`, '-bios', 'none', '-kernel', kernelImage(), '-dtb', blob, '-append', 'hello world', '-nographic'], { input: '' });
    assert.equal(r.code, 0, r.stderr);
    const text = dts(out);
    assert.match(text, /model = "custom";/);
    assert.match(text, /bootargs = "hello world";/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
