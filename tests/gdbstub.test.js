// The GDB stub against real gdb-multiarch, with real qemu-system-riscv64 (Debian 7.2) as the
// reference: the same bare-metal program (tests/gdbstub/gdb-target.c, built with -g) under
// -S -gdb tcp::PORT on both; the same gdb batch script must print the same transcript
// (registers, x/8i, a breakpoint at a symbol hit twice, stepi pcs, variables, CSRs, `info
// threads` with -smp 4, `monitor info status`; watch/rwatch/awatch). A raw-protocol client checks Ctrl-C, no-ack
// mode and physical memory mode on both. -s, -gdb unix: and HMP gdbserver start the stub.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, TSQEMU, QEMU, GCC, build, hasTool, firstDifference } from './tcg-bare-helpers.js';
import { waitPort, waitUnix, stopEmu } from './helpers/emu-proc.js';

const GDB = 'gdb-multiarch';
const skip = !hasTool(GDB) || !hasTool(GCC) || !hasTool(QEMU) ? 'needs gdb-multiarch, riscv64-linux-gnu-gcc and qemu-system-riscv64' : false;
const dir = mkdtempSync(join(tmpdir(), 'tsqemu-gdb-'));
let elf;

function freePort() {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); });
  });
}

/** Start an emulator; resolves once its gdb port accepts connections. */
async function startEmu(cmd, extra, port) {
  const args = ['-M', 'virt', '-bios', 'none', '-kernel', elf, '-nographic', '-S', ...extra];
  const child = cmd === QEMU ? spawn(QEMU, args, { stdio: ['ignore', 'ignore', 'pipe'] })
    : spawn(process.execPath, [TSQEMU, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d) => { err += d; });
  child.errText = () => err;
  if (port !== undefined) {
    await waitPort(port);
  }
  return child;
}

function gdb(target, exs) {
  const args = ['-batch', '-nx', elf, '-ex', 'set architecture riscv:rv64', '-ex', `target remote ${target}`];
  for (const e of exs) args.push('-ex', e);
  const r = spawnSync(GDB, args, { encoding: 'utf8', timeout: 60_000 });
  return r.stdout + r.stderr;
}

const SCRIPT = [
  'info registers', 'x/8i $pc', 'break work', 'continue', 'print $pc',
  'stepi', 'print $pc', 'stepi', 'stepi', 'stepi', 'print $pc', 'x/2i $pc',
  'continue', 'print total', 'print counter', 'print i', 'info registers pc mstatus mhartid mepc mtvec satp',
  'p $ft0', 'delete', 'stepi 20', 'print $pc', 'info threads', 'monitor info status',
];

test.before(() => {
  if (skip) return;
  elf = build({ name: 'gdb-target', file: join(ROOT, 'tests', 'gdbstub', 'gdb-target.c') }, dir);
});
test.after(() => rmSync(dir, { recursive: true, force: true }));

/** Run the gdb script on QEMU and on tsqemu (-smp N); both transcripts. */
async function bothTranscripts(script, smp) {
  const outs = {};
  for (const cmd of [QEMU, TSQEMU]) {
    const port = await freePort();
    const child = await startEmu(cmd, ['-smp', String(smp), '-gdb', `tcp::${port}`], port);
    try {
      outs[cmd] = gdb(`:${port}`, script);
    } finally {
      await stopEmu(child);
    }
  }
  return { want: outs[QEMU], got: outs[TSQEMU] };
}

test('gdb-multiarch prints the same on tsqemu as on QEMU (-smp 4)', { skip }, async () => {
  const { want, got } = await bothTranscripts(SCRIPT, 4);
  assert.match(want, /Breakpoint 1, work \(i=i@entry=1\)/, `QEMU transcript:\n${want}`);
  assert.match(got, /Thread 1\.4 \(CPU#3 \[halted \]\)/);
  const d = firstDifference(want, got);
  assert.equal(d, null, `${d}\n--- tsqemu:\n${got}`);
});

test('watch, rwatch, awatch stop where QEMU stops, with the same values', { skip }, async () => {
  const { want, got } = await bothTranscripts(['break work', 'continue', 'delete', 'watch total', 'continue', 'print $pc',
    'continue', 'print $pc', 'delete', 'rwatch counter', 'continue', 'print $pc', 'delete', 'awatch total', 'continue',
    'continue', 'print $pc', 'delete', 'info threads'], 2);
  assert.match(want, /Old value = 21\nNew value = 64/, `QEMU transcript:\n${want}`);
  assert.match(want, /Hardware read watchpoint 3: counter\n\nValue = 1/);
  const d = firstDifference(want, got);
  assert.equal(d, null, `${d}\n--- tsqemu:\n${got}`);
});

/** A raw remote-protocol client: send a packet, collect replies. */
class RawGdb {
  constructor(sock) {
    this.sock = sock; this.data = ''; this.waiters = [];
    sock.on('data', (d) => { this.data += d.toString('latin1'); this.wake(); });
  }
  static open(port) {
    return new Promise((resolve, reject) => {
      const s = connect(port, '127.0.0.1', () => resolve(new RawGdb(s)));
      s.on('error', reject);
    });
  }
  wake() { for (const w of this.waiters.splice(0)) w(); }
  send(body) {
    let sum = 0;
    for (const c of Buffer.from(body, 'latin1')) sum = (sum + c) & 0xff;
    this.sock.write(`$${body}#${sum.toString(16).padStart(2, '0')}`);
  }
  /** The next packet's body (acks skipped). */
  async reply(ms = 10_000) {
    const end = Date.now() + ms;
    for (;;) {
      const m = /\$([^#]*)#[0-9a-f]{2}/.exec(this.data);
      if (m) { this.data = this.data.slice(m.index + m[0].length); this.sock.write('+'); return m[1]; }
      if (Date.now() > end) throw new Error(`no reply; have ${JSON.stringify(this.data)}`);
      await new Promise((r) => { this.waiters.push(r); setTimeout(r, 100); });
    }
  }
  async ask(body) { this.send(body); return this.reply(); }
  close() { this.sock.destroy(); }
}

test('raw protocol: Ctrl-C, no-ack mode, physical memory, registers, errors (QEMU and tsqemu)', { skip }, async () => {
  const results = {};
  for (const cmd of [QEMU, TSQEMU]) {
    const port = await freePort();
    const child = await startEmu(cmd, ['-gdb', `tcp::${port}`], port);
    const g = await RawGdb.open(port);
    try {
      const r = {};
      // QEMU answers p only once gdb read the target description.
      r.supported = (await g.ask('qSupported:xmlRegisters=riscv')).includes('qXfer:features:read+');
      r.xml = (await g.ask('qXfer:features:read:target.xml:0,ffb')).includes('riscv:rv64');
      r.stop = await g.ask('?');
      r.noack = await g.ask('QStartNoAckMode');
      r.threads = await g.ask('qfThreadInfo');
      r.pc = await g.ask('p20');
      r.mem = await g.ask('m1000,8'); // the reset ROM: auipc t0,0; addi a2,t0,40
      r.phys = await g.ask('Qqemu.PhyMemMode:1');
      r.physMem = await g.ask('m80000000,4');
      r.badReg = (await g.ask('p1000')).startsWith('E');
      // Run, Ctrl-C: again until the hart has left the reset ROM (a loaded host may not have run
      // its few instructions within one turn's 300 ms).
      for (let turn = 0; turn < 20 && !r.inMain; turn++) {
        g.send('c');
        await new Promise((res) => setTimeout(res, 300));
        g.sock.write(Buffer.from([3]));
        r.interrupted = await g.reply();
        r.pcAfter = await g.ask('p20');
        if (!/^[0-9a-f]{16}$/.test(r.pcAfter)) throw new Error(`${cmd}: ${JSON.stringify(r)}`);
        r.inMain = BigInt('0x' + r.pcAfter.match(/../g).reverse().join('')) >= 0x80000000n;
      }
      delete r.pcAfter;
      r.detach = await g.ask('D');
      results[cmd] = r;
    } finally {
      g.close();
      await stopEmu(child);
    }
  }
  assert.equal(results[TSQEMU].interrupted.slice(0, 3), 'T02');
  assert.equal(results[TSQEMU].inMain, true);
  // QStartNoAckMode came in QEMU 8 (Debian's 7.2 answers ''); QEMU 10.2 answers OK, as we do.
  assert.equal(results[TSQEMU].noack, 'OK');
  assert.equal(results[QEMU].noack, '');
  delete results[TSQEMU].noack; delete results[QEMU].noack;
  assert.deepEqual(results[TSQEMU], results[QEMU]);
});

test('a breakpoint in code the block compiler already translated is hit, pc exact', { skip }, async () => {
  const nm = spawnSync('riscv64-linux-gnu-nm', [elf], { encoding: 'utf8' }).stdout;
  const work = /^([0-9a-f]+) T work$/m.exec(nm)[1].replace(/^0+/, '');
  const port = await freePort();
  const child = await startEmu(TSQEMU, ['-gdb', `tcp::${port}`], port);
  const g = await RawGdb.open(port);
  try {
    await g.ask('qSupported');
    // Run until the block compiler has translated something (1.5 s at a time: a loaded machine
    // may need several turns).
    let jit = '';
    let inTbs = 0n;
    for (let turn = 0; turn < 40 && inTbs === 0n; turn++) {
      g.send('c');
      await new Promise((res) => setTimeout(res, 1500));
      g.sock.write(Buffer.from([3]));
      assert.match(await g.reply(), /^T02/);
      jit = Buffer.from((await g.ask(`qRcmd,${Buffer.from('info jit').toString('hex')}`)).slice(1), 'hex').toString();
      await g.reply(); // OK after the O packet
      inTbs = BigInt(/translated insns\s+(\d+)/.exec(jit)[1]);
    }
    assert.ok(inTbs > 0n, jit);
    assert.equal(await g.ask(`Z0,${work},4`), 'OK');
    for (let i = 0; i < 3; i++) {
      g.send('c');
      assert.match(await g.reply(), /^T05thread:01;$/);
      const pc = await g.ask('p20');
      assert.equal(BigInt('0x' + pc.match(/../g).reverse().join('')).toString(16), work);
    }
    assert.equal(await g.ask(`z0,${work},4`), 'OK');
    assert.equal(await g.ask('D'), 'OK');
  } finally {
    g.close();
    await stopEmu(child);
  }
});

test('-s, -gdb unix:PATH,server=on and HMP gdbserver start the stub', { skip }, async () => {
  const sockPath = join(dir, 'gdb.sock');
  const c1 = await startEmu(TSQEMU, ['-gdb', `unix:${sockPath},server=on`]);
  try {
    await waitUnix(sockPath); // up to 60 s: an emulator start under load
    const out = gdb(sockPath, ['print $pc', 'monitor info status']);
    assert.match(out, /\$1 = \(void \(\*\)\(\)\) 0x1000/, out);
    assert.match(out, /VM status: paused \(prelaunch\)/, out);
  } finally {
    await stopEmu(c1);
  }
  const mport = await freePort(), gport = await freePort();
  const c2 = await startEmu(TSQEMU, ['-monitor', `tcp:127.0.0.1:${mport},server=on,wait=off`], mport);
  try {
    const m = await new Promise((resolve, reject) => { const s = connect(mport, '127.0.0.1', () => resolve(s)); s.on('error', reject); });
    let text = '';
    m.on('data', (d) => { text += d; });
    m.write(`gdbserver tcp::${gport}\n`);
    for (let i = 0; i < 1200 && !text.includes('Waiting for gdb'); i++) await new Promise((r) => setTimeout(r, 50));
    assert.match(text, new RegExp(`Waiting for gdb connection on device 'tcp::${gport}'`));
    await waitPort(gport); // the monitor answers before the stub's socket listens
    const out = gdb(`:${gport}`, ['break work', 'continue', 'print $pc']);
    assert.match(out, /<work>/, out);
    m.destroy();
  } finally {
    await stopEmu(c2);
  }
  // -s = -gdb tcp::1234, only where that port is free (other tests may hold it).
  const free1234 = await new Promise((resolve) => {
    const srv = createServer().once('error', () => resolve(false)).listen(1234, () => srv.close(() => resolve(true)));
  });
  if (free1234) {
    const c3 = await startEmu(TSQEMU, ['-s'], 1234);
    try {
      assert.match(gdb(':1234', ['print $pc']), /\$1 = \(void \(\*\)\(\)\) 0x1000/);
    } finally {
      await stopEmu(c3);
    }
  }
  const r = spawnSync(process.execPath, [TSQEMU, '-M', 'virt', '-gdb', 'serial:foo', '-nographic'], { encoding: 'utf8', timeout: 20_000 });
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /-gdb serial:foo: .*unsupported device/);
});

test('the Linux guest: attach, registers through the kernel MMU, stepi, detach (TSQEMU_SLOW=1)',
  { skip: skip || (!process.env.TSQEMU_SLOW && 'opt-in: TSQEMU_SLOW=1') }, async () => {
    const { gunzipSync } = await import('node:zlib');
    const { readFileSync, writeFileSync } = await import('node:fs');
    const kernel = join(dir, 'Image');
    writeFileSync(kernel, gunzipSync(readFileSync(join(ROOT, 'images', 'Image.gz'))));
    const port = await freePort();
    const child = spawn(process.execPath, [TSQEMU, '-M', 'virt', '-m', '256', '-kernel', kernel, '-initrd',
      join(ROOT, 'images', 'initramfs.cpio.gz'), '-append', 'console=ttyS0', '-nographic', '-gdb', `tcp::${port}`],
    { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    try {
      for (let i = 0; i < 1200 && !out.includes('boot complete'); i++) await new Promise((r) => setTimeout(r, 100));
      assert.match(out, /boot complete/);
      const t = gdb(`:${port}`, ['info registers pc satp', 'x/2i $pc', 'stepi', 'monitor info status', 'info threads']);
      assert.match(t, /pc\s+0xffffffff8/, t); // a kernel address, read through Sv39
      assert.match(t, /satp\s+0x[89a]/, t);
      assert.match(t, /=> 0xffffffff8[0-9a-f]+:\t\S/, t);
      assert.match(t, /VM status: paused \(debug\)/, t);
      // Detached: the guest runs again and its shell answers.
      child.stdin.write('echo gdb-$((40+2))\n');
      for (let i = 0; i < 1200 && !out.includes('gdb-42'); i++) await new Promise((r) => setTimeout(r, 100));
      assert.match(out, /gdb-42/);
    } finally {
      await stopEmu(child);
    }
  });
