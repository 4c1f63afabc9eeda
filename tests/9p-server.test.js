// The 9P2000.L server and the local back end driven by a raw 9P client (no guest): the escape
// corpus a hostile guest could send that the Linux client never would ('..' at the root, names
// with '/', NUL or too long, bogus fids, symlinks placed by the host or by the guest pointing
// outside, a symlink swapped in during walks, device nodes, floods, never-clunked fids) and
// readonly=on. Outside the export sits a canary directory: nothing there may be read or written.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { V9fsState } from '../dist/9pfs/9p.js';
import { P9Reader, P9Writer } from '../dist/9pfs/9p-proto.js';
import { LocalFsDriver } from '../dist/host/node/9p-local.js';
import { MemFsDriver } from '../dist/9pfs/9p-memfs.js';

const T = { version: 100, attach: 104, walk: 110, lopen: 12, lcreate: 14, read: 116, write: 118, clunk: 120, getattr: 24,
  setattr: 26, readdir: 40, mkdir: 72, symlink: 16, mknod: 18, link: 70, renameat: 74, unlinkat: 76, readlink: 22,
  xattrwalk: 30, xattrcreate: 32, statfs: 8, remove: 122, flush: 108, fsync: 50, lock: 52, getlock: 54, rename: 20 };
const E = { ENOENT: 2, EBADF: 9, EEXIST: 17, ENOTDIR: 20, EINVAL: 22, EROFS: 30, ENAMETOOLONG: 36, ELOOP: 40, ENXIO: 6, EMFILE: 24, EOPNOTSUPP: 95 };

function setup(model = 'mapped-xattr', extra = {}) {
  const top = fs.mkdtempSync(path.join(os.tmpdir(), 'tsqemu-9p-'));
  const share = path.join(top, 'share');
  const secret = path.join(top, 'secret');
  fs.mkdirSync(share);
  fs.mkdirSync(secret);
  fs.writeFileSync(path.join(secret, 'canary'), 'SECRET');
  fs.mkdirSync(path.join(share, 'sub'));
  fs.writeFileSync(path.join(share, 'sub', 'file'), 'inside');
  fs.symlinkSync(secret, path.join(share, 'hostlink')); // a host symlink pointing outside
  fs.symlinkSync('../secret/canary', path.join(share, 'rel'));
  return { top, share, secret, model, extra };
}

async function client(env) {
  const driver = env.driver ?? await LocalFsDriver.open({ path: env.share, securityModel: env.model, ...env.extra });
  const s = new V9fsState({ driver });
  let tag = 1;
  const raw = async (type, build, replyMax = 1 << 20) => {
    const w = new P9Writer();
    build(w);
    const rep = await s.handle(w.finish(type, tag++ & 0xffff), replyMax);
    const r = new P9Reader(rep);
    r.u32();
    const t = r.u8();
    r.u16();
    return { t, r };
  };
  const rpc = async (type, build) => {
    const { t, r } = await raw(type, build);
    if (t === 7) { const e = new Error(`Rlerror ${r.pos}`); e.errno = r.u32(); throw e; }
    assert.equal(t, type + 1);
    return r;
  };
  const errno = async (type, build) => {
    try {
      await rpc(type, build);
    } catch (e) {
      if (e.errno !== undefined) return e.errno;
      throw e;
    }
    return 0;
  };
  await rpc(T.version, (w) => w.u32(65536).str('9P2000.L'));
  // As the user running the test: passthrough can chown new files to it without privilege.
  await rpc(T.attach, (w) => w.u32(0).u32(0xffffffff).str('root').str('').u32(env.model === 'passthrough' ? process.getuid() : 0));
  let next = 100;
  const walk = async (names, from = 0) => {
    const fid = next++;
    const r = await rpc(T.walk, (w) => { w.u32(from).u32(fid).u16(names.length); for (const n of names) w.str(n); });
    return { fid, n: r.u16() };
  };
  const readAll = async (fid) => {
    await rpc(T.lopen, (w) => w.u32(fid).u32(0));
    const r = await rpc(T.read, (w) => w.u32(fid).u64(0).u32(4096));
    const n = r.u32();
    return Buffer.from(r.bytes(n)).toString();
  };
  return { s, driver, rpc, raw, errno, walk, readAll, newFid: () => next++ };
}

function canaryIntact(env) {
  assert.deepEqual(fs.readdirSync(env.secret), ['canary']);
  assert.equal(fs.readFileSync(path.join(env.secret, 'canary'), 'utf8'), 'SECRET');
}

for (const model of ['mapped-xattr', 'mapped-file', 'passthrough', 'none']) {
  test(`escape corpus (${model}): nothing outside the export is read or written`, async () => {
    const env = setup(model);
    const c = await client(env);
    try {
      // '..' at the root stays at the root: walking up and back down finds the export's own entries.
      const up = await c.walk(['..', '..', '..', 'sub', 'file']);
      assert.equal(up.n, 5);
      assert.equal(await c.readAll(up.fid), 'inside');
      // A partial walk (the third name is missing): two qids, and the new fid is not made.
      const pw = c.newFid();
      assert.equal((await c.rpc(T.walk, (w) => w.u32(0).u32(pw).u16(3).str('..').str('..').str('secret'))).u16(), 2);
      assert.equal(await c.errno(T.getattr, (w) => w.u32(pw).u64(0x7ffn)), E.EBADF);
      // Names with '/', NUL, empty, absolute, too long.
      for (const bad of ['../secret', '/etc', 'sub/file', 'a\0b', '']) {
        assert.equal(await c.errno(T.walk, (w) => w.u32(0).u32(c.newFid()).u16(1).str(bad)), E.ENOENT, JSON.stringify(bad));
        assert.equal(await c.errno(T.mkdir, (w) => w.u32(0).str(bad).u32(0o755).u32(0)), E.ENOENT, JSON.stringify(bad));
      }
      assert.equal(await c.errno(T.walk, (w) => w.u32(0).u32(c.newFid()).u16(1).str('x'.repeat(300))), E.ENAMETOOLONG);
      assert.equal(await c.errno(T.walk, (w) => w.u32(0).u32(c.newFid()).u16(17)), E.EINVAL); // > P9_MAXWELEM
      // A host symlink to a directory outside: walking through it fails, opening it fails.
      const hl = await c.walk(['hostlink']);
      assert.equal(hl.n, 1);
      assert.equal((await c.walk(['hostlink', 'canary'])).n, 1); // stops at the link
      assert.ok([E.ELOOP, E.ENXIO].includes(await c.errno(T.lopen, (w) => w.u32(hl.fid).u32(0))));
      const rl = await c.walk(['rel']);
      assert.ok([E.ELOOP, E.ENXIO].includes(await c.errno(T.lopen, (w) => w.u32(rl.fid).u32(0))));
      // Operations on a symlink fid never follow it out: setattr (chmod, truncate, times), xattrs, getattr.
      await c.errno(T.setattr, (w) => w.u32(hl.fid).u32(0x1 | 0x8).u32(0o777).u32(0).u32(0).u64(0).u64(0).u64(0).u64(0).u64(0));
      await c.errno(T.xattrcreate, (w) => w.u32(rl.fid).str('user.x').u64(1).u32(0));
      await c.errno(T.write, (w) => w.u32(rl.fid).u64(0).u32(1).u8(65));
      await c.errno(T.clunk, (w) => w.u32(rl.fid));
      // A guest-made symlink to an absolute path and one climbing out: stored, never followed.
      await c.errno(T.symlink, (w) => w.u32(0).str('abs').str(env.secret).u32(0));
      await c.errno(T.symlink, (w) => w.u32(0).str('climb').str('../../../../..' + env.secret + '/canary').u32(0));
      for (const n of ['abs', 'climb']) {
        const f = await c.walk([n]);
        const e = await c.errno(T.lopen, (w) => w.u32(f.fid).u32(2));
        if (model.startsWith('mapped')) assert.equal(e, 0); // a regular file holding the target
        else assert.ok([E.ELOOP, E.ENXIO].includes(e));
        assert.equal((await c.walk([n, 'canary'])).n, 1);
      }
      // Create and link through the host symlink: refused.
      const hl2 = await c.walk(['hostlink']);
      assert.notEqual(await c.errno(T.lcreate, (w) => w.u32(hl2.fid).str('evil').u32(0o1101).u32(0o644).u32(0)), 0);
      assert.notEqual(await c.errno(T.mkdir, (w) => w.u32(hl.fid).str('evil').u32(0o755).u32(0)), 0);
      // Rename and unlink names that try to leave.
      assert.equal(await c.errno(T.renameat, (w) => w.u32(0).str('sub').u32(0).str('../moved')), E.ENOENT);
      assert.notEqual(await c.errno(T.unlinkat, (w) => w.u32(0).str('..').u32(0)), 0);
      // Bogus fids everywhere.
      for (const [t, b] of [[T.lopen, (w) => w.u32(4242).u32(0)], [T.read, (w) => w.u32(4242).u64(0).u32(10)],
        [T.clunk, (w) => w.u32(4242)], [T.getattr, (w) => w.u32(4242).u64(0x7ffn)], [T.walk, (w) => w.u32(4242).u32(5).u16(0)],
        [T.readdir, (w) => w.u32(4242).u64(0).u32(100)], [T.remove, (w) => w.u32(0xffffffff)]]) {
        assert.equal(await c.errno(t, b), E.EBADF);
      }
      // Reusing a live fid as newfid, attaching twice on one fid.
      assert.equal(await c.errno(T.walk, (w) => w.u32(0).u32(up.fid).u16(0)), E.EINVAL);
      assert.equal(await c.errno(T.attach, (w) => w.u32(0).u32(0xffffffff).str('').str('').u32(0)), E.EINVAL);
      // Truncated and oversized messages, unknown types: an error reply, the server goes on.
      const junk = new Uint8Array([3, 0, 0, 0, T.walk, 1, 0]);
      const rj = await c.s.handle(junk, 4096);
      assert.equal(rj[4], 7);
      assert.equal((await c.raw(T.walk, (w) => w.u32(0))).t, 7);
      assert.equal((await c.raw(200, () => {})).t, 7);
      assert.equal(await c.s.handle(new Uint8Array(3), 4096), null);
      // A reply that would not fit the guest's buffer: an error, never an overrun.
      const tiny = await c.raw(T.read, (w) => w.u32(up.fid).u64(0).u32(4000), 11);
      assert.equal(tiny.t, 117);
      assert.equal(tiny.r.u32(), 0);
      const wr = new P9Writer();
      wr.u32(up.fid).u64(0).u32(4000);
      assert.equal(await c.s.handle(wr.finish(T.read, 9), 8), null); // no room even for Rlerror: the transport fails the chain
      // Special files are never opened on the host.
      if (model === 'passthrough' && process.getuid?.() === 0) {
        await c.errno(T.mknod, (w) => w.u32(0).str('null').u32(0o20666).u32(1).u32(3).u32(0));
        const f = await c.walk(['null']);
        assert.equal(await c.errno(T.lopen, (w) => w.u32(f.fid).u32(2)), E.ENXIO);
      }
      if (model.startsWith('mapped')) {
        await c.rpc(T.mknod, (w) => w.u32(0).str('zero').u32(0o20666).u32(1).u32(5).u32(0));
        const st = fs.lstatSync(path.join(env.share, 'zero'));
        assert.ok(st.isFile(), 'mapped mknod makes a regular file');
      }
      // A flood of concurrent requests, then fids never clunked: bounded, the server stays up.
      const flood = [];
      for (let i = 0; i < 2000; i++) flood.push(c.errno(T.getattr, (w) => w.u32(0).u64(0x7ffn)));
      assert.ok((await Promise.all(flood)).every((e) => e === 0));
      let emfile = 0;
      for (let i = 0; i < 1100; i++) {
        const f = await c.walk(['sub', 'file']);
        if (await c.errno(T.lopen, (w) => w.u32(f.fid).u32(0)) === E.EMFILE) emfile++;
      }
      assert.ok(emfile > 0, 'open files are bounded');
      assert.equal(await c.readAll((await c.walk(['sub', 'file'])).fid).catch((e) => e.errno), E.EMFILE);
      canaryIntact(env);
      await c.s.resetSession();
      const c2 = await client(env);
      assert.equal(await c2.readAll((await c2.walk(['sub', 'file'])).fid), 'inside');
      await c2.s.resetSession();
      await c2.driver.close();
    } finally {
      await c.s.resetSession();
      await c.driver.close();
      canaryIntact(env);
      fs.rmSync(env.top, { recursive: true, force: true });
    }
  });
}

test('symlink swapped in during walks and opens never leads outside', async () => {
  const env = setup('passthrough');
  const c = await client(env);
  const d = path.join(env.share, 'd');
  const stop = { v: false };
  fs.mkdirSync(d);
  fs.writeFileSync(path.join(d, 'canary'), 'inside');
  // Host side: swap share/d between a real directory and a symlink to the secret directory.
  const swapper = (async () => {
    while (!stop.v) {
      fs.renameSync(d, `${d}.real`);
      fs.symlinkSync(env.secret, d);
      await new Promise((r) => setTimeout(r, 1));
      fs.unlinkSync(d);
      fs.renameSync(`${d}.real`, d);
      await new Promise((r) => setTimeout(r, 2));
    }
  })();
  let inside = 0;
  const walked = [0, 0, 0];
  try {
    for (let i = 0; i < 300; i++) {
      try {
        const f = await c.walk(['d', 'canary']);
        walked[f.n]++;
        if (f.n === 2) {
          const text = await c.readAll(f.fid).catch(() => '');
          assert.notEqual(text, 'SECRET');
          if (text === 'inside') inside++;
        }
      } catch (e) {
        if (e.errno === undefined) throw e; // the swap made the walk fail: fine
      }
      const dfid = (await c.walk(['d']).catch(() => ({ fid: 0, n: 0 })));
      if (dfid.n === 1) await c.errno(T.lcreate, (w) => w.u32(dfid.fid).str('x').u32(0o100).u32(0o644).u32(0));
    }
  } finally {
    stop.v = true;
    await swapper;
    await c.s.resetSession();
    await c.driver.close();
  }
  assert.ok(inside > 0, `walks by qid count ${walked}`);
  canaryIntact(env);
  fs.rmSync(env.top, { recursive: true, force: true });
});

test('readonly=on: every modifying request fails with EROFS, reads work', async () => {
  const env = setup('mapped-xattr', { readonly: true });
  const c = await client(env);
  try {
    const f = await c.walk(['sub', 'file']);
    assert.equal(await c.errno(T.lopen, (w) => w.u32(f.fid).u32(1)), E.EROFS);
    assert.equal(await c.errno(T.lopen, (w) => w.u32(f.fid).u32(0o1000)), E.EROFS);
    const dir = await c.walk(['sub']);
    for (const [t, b] of [
      [T.lcreate, (w) => w.u32(dir.fid).str('n').u32(0o1101).u32(0o644).u32(0)],
      [T.mkdir, (w) => w.u32(0).str('n').u32(0o755).u32(0)], [T.symlink, (w) => w.u32(0).str('n').str('t').u32(0)],
      [T.mknod, (w) => w.u32(0).str('n').u32(0o10644).u32(0).u32(0).u32(0)], [T.link, (w) => w.u32(0).u32(f.fid).str('n')],
      [T.renameat, (w) => w.u32(0).str('sub').u32(0).str('n')], [T.unlinkat, (w) => w.u32(dir.fid).str('file').u32(0)],
      [T.setattr, (w) => w.u32(f.fid).u32(1).u32(0o777).u32(0).u32(0).u64(0).u64(0).u64(0).u64(0).u64(0)],
      [T.setattr, (w) => w.u32(f.fid).u32(8).u32(0).u32(0).u32(0).u64(0).u64(0).u64(0).u64(0).u64(0)],
      [T.xattrcreate, (w) => w.u32(f.fid).str('user.a').u64(1).u32(0)], [T.rename, (w) => w.u32(f.fid).u32(0).str('n')],
    ]) assert.equal(await c.errno(t, b), E.EROFS, `type ${t}`);
    assert.equal(await c.readAll(f.fid), 'inside');
    assert.equal(fs.readFileSync(path.join(env.share, 'sub', 'file'), 'utf8'), 'inside');
    assert.deepEqual(fs.readdirSync(env.share).sort(), ['hostlink', 'rel', 'sub']);
  } finally {
    await c.s.resetSession();
    await c.driver.close();
    fs.rmSync(env.top, { recursive: true, force: true });
  }
});

test('the in-memory back end serves the same protocol (create, write, read, rename, readdir, xattr, unlink)', async () => {
  const c = await client({ driver: new MemFsDriver() });
  await c.rpc(T.mkdir, (w) => w.u32(0).str('dir').u32(0o755).u32(7));
  const d = await c.walk(['dir']);
  await c.rpc(T.lcreate, (w) => w.u32(d.fid).str('f').u32(0o102).u32(0o640).u32(7));
  assert.equal((await c.rpc(T.write, (w) => w.u32(d.fid).u64(3).u32(5).bytes(new TextEncoder().encode('hello')))).u32(), 5);
  await c.rpc(T.clunk, (w) => w.u32(d.fid));
  await c.rpc(T.renameat, (w) => w.u32(0).str('dir').u32(0).str('moved'));
  const f = await c.walk(['moved', 'f']);
  assert.equal(f.n, 2);
  assert.equal(await c.readAll(f.fid), '\0\0\0hello');
  const g = await c.rpc(T.getattr, (w) => w.u32(f.fid).u64(0x7ffn));
  g.u64(); g.u8(); g.u32(); g.u64();
  assert.equal(g.u32(), 0o100640);
  g.u32();
  assert.equal(g.u32(), 7);
  const x = c.newFid();
  await c.rpc(T.walk, (w) => w.u32(f.fid).u32(x).u16(0));
  await c.rpc(T.xattrcreate, (w) => w.u32(x).str('user.k').u64(2).u32(0));
  await c.rpc(T.write, (w) => w.u32(x).u64(0).u32(2).u8(0x6f).u8(0x6b));
  await c.rpc(T.clunk, (w) => w.u32(x));
  const xr = c.newFid();
  assert.equal((await c.rpc(T.xattrwalk, (w) => w.u32(f.fid).u32(xr).str('user.k'))).u64(), 2n);
  const m = await c.walk(['moved']);
  await c.rpc(T.lopen, (w) => w.u32(m.fid).u32(0o200000));
  const rd = await c.rpc(T.readdir, (w) => w.u32(m.fid).u64(0).u32(4096));
  const names = [];
  for (let n = rd.u32(), end = rd.pos + n; rd.pos < end;) { rd.bytes(13); rd.u64(); rd.u8(); names.push(rd.str()); }
  assert.deepEqual(names, ['.', '..', 'f']);
  assert.equal(await c.errno(T.unlinkat, (w) => w.u32(0).str('moved').u32(0x200)), 39); // ENOTEMPTY
  await c.rpc(T.unlinkat, (w) => w.u32(m.fid).str('f').u32(0));
  await c.rpc(T.unlinkat, (w) => w.u32(0).str('moved').u32(0x200));
  assert.equal(await c.errno(T.walk, (w) => w.u32(0).u32(c.newFid()).u16(1).str('moved')), E.ENOENT);
});

test('-virtfs / -fsdev / -device virtio-9p-device: QEMU\'s errors, exit status 1', async () => {
  const { run } = await import('./system-helpers.js');
  const cases = [
    [['-virtfs', 'local,path=/tmp'], 'Usage: -virtfs fsdriver,mount_tag=tag'],
    [['-virtfs', 'local,path=/tmp,mount_tag=x'], 'security_model property not set\nValid options are: security_model=[passthrough|mapped-xattr|mapped-file|none]'],
    [['-virtfs', 'local,path=/tmp,mount_tag=x,security_model=bogus'], 'invalid security_model property \'bogus\''],
    [['-virtfs', 'local,mount_tag=x,security_model=none'], 'path property not set'],
    [['-virtfs', 'local,path=/tmp,mount_tag=x,security_model=none,multidevs=foo'], 'invalid multidevs property \'foo\''],
    [['-virtfs', 'local,path=/tmp,mount_tag=x,security_model=none,fmode=0644'], 'fmode is only valid for mapped security modes'],
    [['-virtfs', 'local,path=/nonexistent-9p,mount_tag=x,security_model=none'], 'cannot initialize fsdev \'x\': failed to open \'/nonexistent-9p\': No such file or directory'],
    [['-fsdev', 'local,id=a,path=/tmp,security_model=none', '-device', 'virtio-9p-device,fsdev=b,mount_tag=t'], '-device virtio-9p-device,fsdev=b,mount_tag=t: 9pfs device couldn\'t find fsdev with the id = b'],
    [['-fsdev', 'local,id=a,path=/tmp,security_model=none', '-device', 'virtio-9p-device,fsdev=a'], 'fsdev with id a needs mount_tag arguments'],
    [['-device', 'virtio-9p-pci,fsdev=a,mount_tag=t'], '-device virtio-9p-pci,fsdev=a,mount_tag=t: 9pfs device couldn\'t find fsdev with the id = a'],
    [['-fsdev', 'local,id=a,path=/tmp,security_model=none', '-device', 'virtio-9p-pci,fsdev=a,mount_tag=t,bogus=1'], 'Property \'virtio-9p-pci.bogus\' not found'],
    [['-virtfs', 'proxy,sock_fd=3,mount_tag=x,security_model=none'], 'not supported'],
  ];
  for (const [args, msg] of cases) {
    const r = await run([...args, '-display', 'none', '-S'], { timeoutMs: 60_000 });
    assert.equal(r.code, 1, args.join(' '));
    assert.ok(r.stderr.startsWith('tsqemu-system-riscv64: ') && r.stderr.includes(msg), `${args.join(' ')}: ${r.stderr}`);
  }
});

test('a clunk while reads are in flight waits for them; a flush waits for its request', async () => {
  const env = setup('mapped-xattr');
  fs.writeFileSync(path.join(env.share, 'big'), Buffer.alloc(1 << 20, 7));
  const c = await client(env);
  try {
    const f = await c.walk(['big']);
    await c.rpc(T.lopen, (w) => w.u32(f.fid).u32(0));
    const reads = [];
    for (let i = 0; i < 64; i++) reads.push(c.raw(T.read, (w) => w.u32(f.fid).u64(i * 16384).u32(16384)));
    const clunk = c.rpc(T.clunk, (w) => w.u32(f.fid));
    const flush = c.rpc(T.flush, (w) => w.u16(5));
    const rs = await Promise.all(reads);
    await clunk;
    await flush;
    for (const r of rs) {
      if (r.t === 117) assert.equal(r.r.u32(), 16384);
      else assert.equal(r.r.u32(), E.EBADF);
    }
    assert.ok(rs.some((r) => r.t === 117));
    assert.equal(await c.errno(T.read, (w) => w.u32(f.fid).u64(0).u32(10)), E.EBADF);
  } finally {
    await c.s.resetSession();
    await c.driver.close();
    fs.rmSync(env.top, { recursive: true, force: true });
  }
});

// Twalk, Tgetattr and Tclunk answered synchronously (handleSync: what virtio-9p completes before
// the guest's kick returns) must be the bytes the asynchronous path gives for the same request
// in the same state: two servers on one share, one answering through each path.
for (const model of ['mapped-xattr', 'none']) {
  test(`${model}: synchronous Twalk/Tgetattr/Tclunk replies equal the asynchronous ones`, async () => {
    const env = setup(model);
    fs.writeFileSync(path.join(env.share, 'sub', 'big'), Buffer.alloc(5000, 1));
    const a = await client(env);
    const b = await client(env);
    let tag = 0x4000;
    const both = async (type, build, eligible = true) => {
      const w = new P9Writer();
      build(w);
      const req = w.finish(type, tag++);
      const now = a.s.handleSync(req, 1 << 20);
      const later = await b.s.handle(req, 1 << 20);
      if (!eligible) { assert.equal(now, undefined, `type ${type}: not answered synchronously`); return a.s.handle(req, 1 << 20); }
      assert.ok(now instanceof Uint8Array, `type ${type}: answered synchronously`);
      assert.deepEqual(Buffer.from(now), Buffer.from(later), `type ${type}: the same reply`);
      return now;
    };
    const walk = (from, fid, names) => both(T.walk, (w) => { w.u32(from).u32(fid).u16(names.length); for (const n of names) w.str(n); });
    const getattr = (fid) => both(T.getattr, (w) => w.u32(fid).u64(0x3fff));
    const errOf = (rep) => (rep[4] === 7 ? new P9Reader(rep.subarray(7)).u32() : 0);
    try {
      await walk(0, 1, ['sub']);
      await walk(0, 2, ['sub', 'big']);
      await walk(0, 3, []);
      await walk(1, 1, ['..', 'sub', '.']); // newfid === fid
      assert.equal(errOf(await walk(0, 4, ['nope'])), E.ENOENT);
      const partial = await walk(0, 5, ['sub', 'nope', 'x']); // Rwalk with one qid, fid 5 not made
      assert.equal(partial[4], 111);
      assert.equal(new P9Reader(partial.subarray(7)).u16(), 1);
      assert.equal(errOf(await walk(0, 6, ['hostlink', 'canary'])), 0); // a link is no directory: one qid
      assert.equal(errOf(await walk(0, 7, ['a/b'])), E.ENOENT);
      assert.equal(errOf(await walk(0, 2, ['sub'])), E.EINVAL); // newfid in use
      await both(T.walk, (w) => w.u32(99).u32(8).u16(1).str('sub'), false); // unknown fid: handle()'s EBADF
      await getattr(0);
      await getattr(1);
      await getattr(2);
      await walk(0, 9, ['hostlink']);
      await getattr(9); // the link itself (lstat)
      // An unknown fid and an opened one go the asynchronous way (EBADF; fstat of the open file).
      await both(T.getattr, (w) => w.u32(99).u64(0x3fff), false);
      for (const c of [a, b]) await c.rpc(T.lopen, (w) => w.u32(2).u32(0));
      await both(T.getattr, (w) => w.u32(2).u64(0x3fff), false);
      await both(T.clunk, (w) => w.u32(2), false);
      await both(T.clunk, (w) => w.u32(1));
      assert.equal(errOf(await getattr(3)), 0);
      await both(T.clunk, (w) => w.u32(1), false); // already clunked: EBADF from handle()
      assert.equal(a.s.stats.requests, b.s.stats.requests);
    } finally {
      for (const c of [a, b]) { await c.s.resetSession(); await c.driver.close(); }
      fs.rmSync(env.top, { recursive: true, force: true });
    }
  });
}
