// tsqemu-riscv64 -g PORT against real gdb-multiarch, with real qemu-riscv64 (Debian) as the
// reference: the same static program (tests/gdbstub/user-target.c, -g -O0) waits for gdb at
// its first instruction on both; the same batch script (break at main, continue, next, print
// variables, stepi, info registers pc, x/2i, a second breakpoint, set var, finish, continue
// to the exit) must print the same transcript, and the process must end as on QEMU (W packet:
// "exited with code 03"; the value gdb wrote reaches the program's output).
// Difference allowed: stack addresses (argv, sp), since tsqemu places the stack elsewhere.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, hasTool, firstDifference } from './tcg-bare-helpers.js';
import { ccSpawnSync } from './helpers/cc-cache.js';
import { freePort, waitListen } from './gdbstub-helpers.js';

const GDB = 'gdb-multiarch', GCC = 'riscv64-linux-gnu-gcc', QEMU = 'qemu-riscv64';
const TSQEMU = join(ROOT, 'dist', 'cli', 'riscv64.js');
const skip = !hasTool(GDB) || !hasTool(GCC) || !hasTool(QEMU) ? 'needs gdb-multiarch, riscv64-linux-gnu-gcc and qemu-riscv64' : false;

const SCRIPT = [
  'break main', 'continue', 'print local', 'next', 'next', 'print local', 'print counter',
  'stepi', 'info registers pc', 'x/2i $pc', 'stepi 3', 'print $pc',
  // Watchpoints: QEMU's user mode has none (Z2-Z4 answered empty: "Could not insert hardware
  // watchpoint"); gdb's software ones single-step.
  'watch counter', 'continue', 'delete 2', 'set can-use-hw-watchpoints 0', 'watch counter',
  'break square', 'continue', 'print x', 'info registers a0 ra', 'set var x = 10', 'finish', 'print counter',
  'print argv[0][0]', 'continue', 'delete 3', 'continue',
];

/** One emulator under gdb: gdb's transcript, the program's output and exit code. */
async function session(cmd, elf) {
  const port = await freePort();
  const child = cmd === QEMU ? spawn(QEMU, ['-g', String(port), elf], { stdio: ['ignore', 'pipe', 'pipe'] })
    : spawn(process.execPath, [TSQEMU, '-g', String(port), elf], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '', err = '';
  child.stdout.on('data', (d) => { out += d; });
  child.stderr.on('data', (d) => { err += d; });
  const exited = new Promise((resolve) => child.on('close', (code) => resolve(code))); // 'close': `out` is complete (on 'exit' it may not be)
  await waitListen(port);
  const args = ['-batch', '-nx', elf, '-ex', 'set pagination off', '-ex', `target remote 127.0.0.1:${port}`];
  for (const e of SCRIPT) args.push('-ex', e);
  const r = spawnSync(GDB, args, { encoding: 'utf8', timeout: 60_000 });
  let timer;
  const code = await Promise.race([exited, new Promise((res) => { timer = setTimeout(() => { child.kill('SIGKILL'); res('killed'); }, 60_000); })]);
  clearTimeout(timer); // (left pending, it kept the file's process alive 20 s after its tests)
  const transcript = (r.stdout + r.stderr)
    .replace(/argv=0x[0-9a-f]+/g, 'argv=STACK')
    .replace(/^(sp|ra)(\s+)0x[0-9a-f]+\s+0x[0-9a-f]+$/gm, (m, reg, sp) => (reg === 'sp' ? `sp${sp}STACK` : m));
  return { transcript, out, err, code };
}

test('tsqemu-riscv64 -g: gdb breaks, steps, reads and writes like on qemu-riscv64, and sees the exit', { skip, timeout: 180_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tsqemu-gdbuser-'));
  try {
    const elf = join(dir, 'user-target');
    const cc = ccSpawnSync(GCC, ['-static', '-g', '-O0', '-o', elf, join(ROOT, 'tests', 'gdbstub', 'user-target.c')], { encoding: 'utf8' });
    assert.equal(cc.status, 0, cc.stderr);
    const theirs = await session(QEMU, elf);
    const ours = await session('tsqemu', elf);
    assert.match(theirs.transcript, /Breakpoint 1, main \(argc=1, argv=STACK\) at .*user-target\.c:6/, theirs.transcript);
    assert.match(theirs.transcript, /\[Inferior 1 \(process \d+\) exited with code 03\]/);
    assert.match(theirs.transcript, /Could not insert hardware watchpoint 2\./, theirs.transcript);
    assert.match(theirs.transcript, /\nWatchpoint 3: counter\n\nOld value = 5\nNew value = 100\n/, theirs.transcript);
    assert.match(theirs.out, /^counter=100$/m, 'set var x = 10 reached the program (QEMU)');
    const d = firstDifference(theirs.transcript.replace(/process \d+/g, 'process N'), ours.transcript.replace(/process \d+/g, 'process N'));
    assert.equal(d, null, `transcripts differ: ${JSON.stringify(d)}\n--- qemu-riscv64:\n${theirs.transcript}\n--- tsqemu-riscv64:\n${ours.transcript}\n${ours.err}`);
    assert.equal(ours.out, theirs.out);
    assert.equal(ours.code, 3);
    assert.equal(theirs.code, 3);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('tsqemu-riscv64 -g: Ctrl-C stops the running program, k ends it (raw protocol)', { skip, timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tsqemu-gdbuser-'));
  const port = await freePort();
  let child;
  try {
    const elf = join(dir, 'user-loop');
    const cc = ccSpawnSync(GCC, ['-static', '-O0', '-o', elf, join(ROOT, 'tests', 'gdbstub', 'user-loop.c')], { encoding: 'utf8' });
    assert.equal(cc.status, 0, cc.stderr);
    child = spawn(process.execPath, [TSQEMU, '-g', String(port), elf], { stdio: ['ignore', 'ignore', 'pipe'] });
    const exited = new Promise((resolve) => child.on('exit', (code, sig) => resolve(code ?? sig)));
    await waitListen(port);
    const sock = connect(port, '127.0.0.1');
    let buf = '';
    sock.on('data', (d) => { buf += d.toString('latin1'); });
    const sum = (b) => [...b].reduce((a, c) => (a + c.charCodeAt(0)) & 0xff, 0).toString(16).padStart(2, '0');
    const reply = async () => {
      for (let i = 0; i < 200; i++) {
        const m = /\$([^#]*)#[0-9a-f]{2}/.exec(buf);
        if (m) { buf = buf.slice(m.index + m[0].length); return m[1]; }
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`no reply; got ${JSON.stringify(buf)}`);
    };
    const send = (b) => sock.write(`$${b}#${sum(b)}`);
    send('QStartNoAckMode');
    assert.equal(await reply(), 'OK');
    send('?');
    assert.match(await reply(), /^T05/, 'stopped at the first instruction');
    const nm = spawnSync('riscv64-linux-gnu-nm', [elf], { encoding: 'utf8' }).stdout;
    const main = BigInt('0x' + /^([0-9a-f]+) T main$/m.exec(nm)[1]);
    // Interrupted until the program is in its endless loop (start-up takes a while on a busy host).
    let pc = 0n;
    for (let i = 0; i < 20 && !(pc >= main && pc < main + 0x40n); i++) {
      send('c');
      await new Promise((r) => setTimeout(r, 300));
      sock.write('\x03');
      assert.match(await reply(), /^T02thread:/, 'Ctrl-C: SIGINT stop');
      send('p20');
      pc = Buffer.from(await reply(), 'hex').readBigUInt64LE(0);
    }
    assert.ok(pc >= main && pc < main + 0x40n, `stopped in main's loop: pc ${pc.toString(16)}`);
    send('k');
    assert.equal(await exited, 0);
    sock.destroy();
  } finally {
    child?.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});

test('tsqemu-riscv64 -g without a port is refused', { skip: !hasTool(GCC) ? 'needs riscv64-linux-gnu-gcc' : false }, () => {
  const r = spawnSync(process.execPath, [TSQEMU, '-g'], { encoding: 'utf8' });
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /option '-g' requires an argument/);
});
