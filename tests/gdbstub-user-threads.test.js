// tsqemu-riscv64 -g with a pthread program (tests/gdbstub/user-threads.c), real gdb-multiarch
// and qemu-riscv64 (Debian's 7.2) the reference. One batch script on both: a breakpoint in main
// with three workers blocked in futex waits (`info threads` lists 4 threads, `thread 2` + `bt`
// and `info registers pc` of a thread inside a system call: pc past its ecall, as QEMU), a
// breakpoint in the workers' function hit by each thread in turn ("Thread N hit Breakpoint",
// `p` of a local, the thread's TLS through $tp and `output tls_value` (qGetTLSAddr, which QEMU
// lacks), `thread 4` reads another thread's registers),
// exited threads gone from `info threads`, stepi/next in a thread, then the exit. Normalised:
// process and thread ids (QEMU 7.2 says process 1 and host tids; tsqemu the guest's pid and
// tids, as QEMU 10.2's getpid()), column widths, and the frames of threads that are not the
// current one at the workers' stops (where main is between its sem_post and pthread_join
// depends on timing, on QEMU as here).
// A raw-protocol client then sends hostile H/T/qThreadExtraInfo packets (bad, dead and other
// processes' thread ids, garbage) to both and requires QEMU's replies, then random ones: the
// stub still answers and the program still runs to its exit (W00).
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

const GDB = 'gdb-multiarch', GCC = 'riscv64-linux-gnu-gcc', QEMU = 'qemu-riscv64', NM = 'riscv64-linux-gnu-nm';
const TSQEMU = join(ROOT, 'dist', 'cli', 'riscv64.js');
const skip = !hasTool(GDB) || !hasTool(GCC) || !hasTool(QEMU) || !hasTool(NM) ? 'needs gdb-multiarch, riscv64-linux-gnu-gcc/nm and qemu-riscv64' : false;

function emulator(cmd, port, elf) {
  const child = cmd === QEMU ? spawn(QEMU, ['-g', String(port), elf], { stdio: ['ignore', 'pipe', 'pipe'] })
    : spawn(process.execPath, [TSQEMU, '-g', String(port), elf], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => { out += d; });
  child.stderr.on('data', (d) => { out += d; });
  const exited = new Promise((resolve) => child.on('close', (code) => resolve(code)));
  return { child, exited, out: () => out };
}

async function ended(emu) {
  let timer;
  const code = await Promise.race([emu.exited, new Promise((res) => { timer = setTimeout(() => { emu.child.kill('SIGKILL'); res('killed'); }, 60_000); })]);
  clearTimeout(timer);
  return code;
}

const SCRIPT = [
  'break all_ready', 'break worker_mark', 'continue',
  'info threads', 'thread 2', 'bt', 'info registers pc a7', 'p *(int *)$tp', 'thread 1', 'bt',
  'continue', 'info threads', 'bt', 'p id', 'p *(int *)$tp', 'echo TLS=', 'output tls_value', 'echo \\n', 'thread 4', 'p *(int *)$tp', 'bt',
  'continue', 'info threads', 'p $_thread', 'stepi', 'p $_thread', 'next', 'p id',
  'delete', 'continue',
];

function normalise(t) {
  let stop = '';
  return t.split('\n').map((l) => {
    l = l.replace(/Thread \d+\.\d+/g, 'Thread P.T').replace(/process \d+/g, 'process N');
    if (/hit Breakpoint/.test(l)) stop = l;
    const row = /^([* ]) (\d+)\s+(Thread P\.T \([^)]*\))\s+(.*)$/.exec(l);
    if (row) return `${row[1]} ${row[2]} ${row[3]} ${row[1] === '*' || /all_ready/.test(stop) ? row[4] : 'FRAME'}`;
    return /^\s+Id\s+Target Id\s+Frame\s*$/.test(l) ? 'Id Target Id Frame' : l;
  }).join('\n');
}

/** gdb -batch as spawnSync would run it, without blocking the other emulator's session. */
function gdbBatch(args) {
  return new Promise((resolve) => {
    const g = spawn(GDB, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '', stderr = '';
    g.stdout.on('data', (d) => { stdout += d; });
    g.stderr.on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => g.kill('SIGKILL'), 120_000);
    g.on('close', () => { clearTimeout(timer); resolve({ stdout, stderr }); });
  });
}

async function session(cmd, elf) {
  const port = await freePort();
  const emu = emulator(cmd, port, elf);
  await waitListen(port);
  const args = ['-batch', '-nx', elf, '-ex', 'set pagination off', '-ex', `target remote 127.0.0.1:${port}`, ...SCRIPT.flatMap((e) => ['-ex', e])];
  const r = await gdbBatch(args);
  const code = await ended(emu);
  return { raw: r.stdout + r.stderr, transcript: normalise(r.stdout + r.stderr), out: emu.out(), code };
}

function build(dir) {
  const elf = join(dir, 'user-threads');
  const cc = ccSpawnSync(GCC, ['-static', '-g', '-O0', '-pthread', '-o', elf, join(ROOT, 'tests', 'gdbstub', 'user-threads.c')], { encoding: 'utf8' });
  assert.equal(cc.status, 0, cc.stderr);
  return elf;
}

test('tsqemu-riscv64 -g: gdb sees and switches between a pthread program\'s threads as on qemu-riscv64', { skip, timeout: 300_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tsqemu-gdbthreads-'));
  try {
    const elf = build(dir);
    const [theirs, ours] = await Promise.all([session(QEMU, elf), session('tsqemu', elf)]); // (each its own port)
    // `output tls_value` (gdb's qGetTLSAddr): QEMU has no such packet (gdb says so on stderr);
    // tsqemu answers for the static program (tp + offset): the worker's own 100.
    assert.match(theirs.transcript, /Remote target doesn't support qGetTLSAddr packet/);
    assert.match(ours.transcript, /^TLS=100$/m);
    theirs.transcript = theirs.transcript.replace(/^TLS=$/m, 'TLS=100').replace(/^Cannot find thread-local storage for Thread P\.T, executable file .*:\nRemote target doesn't support qGetTLSAddr packet\n?/m, '');
    assert.match(theirs.transcript, /Thread 2 hit Breakpoint 2, worker_mark \(id=0\)/, theirs.raw);
    const d = firstDifference(theirs.transcript, ours.transcript, 'tsqemu-riscv64', 'qemu-riscv64');
    assert.equal(d, null, `transcripts differ: ${d}\n--- qemu-riscv64:\n${theirs.raw}\n--- tsqemu-riscv64:\n${ours.raw}\n${ours.out}`);
    // What the comparison holds, spelled out: 4 threads at all_ready, each worker's hit in turn.
    assert.equal((ours.transcript.split('hit Breakpoint 1')[1].split('Switching to thread 2')[0].match(/Thread P\.T/g) ?? []).length, 4);
    for (const [n, id] of [[2, 0], [3, 1]]) assert.match(ours.transcript, new RegExp(`Thread ${n} hit Breakpoint 2, worker_mark \\(id=${id}\\)`));
    assert.match(ours.transcript, /\[Inferior 1 \(process N\) exited normally\]/);
    // Thread ids are the guest's pid and tids (QEMU 10.2: p<getpid()>.<tid>).
    const ids = [...ours.raw.matchAll(/Thread (\d+)\.(\d+)/g)];
    assert.ok(ids.length > 0 && ids.every((m) => m[1] === ids[0][1]), 'one process id');
    assert.equal(ours.out, theirs.out);
    assert.equal(ours.out, '100 101 102 7\n');
    assert.equal(ours.code, 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** A raw-protocol client; it acks each reply (QEMU 7.2 has no no-ack mode). */
async function rawClient(port) {
  const sock = connect(port, '127.0.0.1');
  sock.setNoDelay(true); // (the ack and the next packet are two small writes: Nagle held the second for the peer's delayed ACK)
  let buf = '';
  let wake = null; // the pending reply()'s resolver: woken by each chunk (a 50 ms poll cost ~17 s a run)
  sock.on('data', (d) => { buf += d.toString('latin1'); wake?.(); });
  sock.on('error', () => {}); // (the emulator ends after W: a reset is no failure)
  const sum = (b) => [...b].reduce((a, c) => (a + c.charCodeAt(0)) & 0xff, 0).toString(16).padStart(2, '0');
  const reply = async (what) => {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const m = /\$([^#]*)#[0-9a-f]{2}/.exec(buf);
      if (m) { buf = buf.slice(m.index + m[0].length); sock.write('+'); return m[1]; }
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no reply to ${what}; got ${JSON.stringify(buf)}`);
      let timer;
      await new Promise((r) => { wake = r; timer = setTimeout(r, left); });
      clearTimeout(timer);
      wake = null;
    }
  };
  const ask = async (b) => { sock.write(`$${b}#${sum(b)}`); return reply(b); };
  await ask('qSupported:multiprocess+;swbreak+');
  return { ask, reply, sock };
}

/** Stopped at all_ready (4 threads): the hostile packets' replies, and the program's end. */
async function hostile(cmd, elf, allReady, fuzz) {
  const port = await freePort();
  const emu = emulator(cmd, port, elf);
  await waitListen(port);
  const c = await rawClient(port);
  try {
    assert.equal(await c.ask(`Z0,${allReady.toString(16)},2`), 'OK');
    const stop = await c.ask('c');
    assert.match(stop, /^T05thread:p[0-9a-f]+\.[0-9a-f]+;/, stop);
    const [, pid, tid] = /thread:p([0-9a-f]+)\.([0-9a-f]+);/.exec(stop);
    // (QEMU answers one thread a packet; tsqemu all in the first.)
    const threads = [];
    for (let r = await c.ask('qfThreadInfo'); r !== 'l'; r = await c.ask('qsThreadInfo')) {
      assert.match(r, /^m/);
      threads.push(...r.slice(1).split(','));
      assert.ok(threads.length < 200);
    }
    const other = Number.parseInt(pid, 16) + 1;
    const replies = {};
    for (const p of ['Hg0', 'Hc-1', `Hgp${pid}.0`, `Hgp${other.toString(16)}.${tid}`, `Hgp${pid}.7fffffff`, 'Hgffffffff', 'Hg123456789abcdef',
      'Hgzz', 'Hg', 'Hgp', 'Hgp.', `Hgp${pid}.`, 'Hg-2', 'Hx1', 'Hcp-1.-1', 'Hgp-1.1', 'Hgp0.0', `Hgp${pid}.-1`, 'Hg1',
      `T${'f'.repeat(9)}`, 'Tp1.zz', 'T', 'T-1', 'T0', `Tp${pid}.${tid}`, 'qThreadExtraInfo,', 'qThreadExtraInfo,zz', 'vCont;c:zz', `vCont;s:p${pid}.7fffffff`,
      'QNonStop:1', 'QNonStop:0', 'vStopped']) { // (non-stop: QEMU's user mode has none)
      replies[`${Object.keys(replies).length}`] = `${p.split(`p${pid}.`).join('pPID.').split(`p${other.toString(16)}.`).join('pOTHER.').split(`.${tid}`).join('.TID')} -> ${await c.ask(p)}`; // (ids differ between the two)
    }
    // Every listed thread: Hg selects it, g reads its registers, T says it is alive.
    const pcs = [];
    for (const t of threads) {
      assert.equal(await c.ask(`Hg${t}`), 'OK', t);
      assert.equal(await c.ask(`T${t}`), 'OK', t);
      pcs.push((await c.ask('g')).slice(32 * 16, 33 * 16));
    }
    if (fuzz) {
      const rnd = (n) => Math.floor(Math.random() * n);
      const junk = () => Array.from({ length: rnd(12) }, () => 'p.-0123456789abcdefxyz;:,'[rnd(25)]).join('');
      for (let i = 0; i < 300; i++) {
        const p = ['Hg', 'Hc', 'T', 'qThreadExtraInfo,'][rnd(4)] + junk(); // (not vCont: a valid one resumes)
        const r = await c.ask(p);
        assert.ok(r === 'OK' || /^E[0-9a-f]{2}$/.test(r) || /^[0-9a-f]*$/.test(r), `${p}: ${r}`);
      }
      assert.match(await c.ask('?'), /^T05thread:/, 'still answers');
      assert.equal(await c.ask(`Hg${threads[0]}`), 'OK');
    }
    assert.equal(await c.ask(`z0,${allReady.toString(16)},2`), 'OK');
    const end = await c.ask('c');
    const code = await ended(emu);
    return { replies, threads: threads.length, pcs, end, code, out: emu.out() };
  } finally {
    c.sock.destroy();
    emu.child.kill('SIGKILL');
  }
}

test('tsqemu-riscv64 -g: hostile thread ids in H, T and qThreadExtraInfo get QEMU\'s replies; random ones never break the stub', { skip, timeout: 300_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tsqemu-gdbthreads-'));
  try {
    const elf = build(dir);
    const allReady = BigInt('0x' + /^([0-9a-f]+) T all_ready$/m.exec(spawnSync(NM, [elf], { encoding: 'utf8' }).stdout)[1]);
    const [theirs, ours] = await Promise.all([hostile(QEMU, elf, allReady, false), hostile('tsqemu', elf, allReady, true)]);
    assert.equal(theirs.threads, 4);
    assert.equal(ours.threads, 4);
    assert.deepEqual(ours.replies, theirs.replies);
    assert.deepEqual(ours.pcs, theirs.pcs, 'each thread\'s pc');
    assert.equal(ours.end, 'W00');
    assert.equal(ours.code, 0);
    assert.equal(ours.out, '100 101 102 7\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('tsqemu-riscv64 -g: Ctrl-C stops every thread (counters stay put), a thread asleep in a system call does not hold the stop up', { skip, timeout: 180_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tsqemu-gdbthreads-'));
  const port = await freePort();
  let emu;
  try {
    const elf = join(dir, 'user-spin');
    const cc = ccSpawnSync(GCC, ['-static', '-O1', '-pthread', '-o', elf, join(ROOT, 'tests', 'gdbstub', 'user-spin.c')], { encoding: 'utf8' });
    assert.equal(cc.status, 0, cc.stderr);
    const counts = /^([0-9a-f]+) B counts$/m.exec(spawnSync(NM, [elf], { encoding: 'utf8' }).stdout)[1];
    emu = emulator('tsqemu', port, elf);
    await waitListen(port);
    const c = await rawClient(port);
    let moved = false;
    for (let round = 0; round < 20 && !moved; round++) {
      c.sock.write('$c#63');
      await new Promise((r) => setTimeout(r, 1000));
      c.sock.write('\x03');
      assert.match(await c.reply('Ctrl-C'), /^T02thread:p[0-9a-f]+\.[0-9a-f]+;/);
      const threads = (await c.ask('qfThreadInfo')).slice(1).split(',');
      const a = await c.ask(`m${counts},20`);
      await new Promise((r) => setTimeout(r, 500));
      assert.equal(await c.ask(`m${counts},20`), a, 'no thread runs while gdb has the world stopped');
      // Until all five threads are there and every counter has moved.
      moved = threads.length === 5 && [0, 1, 2, 3].every((i) => Buffer.from(a, 'hex').readBigUInt64LE(i * 8) > 0n);
    }
    assert.ok(moved, 'all threads ran between the stops');
    c.sock.write('$k#6b');
    assert.equal(await ended(emu), 0);
    c.sock.destroy();
  } finally {
    emu?.child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});
