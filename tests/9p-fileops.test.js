// The default guest mounts four shares (one per security model) over virtio-9p and runs the same
// file-operations script in each (create, append, truncate, rename over, hard and symbolic links,
// chmod/chown, mkfifo/mknod, xattrs, tar out and in, find, df). What the guest sees and what the
// host stores (modes, owners, user.virtfs.* xattrs, .virtfs_metadata files) must equal what real
// qemu-system-riscv64 gives for the same script. A fifth share is readonly=on, with a host
// symlink pointing outside and (as root) a host device node (the guest's kernel interprets it;
// the server never opens it: 9p-server.test.js): the guest gets EROFS and nothing outside. One boot of each emulator, run side by side.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Guest, fileOpsScript, guestViewCmd, haveQemu, hostView, mount } from './9p-helpers.js';

const root = process.getuid?.() === 0;
// passthrough chowns every new file to the guest's uid (0): only root can (QEMU alike).
const MODELS = ['mapped-xattr', 'mapped-file', 'none', ...(root ? ['passthrough'] : [])];

function shares(base) {
  const list = MODELS.map((m, i) => {
    const dir = path.join(base, m);
    fs.mkdirSync(dir);
    return { tag: `s${i}`, dir, opts: `security_model=${m}`, model: m };
  });
  const ro = path.join(base, 'ro');
  fs.mkdirSync(ro);
  fs.writeFileSync(path.join(ro, 'file'), 'ro-content');
  fs.symlinkSync('../secret', path.join(ro, 'out')); // outside the share (same text for both runs)
  if (root) spawnSync('mknod', [path.join(ro, 'zero'), 'c', '1', '5']);
  list.push({ tag: 'ro', dir: ro, opts: 'security_model=mapped-xattr,readonly=on', model: 'ro' });
  return list;
}

async function runAll(qemu, base) {
  fs.mkdirSync(base);
  fs.mkdirSync(path.join(base, 'secret'));
  fs.writeFileSync(path.join(base, 'secret', 'canary'), 'SECRET');
  const sh = shares(base);
  const g = new Guest({ qemu, shares: sh });
  const res = {};
  try {
    await g.boot();
    for (const s of sh.slice(0, MODELS.length)) {
      const mnt = `/mnt/${s.model}`;
      res[s.model] = { mount: await g.sh(mount(s.tag, mnt)) };
      res[s.model].ops = await g.sh(fileOpsScript(mnt));
      res[s.model].guest = await g.sh(guestViewCmd(mnt));
      await g.sh('cd /');
    }
    res.ro = { out: await g.sh([mount('ro', '/mnt/ro'), 'cat /mnt/ro/file; echo',
      'echo x > /mnt/ro/new; echo x >> /mnt/ro/file; mkdir /mnt/ro/d; rm /mnt/ro/file; ln -s a /mnt/ro/l; mv /mnt/ro/file /mnt/ro/f2; chmod 777 /mnt/ro/file',
      'cat /mnt/ro/out/canary; ls /mnt/ro/out/; readlink /mnt/ro/out | sed "s,.*/,,"',
      'ls -l /mnt/ro/zero >/dev/null; echo zero-done'].join('\n')) };
    await g.poweroff();
  } catch (e) {
    g.kill();
    throw e;
  }
  for (const s of sh) res[s.model].host = hostView(s.dir);
  return res;
}

/** QEMU 7.2 fails mkfifo/mknod in passthrough and none (its fchmodat_nofollow opens the new node): left out of the comparison. */
const dropSpecial = (m, text) => (m === 'none' || m === 'passthrough')
  ? text.split('\n').filter((l) => !/fifo|cdev|bdev/.test(l)).map((l) => l.replace(/^(# )+/, '')).join('\n') : text;

test('file operations over virtio-9p in every security model, compared with qemu-system-riscv64', async (t) => {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'tsqemu-9pops-'));
  try {
    const [ours, theirs] = await Promise.all([
      runAll(false, path.join(base, 'tsqemu')),
      haveQemu() ? runAll(true, path.join(base, 'qemu')) : Promise.resolve(undefined),
    ]);
    for (const m of MODELS) {
      const r = ours[m];
      assert.equal(r.mount, 'mounted', m);
      assert.match(r.ops, /fin$/, m);
      assert.match(r.ops, /\.\/d3\/e\/f\/g/, `${m}: tar listing`);
      assert.doesNotMatch(r.ops, /No such|Permission|Invalid|error/i, `${m}: ${r.ops}`);
      assert.match(r.guest, /^\.\/a -rw-r----- 0 0 1 0:0\n {2}size=8 md5=2094b601$/m, m);
      assert.match(r.guest, /^\.\/b -rwsr-xr-x 0 0 1 0:0$/m, m);
      assert.match(r.guest, /^\.\/c -rw-r--r-- 1000 1000 1 0:0\n {2}size=70000/m, m);
      assert.match(r.guest, /^\.\/sym lrwxrwxrwx 1234 5678 1 0:0$/m, m);
      assert.match(r.guest, /^\.\/cdev crw-r--r-- 0 0 1 1:3$/m, m);
      assert.match(r.guest, /^\.\/bdev brw-r--r-- 0 0 1 8:1$/m, m);
      assert.match(r.guest, /^\.\/fifo prw-r--r-- 0 0 1 0:0$/m, m);
      assert.match(r.guest, /^\.\/x2\/d3\/e\/f\/g -rw-r--r-- 0 0 1 0:0\n {2}size=5 md5=1b385aff$/m, m);
      assert.match(r.guest, /^a\n\/etc\/passwd\n1577934245\n6$/m, `${m}: readlink, touch -d, df`);
    }
    // What each model stores on the host.
    assert.match(ours['mapped-xattr'].host, /^cdev 100600 \d+:\d+ 0 \[user\.virtfs\.gid=0x00000000 user\.virtfs\.mode=0xa4210000 user\.virtfs\.rdev=0x0301000000000000 user\.virtfs\.uid=0x00000000\]/m);
    assert.match(ours['mapped-xattr'].host, /^a 100600 \d+:\d+ 8 \[user\.foo=0x626172 user\.virtfs\.gid=0x00000000 user\.virtfs\.mode=0xa0810000 user\.virtfs\.uid=0x00000000\]/m);
    assert.match(ours['mapped-file'].host, /^\.virtfs_metadata\/c 100600 \d+:\d+ 50 "virtfs\.uid=1000\\nvirtfs\.gid=1000\\nvirtfs\.mode=33188\\n"$/m);
    assert.match(ours['mapped-file'].host, /^sym 100600 \d+:\d+ 1 "a"$/m);
    assert.doesNotMatch(ours['mapped-file'].guest, /virtfs_metadata/);
    if (root) assert.match(ours.passthrough.host, /^c 100644 1000:1000 70000/m);
    // readonly=on, a host symlink to outside, a host device node.
    const ro = ours.ro.out;
    assert.match(ours.ro.host, /^file 100644/m);
    assert.match(ro, /^ro-content$/m);
    assert.equal((ro.match(/Read-only file system/g) ?? []).length, 7, ro);
    assert.doesNotMatch(ro, /SECRET/);
    // A host symlink in a mapped share: QEMU reads a mapped link's target from file content,
    // so a real host link reads as ELOOP (QEMU 7.2 does the same; compared below).
    assert.match(ro, /out\/canary': Too many levels of symbolic links/);
    assert.match(ro, /zero-done/);
    assert.equal(fs.readFileSync(path.join(base, 'tsqemu', 'ro', 'file'), 'utf8'), 'ro-content');
    assert.deepEqual(fs.readdirSync(path.join(base, 'tsqemu', 'secret')), ['canary']);
    if (!theirs) { t.diagnostic('qemu-system-riscv64 not installed: comparison skipped'); return; }
    for (const m of MODELS) {
      for (const k of ['mount', 'ops', 'guest', 'host']) {
        assert.equal(dropSpecial(m, ours[m][k]), dropSpecial(m, theirs[m][k]), `${m} ${k} differs from qemu-system-riscv64`);
      }
    }
    assert.equal(ours.ro.host, theirs.ro.host, 'readonly share changed differently from qemu-system-riscv64');
    assert.equal(ours.ro.out, theirs.ro.out, 'the guest saw the readonly share differently from qemu-system-riscv64');
  } finally {
    fs.rmSync(base, { recursive: true, force: true });
  }
});
