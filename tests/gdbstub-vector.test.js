// The GDB stub's vector registers (QEMU's org.gnu.gdb.riscv.vector feature: v0-v31 as a union of
// uint128/64/32/16/8 lanes, and vstart..vlenb in the csr feature) against real gdb-multiarch, with
// real qemu-system-riscv64 (Debian 7.2, -cpu rv64,v=true) as the reference: reading v1 in every
// lane view, the vector CSRs, `info registers vector`, and writing v2 from gdb (the program then
// stores v2 to memory, which gdb prints) give the same transcript on both.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, TSQEMU, QEMU, GCC, build, hasTool, firstDifference } from './tcg-bare-helpers.js';
import { waitPort, stopEmu } from './helpers/emu-proc.js';

const GDB = 'gdb-multiarch';
const skip = !hasTool(GDB) || !hasTool(GCC) || !hasTool(QEMU) ? 'needs gdb-multiarch, riscv64-linux-gnu-gcc and qemu-system-riscv64' : false;

function freePort() {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); });
  });
}

async function startEmu(cmd, elf, port, vlen) {
  const args = ['-M', 'virt', '-bios', 'none', '-kernel', elf, '-nographic', '-S', '-cpu', `rv64,v=true,vlen=${vlen}`, '-gdb', `tcp::${port}`];
  const child = cmd === QEMU ? spawn(QEMU, args, { stdio: ['ignore', 'ignore', 'ignore'] })
    : spawn(process.execPath, [TSQEMU, ...args], { stdio: ['ignore', 'ignore', 'ignore'] });
  await waitPort(port);
  return child;
}

const SCRIPT = [
  'break vec_ready', 'break vec_done', 'continue',
  'p $v1.b', 'p/x $v1.s', 'p/x $v1.w', 'p/x $v1.l', 'p/x $v1.q', 'p $vl', 'p $vtype', 'p $vlenb', 'p $vstart', 'p $vcsr',
  'info registers v1',
  'set var $v2.l[0] = 0x1122334455667788', 'set var $v2.w[3] = 0xdeadbeef', 'p/x $v2.l',
  'continue', 'p/x out', 'info vector', 'p $priv',
];

for (const vlen of [128, 256]) {
  test(`gdb-multiarch reads and writes vector registers as on QEMU (VLEN ${vlen})`, { skip }, async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'tsqemu-gdbv-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const elf = build({ name: 'gdb-vector', file: join(ROOT, 'tests', 'gdbstub', 'gdb-vector.c') }, dir);
    const outs = {};
    for (const cmd of [QEMU, TSQEMU]) {
      const port = await freePort();
      const child = await startEmu(cmd, elf, port, vlen);
      try {
        const args = ['-batch', '-nx', elf, '-ex', 'set architecture riscv:rv64', '-ex', `target remote :${port}`];
        for (const e of SCRIPT) args.push('-ex', e);
        const r = spawnSync(GDB, args, { encoding: 'utf8', timeout: 60_000 });
        outs[cmd] = r.stdout + r.stderr;
      } finally {
        await stopEmu(child);
      }
    }
    const want = outs[QEMU], got = outs[TSQEMU];
    assert.match(want, /\$1 = \{1, 6, 11, 16/, `QEMU transcript:\n${want}`);
    assert.match(want, /0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11, 0x0, 0x0, 0x0, 0x0, 0xef, 0xbe, 0xad, 0xde/, `QEMU transcript:\n${want}`);
    const d = firstDifference(want, got);
    assert.equal(d, null, `${d}\n--- tsqemu:\n${got}`);
  });
}
