// QMP getfd / closefd / add-fd with descriptors passed by SCM_RIGHTS on the unix monitor socket
// (a python3 client, tests/helpers/qmp-sendfd.py): the same conversation against
// qemu-system-riscv64 and ours must give the same replies, fd numbers aside (each process has
// its own), and query-fdsets in set-id order (QEMU 7.2 lists sets in creation order; ours sorts).
// The descriptor add-fd reports is the passed file in the emulator (/proc/PID/fd), and a set
// filled by add-fd opens as /dev/fdset/N in blockdev-add.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { BIN, ROOT, hasTool, tmpdir } from './system-helpers.js';

const QEMU = 'qemu-system-riscv64';
const skip = !hasTool(QEMU) || !hasTool('python3') ? 'needs qemu-system-riscv64 and python3' : false;

async function conversation(bin, dir, file) {
  const sock = path.join(dir, `${path.basename(bin)}.sock`);
  const p = spawn(bin, ['-M', 'virt', '-display', 'none', '-nodefaults', '-qmp', `unix:${sock},server=on,wait=off`], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  p.stderr.on('data', (d) => { err += d; });
  try {
    for (let i = 0; i < 2400 && !fs.existsSync(sock); i++) await new Promise((r) => setTimeout(r, 25)); // up to 60 s
    const c = spawn('python3', [path.join(ROOT, 'tests', 'helpers', 'qmp-sendfd.py'), sock, file], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '', cerr = '';
    c.stdout.on('data', (d) => { out += d; });
    c.stderr.on('data', (d) => { cerr += d; });
    const done = new Promise((r) => c.on('exit', r));
    for (let i = 0; i < 1200 && !out.includes('\n'); i++) {
      if (c.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.ok(out.includes('\n'), `client: ${cerr}\nemulator: ${err}`);
    const replies = JSON.parse(out);
    // The descriptor add-fd put in set 5 is, in the emulator, the file the client opened.
    const fd5 = replies.at(-2).return.fd;
    const target = fs.readlinkSync(`/proc/${p.pid}/fd/${fd5}`);
    c.stdin.end();
    await done;
    return { replies, target };
  } finally {
    p.kill('SIGKILL');
  }
}

/** fd numbers in order of appearance (12, 13... on QEMU, others on ours) become fd0, fd1... */
function normalise(replies) {
  const ids = new Map();
  const fd = (n) => { if (!ids.has(n)) ids.set(n, `fd${ids.size}`); return ids.get(n); };
  const walk = (v) => {
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object') {
      const o = {};
      for (const [k, x] of Object.entries(v)) o[k] = k === 'fd' && typeof x === 'number' ? fd(x) : walk(x);
      if (Array.isArray(o.return) && o.return[0]?.['fdset-id'] !== undefined) o.return.sort((a, b) => a['fdset-id'] - b['fdset-id']);
      return o;
    }
    return v;
  };
  return walk(replies);
}

test('QMP getfd, closefd and add-fd take descriptors passed with SCM_RIGHTS, as QEMU', { skip, timeout: 120_000 }, async () => {
  const dir = tmpdir();
  try {
    const file = path.join(dir, 'image.raw');
    fs.writeFileSync(file, Buffer.alloc(1 << 20, 0x5a));
    const theirs = await conversation(QEMU, dir, file);
    const ours = await conversation(BIN, dir, file);
    assert.equal(theirs.target, file);
    assert.equal(ours.target, file, 'the descriptor passed is the file');
    assert.deepEqual(normalise(ours.replies), normalise(theirs.replies));
    assert.match(JSON.stringify(ours.replies[1]), /No file descriptor supplied via SCM_RIGHTS/);
    assert.deepEqual(ours.replies.at(-1), { return: {} }, 'blockdev-add opened /dev/fdset/5');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
