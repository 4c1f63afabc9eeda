// The V state in user-mode signal frames, as Linux 6.5+ lays it out (src/linux-user/signal-v.ts):
// tests/linux-user/rvv-signal.c's handler finds the RISCV_V_MAGIC header in the sigcontext, reads
// vl/vtype/vcsr/vlenb and v1 at datap, and changes v1, vl and vxrm in the frame; after
// rt_sigreturn the program sees the changed values and not the handler's own vector work. At
// VLEN 128 and 256, compiler off and on. A corrupted header size makes rt_sigreturn a SIGSEGV.
// (QEMU 7.2's linux-user has no V state in its frames, so there is no peer to compare with: the
// expected text is Linux's layout.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ccSpawnSync } from './helpers/cc-cache.js';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const TSQEMU = path.join(root, 'dist', 'cli', 'riscv64.js');
const have = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const skip = !have('riscv64-linux-gnu-gcc') ? 'riscv64 gcc missing' : false;

test('rvv-signal.c: the handler sees and changes the vector state of the frame', { skip }, (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'tsqemu-rvv-sig-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const prog = path.join(dir, 'rvv-signal');
  const b = ccSpawnSync('riscv64-linux-gnu-gcc', ['-O2', '-static', '-o', prog, path.join(root, 'tests', 'linux-user', 'rvv-signal.c')], { encoding: 'utf8' });
  assert.equal(b.status, 0, b.stderr);
  for (const vlen of [128, 256]) {
    const vlenb = vlen / 8;
    const want = 'end header magic 0 size 0\n' +
      `handler: seen 1 size ${8 + 48 + 32 * vlenb} vl 5 vtype 0 vcsr 6 vlenb ${vlenb} v1[0..3] 0 3 6 9\n` +
      'after: vl 3 vtype 0 vxrm 2 v1 changed by the handler 1 v2 kept 1\n';
    for (const tcg of ['off', 'on']) {
      const env = { ...process.env, TSQEMU_TCG: tcg, ...(tcg === 'on' ? { TSQEMU_TCG_THRESHOLD: '1' } : {}) };
      const got = spawnSync(process.execPath, [TSQEMU, '-cpu', `rv64,v=true,vlen=${vlen}`, prog], { encoding: 'utf8', env });
      assert.equal(got.stdout, want, `vlen ${vlen}, compiler ${tcg}: ${got.stderr}`);
      assert.equal(got.status, 0);
    }
  }
  const bad = spawnSync(process.execPath, [TSQEMU, '-cpu', 'rv64,v=true', prog, 'corrupt'], { encoding: 'utf8' });
  assert.equal(bad.signal, 'SIGSEGV', `a corrupted V header: ${bad.status} ${bad.stdout} ${bad.stderr}`);
  // Without V the frame has no V header (the END header sits where it would be).
  const noV = spawnSync(process.execPath, [TSQEMU, '-cpu', 'rv64', prog], { encoding: 'utf8' });
  assert.equal(noV.signal, 'SIGILL', 'the vector code itself is illegal without V');
});
