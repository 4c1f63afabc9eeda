// -drive if=pflash / -blockdev + -machine pflash0=: the virt board's CFI flash banks against real
// qemu-system-riscv64. A bare-metal program (tests/tcg/pflash/probe.S) placed in pflash0 boots
// from 0x20000000 with -bios none, queries and programs pflash1; both emulators must print the
// same lines and leave the same bytes in the pflash1 image (unchanged when it is read-only).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT, hasTool, run, tmpdir } from './system-helpers.js';
import { ccSpawnSync } from './helpers/cc-cache.js';

const GCC = 'riscv64-linux-gnu-gcc';
const skip = !hasTool('qemu-system-riscv64') || !hasTool(GCC) ? 'needs qemu-system-riscv64 and riscv64-linux-gnu-gcc' : false;
const dir = tmpdir();
const FLASH = 32 << 20;
const img0 = path.join(dir, 'pf0.img');
const pattern = Buffer.alloc(FLASH, Buffer.from('MORT'));

test.after(() => fs.rmSync(dir, { recursive: true, force: true }));

if (!skip) {
  const elf = path.join(dir, 'probe.elf');
  const bin = path.join(dir, 'probe.bin');
  let r = ccSpawnSync(GCC, ['-nostdlib', '-nostartfiles', '-march=rv64gc', '-mabi=lp64d', '-Wl,-Ttext=0x20000000', '-Wl,--build-id=none',
    '-o', elf, path.join(ROOT, 'tests', 'tcg', 'pflash', 'probe.S')], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  r = spawnSync('riscv64-linux-gnu-objcopy', ['-O', 'binary', '-j', '.text', elf, bin], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const image = Buffer.alloc(FLASH);
  fs.readFileSync(bin).copy(image);
  fs.writeFileSync(img0, image);
}

function qemu(args) {
  const r = spawnSync('qemu-system-riscv64', ['-M', 'virt', '-nographic', '-monitor', 'none', ...args], { encoding: 'utf8', timeout: 30_000, input: '' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The probe's own lines (after OpenSBI's banner, when a firmware ran first). */
const probeLines = (out) => { const t = out.replace(/\r/g, ''); return t.slice(t.indexOf('pflash boot ok')); };

async function both(name, mkArgs, { readonly = false, bios = ['-bios', 'none'] } = {}) {
  const res = {};
  for (const who of ['qemu', 'ours']) {
    const img1 = path.join(dir, `${name}-${who}.img`);
    fs.writeFileSync(img1, pattern);
    const args = [...bios, ...mkArgs(img1, readonly)];
    const r = who === 'qemu' ? qemu(args) : await run(['-monitor', 'none', '-nographic', ...args], { input: '', timeoutMs: 60_000 });
    assert.equal(r.code, 0, `${who}: ${r.stderr}`);
    res[who] = { out: probeLines(r.stdout), file: fs.readFileSync(img1) };
    fs.rmSync(img1);
  }
  return res;
}

const driveArgs = (img1, ro) => ['-drive', `if=pflash,format=raw,file=${img0},readonly=on`, '-drive', `if=pflash,unit=1,format=raw,file=${img1}${ro ? ',readonly=on' : ''}`];

test('boot from pflash0 with -bios none; pflash1 CFI query, erase and programs reach the image as on QEMU', { skip, timeout: 120_000 }, async () => {
  const r = await both('rw', driveArgs);
  assert.match(r.ours.out, /^pflash boot ok\n0000000054524f4d\n0000000000510051\n/);
  assert.match(r.ours.out, /done\n$/);
  assert.equal(r.ours.out, r.qemu.out);
  assert.ok(!r.ours.file.equals(pattern), 'the guest wrote pflash1');
  assert.ok(r.ours.file.equals(r.qemu.file), 'pflash1 image differs from QEMU\'s');
  assert.equal(r.ours.file.readUInt32LE(0x10), 0x12345678);
  assert.equal(r.ours.file.readBigUInt64LE(0x100), 0x0badbeefcafef00dn);
  assert.equal(r.ours.file[4], 0xff, 'block 0 erased');
  assert.ok(r.ours.file.subarray(256 << 10).equals(pattern.subarray(256 << 10)), 'only block 0 changed');
});

test('readonly=on pflash1: erase/program report errors (status 0xa0/0xb0), the buffered program aborts, the image is untouched', { skip, timeout: 120_000 }, async () => {
  const r = await both('ro', (img1) => driveArgs(img1, true), { readonly: true });
  assert.equal(r.ours.out, r.qemu.out);
  assert.match(r.ours.out, /\n0000000000a000a0\n0000000054524f4d\n0000000000b000b0\n0000000054524f4d\n/);
  assert.ok(r.ours.file.equals(pattern));
});

test('-blockdev nodes as -machine pflash0=,pflash1= boot the same', { skip, timeout: 120_000 }, async () => {
  const img1 = path.join(dir, 'bd.img');
  fs.writeFileSync(img1, pattern);
  const r = await run(['-nographic', '-monitor', 'none', '-bios', 'none', '-blockdev', `driver=file,filename=${img0},node-name=f0,read-only=on`,
    '-blockdev', `driver=file,filename=${img1},node-name=f1`, '-machine', 'virt,pflash0=f0,pflash1=f1'], { input: '', timeoutMs: 60_000 });
  assert.equal(r.code, 0, r.stderr);
  const ref = await both('ref', driveArgs);
  assert.equal(probeLines(r.stdout), ref.qemu.out);
  assert.ok(fs.readFileSync(img1).equals(ref.qemu.file));
});

test('with the default firmware, OpenSBI runs the flash as its S-mode payload (QEMU 10.2 flow)', { skip, timeout: 120_000 }, async () => {
  const img1 = path.join(dir, 'sbi.img');
  fs.writeFileSync(img1, pattern);
  const r = await run(['-nographic', '-monitor', 'none', ...driveArgs(img1, false)], { input: '', timeoutMs: 60_000 });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /Domain0 Next Address\s*: 0x0000000020000000/);
  assert.match(r.stdout, /Domain0 Next Mode\s*: S-mode/);
  assert.match(probeLines(r.stdout), /^pflash boot ok\n[\s\S]*done\n$/);
});

test('pflash command-line errors as QEMU\'s', { skip, timeout: 60_000 }, async () => {
  const small = path.join(dir, 'small.img');
  fs.writeFileSync(small, Buffer.alloc(4096));
  const cases = [
    [['-drive', `if=pflash,format=raw,file=${small}`], /^\S+: device requires 33554432 bytes, block backend provides 4096 bytes/],
    [['-drive', `if=pflash,format=raw,file=${img0},readonly=on`, '-drive', `if=pflash,format=raw,file=${img0},readonly=on`, '-drive', `if=pflash,format=raw,file=${img0},readonly=on`],
      /machine type does not support if=pflash,bus=0,unit=2/],
    [['-drive', `if=pflash,unit=1,format=raw,file=${img0},readonly=on`, '-drive', `if=pflash,unit=1,format=raw,file=${img0},readonly=on`], /drive with bus=0, unit=1 \(index=-1\) exists/],
    [['-drive', `if=pflash,format=raw,file=${img0},index=1,unit=1`], /index cannot be used with bus and unit/],
  ];
  for (const [args, re] of cases) {
    const ours = await run(['-nographic', '-bios', 'none', ...args], { input: '' });
    assert.notEqual(ours.code, 0);
    assert.match(ours.stderr, re);
    assert.equal(ours.stderr.trim().split('\n').length, 1, ours.stderr);
    const q = qemu(['-bios', 'none', ...args]);
    assert.notEqual(q.code, 0);
    assert.match(q.stderr, re);
  }
  const ours = await run(['-nographic', '-bios', 'none', '-machine', 'virt,pflash0=nope'], { input: '' });
  assert.match(ours.stderr, /Property 'cfi.pflash01.drive' can't find value 'nope'/);
  const clash = await run(['-nographic', '-bios', 'none', '-blockdev', `driver=file,filename=${img0},node-name=f0,read-only=on`, '-machine', 'pflash0=f0',
    '-drive', `if=pflash,format=raw,file=${img0},readonly=on`], { input: '' });
  assert.match(clash.stderr, /-drive if=pflash,\S+: clashes with -machine/);
});
