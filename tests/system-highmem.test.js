// Guest RAM beyond what one wasm32 WebAssembly.Memory holds (-m 4G, -m 8G): the part above
// ~4 GiB lives in host buffers, and the pages of it the CPU uses move into a window of the wasm
// memory (target/riscv/hiram-window.ts). Checked against real qemu-system-riscv64: a bare-metal
// program (accesses, LR/SC, AMOs, code, self-modifying code and Sv39 page tables in high RAM,
// more pages touched than the window holds) must print the same, with the block compiler's
// default threshold and with every block translated; the default Linux guest must see the same
// memory total, and at -m 8G (page cache and busybox at the top of RAM) keep tmpfs and disk
// data intact; the emulator's RSS must stay far below the RAM size.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import { Console, BIN, INITRD, ROOT, hasTool, kernelImage, tmpdir } from './system-helpers.js';
import { build, describeRun, firstDifference, run as runBare, TSQEMU } from './tcg-bare-helpers.js';

const QEMU = 'qemu-system-riscv64';
const noQemu = hasTool(QEMU) ? false : `${QEMU} not installed`;
const noGcc = hasTool('riscv64-linux-gnu-gcc') ? false : 'riscv64-linux-gnu-gcc not installed';
const BIOS = path.join(ROOT, 'pc-bios', 'opensbi-riscv64-generic-fw_dynamic.bin');

const rssOf = (pid, key) => Number(fs.readFileSync(`/proc/${pid}/status`, 'utf8').match(new RegExp(`${key}:\\s+(\\d+)`))[1]) * 1024;

test('bare metal at 0x180000000 and 0x27ff00000 (-m 8G): loads, stores, LR/SC, AMOs, code, SMC, Sv39 tables, 160 MiB touched: as QEMU', { skip: noQemu || noGcc, timeout: 300_000 }, async () => {
  const dir = tmpdir();
  const elf = build({ name: 'highmem', file: path.join(ROOT, 'tests', 'tcg', 'highmem', 'highmem.c') }, dir);
  const args = ['-M', 'virt', '-m', '8G', '-bios', 'none', '-kernel', elf, '-nographic', '-no-reboot'];
  const want = await runBare(QEMU, args, 60_000);
  assert.equal(want.status, 0, describeRun('qemu', want));
  assert.match(want.stdout, /PASS 34 checks/);
  for (const accel of [[], ['-accel', 'tcg,jit-threshold=1']]) {
    const got = await runBare(process.execPath, [TSQEMU, ...args, ...accel], 150_000);
    assert.equal(got.status, 0, describeRun(`tsqemu ${accel.join(' ')}`, got));
    const diff = firstDifference(want.stdout, got.stdout);
    assert.equal(diff, null, `${accel.join(' ')}: ${diff}`);
  }
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Boot the default kernel and initramfs with -m `mem` on `bin` (ours or QEMU, the same firmware)
 * and a virtio-blk disk `disk`. */
async function boot(bin, mem, disk) {
  const c = new Console(['-M', 'virt', '-m', mem, '-nographic', '-bios', BIOS, '-kernel', kernelImage(), '-initrd', INITRD,
    '-append', 'console=ttyS0', '-no-reboot', ...(disk ? ['-drive', `file=${disk},format=raw,if=virtio`] : [])], bin);
  await c.expect(/tsqemu-guest: boot complete/, 280_000);
  await c.sh('dmesg -n 1');
  return c;
}

/** MemTotal (kB) and `free -m`'s total, as the guest reports them. */
async function memTotals(c) {
  const kb = Number(await c.sh("awk '/^MemTotal/ {print $2}' /proc/meminfo"));
  const free = Number(await c.sh("free -m | awk '/^Mem:/ {print $2}'"));
  return { kb, free };
}

// At -m 8G busybox, its stack and heap and the page cache sit beyond the wasm memory: they run
// from the window at the speed of low RAM (bench/highmem.js), so the I/O check takes seconds.
// -m 4G (a little of RAM above the wasm memory) runs with TSQEMU_SLOW=1: -m 8G crosses the same
// boundary and takes the same window code further, and cli-options.test.js's -m 4094M the size
// just below it.
for (const mem of process.env.TSQEMU_SLOW === '1' ? ['4G', '8G'] : ['8G']) {
  test(`-m ${mem}: the guest sees the memory QEMU's does, and RSS grows only with what it touches`, { skip: noQemu, timeout: 500_000 }, async () => {
    const dir = tmpdir();
    const image = crypto.randomBytes(16 << 20);
    const disk = path.join(dir, 'ours.img'), qdisk = path.join(dir, 'qemu.img');
    fs.writeFileSync(disk, image);
    fs.writeFileSync(qdisk, image);
    const withIo = mem === '8G';
    const ours = boot(BIN, mem, withIo ? disk : undefined);
    const theirs = boot(QEMU, mem, withIo ? qdisk : undefined);
    let o, q;
    try {
      [o, q] = await Promise.all([ours, theirs]);
      const want = await memTotals(q);
      q.kill();
      const got = await memTotals(o);
      // `free -m` exactly; MemTotal to a few pages: our CPU offers Sv57 (QEMU 10.2's default), the
      // installed QEMU 7.2 Sv48, and the kernel's fifth page-table level costs it a page.
      assert.equal(got.free, want.free, `free -m total: tsqemu ${got.free} vs QEMU ${want.free}`);
      assert.ok(Math.abs(got.kb - want.kb) <= 16, `MemTotal: tsqemu ${got.kb} kB vs QEMU ${want.kb} kB`);
      assert.ok(got.kb > (mem === '8G' ? 7.5 : 3.7) * 2 ** 20, `MemTotal ${got.kb} kB`);
      if (withIo) {
        // 16 MiB in a tmpfs (page cache from the top of RAM: the host buffers, through the window;
        // busybox runs from there too), from 1 MiB of the disk, checked against the host's sum.
        const r = await o.sh('mkdir -p /hm && mount -t tmpfs -o size=200m none /hm && dd if=/dev/vda of=/hm/r bs=1M count=1 2>/dev/null && ' +
          'i=0; while [ $i -lt 16 ]; do cat /hm/r; i=$((i+1)); done >/hm/big; wc -c </hm/big; sha256sum </hm/big', 120_000);
        const big = crypto.createHash('sha256');
        for (let i = 0; i < 16; i++) big.update(image.subarray(0, 1 << 20));
        assert.match(r, new RegExp(`(^|\\n)16777216\\n${big.digest('hex')}\\s`));
        // virtio-blk DMA into and out of page-cache pages (high RAM first): 4 MiB of the disk read
        // back, then 1 MiB of the tmpfs file written at 2 MiB and checked on the host.
        const sha = (b) => crypto.createHash('sha256').update(b).digest('hex');
        // (A long command wraps on the 80-column console: take the digest, not the first word.)
        const disk4 = await o.sh('dd if=/dev/vda bs=1M skip=4 count=4 2>/dev/null|sha256sum', 120_000);
        assert.equal(/[0-9a-f]{64}/.exec(disk4)?.[0], sha(image.subarray(4 << 20, 8 << 20)), disk4);
        const w = await o.sh('dd if=/hm/r of=/dev/vda bs=1M seek=2 count=1 conv=fsync 2>/dev/null; sha256sum </hm/r', 120_000);
        assert.equal(sha(fs.readFileSync(disk).subarray(2 << 20, 3 << 20)), w.split(/\s/)[0]);
      }
      const hwm = rssOf(o.p.pid, 'VmHWM');
      assert.ok(hwm < 1024 * 2 ** 20, `VmHWM ${hwm >> 20} MiB for a ${mem} guest`);
    } finally {
      for (const p of [ours, theirs]) p.then((c) => c.kill(), () => {});
      await new Promise((r) => setTimeout(r, 500));
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
}

test('-m beyond what the host has: QEMU\'s error, exit 1', () => {
  const r = spawnSync(BIN, ['-M', 'virt', '-m', '100T', '-display', 'none'], { encoding: 'utf8' });
  assert.equal(r.status, 1);
  assert.equal(r.stderr, "tsqemu-system-riscv64: cannot set up guest memory 'riscv_virt_board.ram': Cannot allocate memory\n");
  if (!noQemu) {
    const q = spawnSync(QEMU, ['-M', 'virt', '-m', '100T', '-display', 'none'], { encoding: 'utf8' });
    assert.equal(q.stderr.replace(/^qemu/, 'tsqemu'), r.stderr);
  }
});
