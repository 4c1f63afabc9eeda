// The default guest's Linux 6.12 uses the vector unit: with -cpu rv64,v=true,vlen=256 and with
// plain -cpu max (Zkr included: OpenSBI 1.6 sets mseccfg.SSEED, so Linux 6.12's boot-time read of the
// seed CSR from S-mode works) it reports V in /proc/cpuinfo and runs a V 1.0 program (tests/linux-user/rvv.c,
// inline assembly: Debian's gcc 12 has no RVV intrinsics), added to the initramfs, which prints
// the same as under tsqemu-riscv64 and qemu-riscv64 at the same VLEN. (Without V the program dies
// of SIGILL in the guest: tests/system-aia-boot.test.js.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Console, INITRD, ROOT, hasTool, kernelImage, tmpdir } from './system-helpers.js';
import { initrdWith } from './helpers/initrd.js';
import { ccSpawnSync } from './helpers/cc-cache.js';

const TSQEMU_USER = path.join(ROOT, 'dist', 'cli', 'riscv64.js');
const skip = !hasTool('riscv64-linux-gnu-gcc') || !hasTool('qemu-riscv64') ? 'riscv64 gcc or qemu-riscv64 missing' : false;
const BOOT = 240_000;

let dir, prog, initrd;
function setup() {
  if (initrd) return;
  dir = tmpdir();
  prog = path.join(dir, 'rvv');
  const b = ccSpawnSync('riscv64-linux-gnu-gcc', ['-O2', '-static', '-o', prog, path.join(ROOT, 'tests', 'linux-user', 'rvv.c')], { encoding: 'utf8' });
  assert.equal(b.status, 0, b.stderr);
  initrd = initrdWith(INITRD, [['rvv', fs.readFileSync(prog)]], path.join(dir, 'initrd.cpio.gz'));
}

/** Boot to the shell with kernel messages off the console. */
async function boot(machine, cpu) {
  const c = new Console(['-M', machine, '-m', '256M', '-cpu', cpu, '-nographic', '-kernel', kernelImage(), '-initrd', initrd,
    '-append', 'console=ttyS0 quiet']);
  try {
    await c.expect(/tsqemu-guest: boot complete/, BOOT);
    await c.sh('dmesg -n 1');
  } catch (e) {
    c.kill(); // a guest that never booted must not keep running past its test
    throw e;
  }
  return c;
}

async function powerOff(c) {
  c.send('poweroff -f\n');
  assert.equal(await c.exit, 0);
}

/** The program's output under both user-mode emulators at `vlen` (they must agree). */
function userOutput(vlen) {
  const want = spawnSync('qemu-riscv64', ['-cpu', `rv64,v=true,vlen=${vlen},vext_spec=v1.0`, prog], { encoding: 'utf8' });
  assert.equal(want.status, 0, want.stderr);
  const ours = spawnSync(process.execPath, [TSQEMU_USER, '-cpu', `rv64,v=true,vlen=${vlen}`, prog], { encoding: 'utf8' });
  assert.equal(ours.stdout, want.stdout, ours.stderr);
  return want.stdout.trim();
}

for (const [cpu, vlen] of [['rv64,v=true,vlen=256', 256], ['max', 128]]) {
  test(`-cpu ${cpu}: the guest kernel enables V; rvv.c prints in the guest what it prints under both user-mode emulators`,
    { skip, timeout: BOOT + 120_000 }, async (t) => {
      setup();
      const c = await boot('virt', cpu);
      t.after(() => c.kill());
      const isa = await c.sh("grep -m1 '^isa' /proc/cpuinfo");
      assert.match(isa, /^isa\s*:\s*rv64imafdc\w*v/, isa); // single-letter V after the base
      // max has Zkr and the kernel kept it: the firmware let S-mode read the seed CSR.
      if (cpu === 'max') assert.match(isa, /_zkr(_|$)/, isa);
      assert.match(await c.sh('grep -m1 "^hart isa" /proc/cpuinfo'), /rv64imafdc\w*v/);
      const got = await c.sh('/rvv', 120_000);
      assert.match(got, new RegExp(`vlenb ${vlen / 8}$`));
      assert.equal(got, userOutput(vlen));
      await powerOff(c);
    });
}

test.after(() => { if (dir) fs.rmSync(dir, { recursive: true, force: true }); });
