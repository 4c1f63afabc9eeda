// tsqemu-system-riscv64's memory on transparent huge pages (host/node/ram-hugepages.ts and
// bin/tsqemu-system-riscv64): the guest's memory is advised MADV_HUGEPAGE as QEMU advises its
// RAM (the mapping's VmFlags carry `hg`), and the launcher runs glibc's malloc with huge pages
// in one arena unless the caller set GLIBC_TUNABLES. TSQEMU_HUGEPAGES=0 leaves the memory alone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BIN = path.join(root, 'bin/tsqemu-system-riscv64');
const addon = path.join(root, 'native/build/Release/tsqemu_proc.node');
const skip = process.platform !== 'linux' ? 'Linux only'
  : !fs.existsSync('/sys/kernel/mm/transparent_hugepage') ? 'host without THP'
    : !fs.existsSync(addon) ? 'no native addon (npm run install)' : false;

/** Sizes (KiB) of the mappings of 60 MiB to 1 GiB whose VmFlags have `hg` (the guest's 64 MiB). */
function hugeAdvised(pid) {
  const out = [];
  let size = 0;
  for (const line of fs.readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    const m = /^Size:\s+(\d+) kB/.exec(line);
    if (m) size = Number(m[1]);
    if (line.startsWith('VmFlags:') && / hg( |$)/.test(line) && size >= 60 * 1024 && size <= 1 << 20) out.push(size);
  }
  return out;
}

/** A paused machine (-S, 64 MiB of RAM) whose monitor has answered (so the machine exists):
 * the advised mappings and GLIBC_TUNABLES as the process got it (glibc splits the value at
 * its ':' in place, so /proc's copy is cut there). */
function paused(env) {
  const child = spawn(BIN, ['-M', 'virt', '-m', '64M', '-display', 'none', '-S', '-bios', 'none', '-monitor', 'stdio', '-serial', 'none'],
    { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '', done = false;
    child.on('error', reject);
    child.on('exit', (code) => reject(new Error(`exited with ${code}: ${out}`)));
    child.stdout.on('data', (d) => {
      if (done) return;
      out += d;
      if (!out.includes('VM status')) { if (out.includes('(qemu)') && !out.includes('info status')) child.stdin.write('info status\n'); return; }
      const seen = { sizes: hugeAdvised(child.pid), tunables: fs.readFileSync(`/proc/${child.pid}/environ`, 'latin1').split('\0').find((v) => v.startsWith('GLIBC_TUNABLES=')) };
      done = true;
      child.removeAllListeners('exit');
      child.on('exit', () => resolve(seen));
      child.stdin.write('quit\n');
    });
  });
}

test('guest memory is advised huge pages; the launcher sets glibc malloc tunables', { skip }, async () => {
  const seen = await paused({ GLIBC_TUNABLES: undefined, TSQEMU_HUGEPAGES: undefined });
  assert.equal(seen.sizes.length, 1, 'one mapping of the guest memory with VmFlags hg');
  assert.equal(seen.tunables, 'GLIBC_TUNABLES=glibc.malloc.hugetlb=1');
});

test('TSQEMU_HUGEPAGES=0 and a GLIBC_TUNABLES of the caller are left alone', { skip }, async () => {
  const seen = await paused({ TSQEMU_HUGEPAGES: '0', GLIBC_TUNABLES: 'glibc.malloc.check=0' });
  assert.deepEqual(seen.sizes, []);
  assert.equal(seen.tunables, 'GLIBC_TUNABLES=glibc.malloc.check=0');
});
