// -accel tcg,thread=multi (MTTCG: a host thread per hart). Bare metal: harts increment shared
// counters at once with amoadd, lr/sc and a spinlock (tests/tcg/mttcg/counter.S); every count
// must be exact, in the interpreter, with the default compiler and with everything translated,
// and the output equal to real QEMU's; code one hart rewrites (xmodify.S) runs rewritten on the
// other after its fence.i. The reference guest with -smp 2: boots to a shell, two
// processes compute at once with correct results, both harts took timer interrupts and ran
// tasks (/proc/interrupts, /proc/stat), stop/cont through the monitor, and a guest reboot
// (every hart parked while the machine resets) boots again. Refusals: -icount (QEMU's words),
// -s, aia=. A hart spinning with pause (pause.S) on a lock held long gets it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import crypto from 'node:crypto';
import { spawnSync } from 'node:child_process';
import net from 'node:net';
import { Console, ROOT, hasTool, run, tmpdir } from './system-helpers.js';
import { ccSpawnSync } from './helpers/cc-cache.js';

// Generous: under host load a thread=multi guest's harts wait for cores and its spinning waits
// stretch (two -smp 2 boots at once at load 29 did not reach the second CPU in 120 s).
const TIMEOUT = 600_000;
const BOOT_MS = 300_000;
const noGcc = !hasTool('riscv64-linux-gnu-gcc') && 'needs riscv64-linux-gnu-gcc';
const dir = tmpdir();

function build(name, harts) {
  const elf = path.join(dir, `${name}${harts}.elf`);
  const r = ccSpawnSync('riscv64-linux-gnu-gcc', ['-nostdlib', '-nostartfiles', '-static', '-no-pie', '-march=rv64gc', '-mabi=lp64d',
    '-Wl,--no-warn-rwx-segments', '-T', path.join(ROOT, 'tests/tcg/riscv64/link.ld'), `-DHARTS=${harts}`,
    path.join(ROOT, `tests/tcg/mttcg/${name}.S`), '-o', elf], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return elf;
}

const hex8 = (n) => n.toString(16).padStart(8, '0');

const ALL_MODES = ['tcg,thread=multi', 'tcg,thread=multi,jit=off', 'tcg,thread=multi,jit-threshold=1'];

/** Bare-metal `prog` on `harts` harts prints `want` in each of `modes` (the three compiler modes)
 * under thread=multi, and under real QEMU's MTTCG where it is installed. */
async function expectEverywhere(prog, harts, want, modes = ALL_MODES) {
  const args = ['-M', 'virt', '-smp', String(harts), '-bios', 'none', '-kernel', build(prog, harts), '-nographic', '-no-reboot'];
  for (const accel of modes) {
    const r = await run([...args, '-accel', accel], { timeoutMs: TIMEOUT / 4, input: '' });
    assert.equal(r.code, 0, `${accel}: ${r.stdout}${r.stderr}`);
    assert.equal(r.stdout, want, accel);
  }
  if (hasTool('qemu-system-riscv64')) {
    const q = spawnSync('qemu-system-riscv64', [...args, '-accel', 'tcg,thread=multi'], { encoding: 'utf8', input: '', timeout: TIMEOUT / 4 });
    assert.equal(q.status, 0, q.stderr);
    assert.equal(q.stdout, want, 'real QEMU');
  }
}

// 4 harts: the defaults and threshold 1 (the compiler off too with TSQEMU_SLOW=1). At the defaults
// this program runs wholly interpreted (`TSQEMU_JIT_INFO=1`: 0% of its instructions translated,
// at -smp 2 and 4), so the compiler-off run repeated the default one; threshold 1 takes the
// translated atomics through the 4-way contention, and the 2-hart run keeps all three modes.
for (const harts of [2, 4]) {
  const modes = harts === 2 || process.env.TSQEMU_SLOW === '1' ? ALL_MODES : [ALL_MODES[0], ALL_MODES[2]];
  test(`bare metal: ${harts} harts on threads count exactly with amoadd, lr/sc and a spinlock`, { skip: noGcc, timeout: TIMEOUT }, async () => {
    const n = hex8(harts * 100000);
    await expectEverywhere('counter', harts, `amoadd ${n} lr/sc ${n} lock ${n}\n`, modes);
  });
}

test('bare metal: code one hart rewrites runs rewritten on the other after its fence.i (translated there)', { skip: noGcc, timeout: TIMEOUT }, async () => {
  const elf = build('xmodify', 2);
  const args = ['-M', 'virt', '-smp', '2', '-bios', 'none', '-kernel', elf, '-nographic', '-no-reboot'];
  // jit-threshold=1: hart 1's loop over func is translated at once (without the cross-thread
  // invalidation it then returns a stale round). At the defaults the program runs wholly
  // interpreted (0% translated, `TSQEMU_JIT_INFO=1`): the compiler-off run repeats it, so it runs
  // only with TSQEMU_SLOW=1.
  const modes = ['tcg,thread=multi,jit-threshold=1', 'tcg,thread=multi', ...(process.env.TSQEMU_SLOW === '1' ? ['tcg,thread=multi,jit=off'] : [])];
  for (const accel of modes) {
    const r = await run([...args, '-accel', accel], { timeoutMs: TIMEOUT / 4, input: '' });
    assert.equal(r.code, 0, `${accel}: ${r.stdout}${r.stderr}`);
    assert.equal(r.stdout, 'xmodify ok\n', accel);
  }
  // Not compared with qemu-system-riscv64 7.2: under host load its MTTCG itself sometimes runs the
  // stale func after the fence.i ("xmodify FAIL round 10 got f", seen in CI), so it is no reference here.
});

test('bare metal: a hart spinning with pause (as Linux\'s cpu_relax) on a lock another hart holds long takes it when released', { skip: noGcc, timeout: TIMEOUT }, async () => {
  await expectEverywhere('pause', 2, 'pause 002dc6c0 00000001\n');
});

test('thread=multi refusals: -icount (as QEMU), the GDB stub, AIA, Zacas', async () => {
  const refuse = async (args, re) => {
    const r = await run(['-M', 'virt', '-smp', '2', '-accel', 'tcg,thread=multi', '-display', 'none', ...args], { timeoutMs: 30_000, input: '' });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, re);
  };
  await refuse(['-icount', 'shift=3'], /^tsqemu-system-riscv64: -accel tcg,thread=multi: No MTTCG when icount is enabled\n$/);
  await refuse(['-s', '-S'], /the GDB stub .* is not supported with MTTCG by tsqemu/);
  await refuse(['-M', 'virt,aia=aplic-imsic'], /aia=aplic-imsic is not supported with MTTCG by tsqemu/);
  await refuse(['-cpu', 'rv64,zacas=on', '-bios', 'none'], /Zacas \(zacas=on\) is not supported with MTTCG by tsqemu/);
});

/** HMP on a unix socket: cmd() sends one command and resolves with its output (up to the next
 * prompt), one command at a time. */
async function hmpClient(sock) {
  let conn;
  for (let i = 0; i < 100 && !conn; i++) {
    conn = await new Promise((resolve) => {
      const s = net.createConnection(sock, () => resolve(s));
      s.on('error', () => resolve(undefined));
    });
    if (!conn) await new Promise((r) => setTimeout(r, 100));
  }
  assert.ok(conn, 'monitor socket');
  let buf = '';
  let waiter;
  conn.on('data', (d) => { buf += d; waiter?.(); });
  const prompt = () => new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no (qemu) prompt: ${buf}`)), 30_000);
    const check = () => {
      const i = buf.indexOf('(qemu) ');
      if (i < 0) return;
      const out = buf.slice(0, i);
      buf = buf.slice(i + 7);
      waiter = undefined;
      clearTimeout(t);
      resolve(out);
    };
    waiter = check;
    check();
  });
  await prompt();
  return {
    cmd: async (c) => { conn.write(`${c}\n`); return (await prompt()).replace(/\r/g, ''); },
    close: () => conn.destroy(),
  };
}

test('reference guest, -smp 2 thread=multi: shell, two processes at once, both harts busy, stop/cont, reboot', { timeout: 3 * TIMEOUT }, async () => {
  const sock = path.join(dir, 'hmp.sock');
  const c = new Console(['-M', 'virt', '-m', '256M', '-smp', '2', '-accel', 'tcg,thread=multi', '-nographic',
    '-monitor', `unix:${sock},server=on,wait=off`]);
  try {
    await c.expect(/smp: Brought up 1 node, 2 CPUs/, BOOT_MS, 0);
    await c.expect(/tsqemu-guest: boot complete/, BOOT_MS, 0);
    assert.equal(await c.sh('echo $((6 * 7))'), '42');
    // Two CPU-bound processes at once, each result checked.
    const mib = 4;
    const want = crypto.createHash('sha256').update(Buffer.alloc(mib << 20)).digest('hex');
    await c.sh(`dd if=/dev/zero of=/tmp/z bs=1M count=${mib} 2>/dev/null`);
    const out = await c.sh('sha256sum /tmp/z > /tmp/a & sha256sum /tmp/z > /tmp/b & wait; cat /tmp/a /tmp/b', BOOT_MS);
    assert.deepEqual(out.split('\n').map((l) => l.trim()), [`${want}  /tmp/z`, `${want}  /tmp/z`]);
    // Each hart took its own timer interrupts and spent time running tasks.
    const irq = (await c.sh("grep riscv-timer /proc/interrupts")).trim().split(/\s+/);
    assert.ok(Number(irq[1]) > 0 && Number(irq[2]) > 0, `timer interrupts per CPU: ${irq.join(' ')}`);
    const stat = await c.sh('grep ^cpu[01] /proc/stat');
    for (const cpu of ['cpu0', 'cpu1']) {
      const f = stat.split('\n').find((l) => l.startsWith(`${cpu} `))?.split(/\s+/).map(Number);
      assert.ok(f && f[1] + f[3] > 0, `${cpu} ran tasks: ${stat}`);
    }
    // The monitor's stop parks both harts (the guest clock stops); cont resumes them.
    const hmp = await hmpClient(sock);
    await hmp.cmd('stop');
    assert.match(await hmp.cmd('info status'), /VM status: paused/);
    await hmp.cmd('cont');
    assert.match(await hmp.cmd('info status'), /VM status: running/);
    hmp.close();
    assert.equal(await c.sh('echo resumed'), 'resumed');
    // A guest reboot: the machine resets with every hart parked, and boots again.
    const from = c.out.length;
    c.send('reboot -f\n');
    await c.expect(/smp: Brought up 1 node, 2 CPUs/, BOOT_MS, from);
    await c.expect(/tsqemu-guest: boot complete/, BOOT_MS, from);
    assert.equal(await c.sh('echo $((6 * 7))'), '42');
    c.send('poweroff -f\n');
    assert.equal(await c.exit, 0);
  } finally {
    c.kill();
  }
});

