// virtio-9p throughput and small-file work, tsqemu against qemu-system-riscv64 in the same run:
// the reference guest mounts a share (security_model=mapped-xattr, msize=512000) and runs
//   write: dd if=/dev/zero of=/mnt/big bs=1M count=64
//   read:  dd if=/mnt/big of=/dev/null bs=1M
//   untar: tar xf of a tarball of FILES small files (1-2 KiB each, 20 directories) into the share
// timed on the host around each command (the console's round trip is a few ms; dd: best of 3). Same kernel,
// initrd and files for both; the emulators run one after the other.
// Usage: node bench/9p.js [FILES=2000]
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Guest, mount } from '../tests/9p-helpers.js';

const FILES = Number(process.argv[2] ?? 2000);
const base = fs.mkdtempSync(path.join(os.tmpdir(), 'tsqemu-bench9p-'));

function makeTarball() {
  const src = path.join(base, 'src');
  for (let i = 0; i < FILES; i++) {
    const d = path.join(src, `d${i % 20}`);
    fs.mkdirSync(d, { recursive: true });
    fs.writeFileSync(path.join(d, `f${i}`), Buffer.alloc(1024 + (i % 1024), i & 0xff));
  }
  const tar = path.join(base, 'small.tar');
  execFileSync('tar', ['cf', tar, '-C', src, '.']);
  return tar;
}

async function measure(qemu, tar) {
  const dir = path.join(base, qemu ? 'qemu' : 'tsqemu');
  fs.mkdirSync(dir);
  fs.copyFileSync(tar, path.join(dir, 'small.tar'));
  const g = new Guest({ qemu, shares: [{ tag: 'b', dir, opts: 'security_model=mapped-xattr' }] });
  const r = {};
  try {
    await g.boot();
    await g.sh(mount('b', '/mnt', 512000));
    // The best of `runs` (the host is shared: a load spike should not decide the ratio).
    const timed = async (name, cmd, runs = 1) => {
      for (let i = 0; i < runs; i++) {
        const t0 = process.hrtime.bigint();
        const out = await g.sh(cmd, 900_000);
        const s = Number(process.hrtime.bigint() - t0) / 1e9;
        r[name] = Math.min(r[name] ?? Infinity, s);
        if (/error|No such|Invalid/i.test(out)) throw new Error(`${name}: ${out}`);
      }
    };
    await timed('write', 'dd if=/dev/zero of=/mnt/big bs=1M count=64 2>/dev/null', 3);
    await timed('read', 'dd if=/mnt/big of=/dev/null bs=1M 2>/dev/null', 3);
    await timed('untar', 'mkdir /mnt/out && tar xf /mnt/small.tar -C /mnt/out');
    const n = await g.sh('find /mnt/out -type f | wc -l');
    if (Number(n) !== FILES) throw new Error(`untar made ${n} files, expected ${FILES}`);
    await g.poweroff();
  } catch (e) {
    g.kill();
    throw e;
  }
  return r;
}

try {
  const tar = makeTarball();
  const ours = await measure(false, tar);
  const theirs = await measure(true, tar);
  const line = (k, unit, f) => console.log(`${k.padEnd(6)} tsqemu ${f(ours[k]).padStart(9)} ${unit}   qemu ${f(theirs[k]).padStart(9)} ${unit}   ratio (tsqemu time / qemu time) ${(ours[k] / theirs[k]).toFixed(2)}`);
  const mibs = (s) => (64 / s).toFixed(1);
  line('write', 'MiB/s', mibs);
  line('read', 'MiB/s', mibs);
  line('untar', `s (${FILES} files)`, (s) => s.toFixed(2));
  console.log(`load average at the end: ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}`);
} finally {
  fs.rmSync(base, { recursive: true, force: true });
}
