// MAP_SHARED of a file open read-only (issue 11): it was a private copy made at mmap, so later
// writes to the file (by this process through another descriptor, by a forked child) never
// showed. Now the file is mapped from the host descriptor (privately, as the guest cannot write
// it: native/tsqemu_sys.c mapShared's `priv`). tests/linux-user/mapro.c must print what Linux
// prints (the host build with gcc) and what qemu-riscv64 prints, with and without the fork server.
// mapremove.c: madvise(MADV_REMOVE) punches a hole in the shared object (a file, a memfd), as
// Linux does (qemu-riscv64 7.2 ignores the advice: compared with Linux only).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ccSpawnSync } from './helpers/cc-cache.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const have = (c) => spawnSync('sh', ['-c', `command -v ${c}`]).status === 0;
const missing = !have('riscv64-linux-gnu-gcc') ? 'riscv64-linux-gnu-gcc' : !have('qemu-riscv64') ? 'qemu-riscv64' : !have('gcc') ? 'gcc' : null;
const addon = fs.existsSync(path.join(root, 'native/build/Release/tsqemu_sys.node')) ? null : 'native addon not built';

test('MAP_SHARED of a read-only file sees later writes to the file, as Linux and qemu-riscv64', { skip: missing ?? addon ?? false }, () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tsqemu-mapro-'));
  try {
    const src = path.join(root, 'tests/linux-user/mapro.c');
    const rv = path.join(tmp, 'mapro-rv'), native = path.join(tmp, 'mapro-host');
    let b = ccSpawnSync('riscv64-linux-gnu-gcc', ['-O2', '-static', '-o', rv, src], { encoding: 'utf8' });
    assert.equal(b.status, 0, b.stderr);
    b = ccSpawnSync('gcc', ['-O2', '-o', native, src], { encoding: 'utf8' });
    assert.equal(b.status, 0, b.stderr);
    const env = { ...process.env, TMPDIR: tmp };
    const linux = spawnSync(native, [], { encoding: 'utf8', env });
    assert.equal(linux.status, 0, linux.stderr);
    assert.match(linux.stdout, /after this process's write: BBBB/); // the test itself is right
    const qemu = spawnSync('qemu-riscv64', [rv], { encoding: 'utf8', env });
    assert.equal(qemu.stdout, linux.stdout);
    for (const forkServer of ['1', '0']) {
      const r = spawnSync(process.execPath, [path.join(root, 'dist/cli/riscv64.js'), rv], { encoding: 'utf8', env: { ...env, TSQEMU_FORK_SERVER: forkServer } });
      assert.equal(r.stderr, '', `fork server ${forkServer}`);
      assert.equal(r.status, 0);
      assert.equal(r.stdout, linux.stdout, `fork server ${forkServer}`);
    }
  } finally { fs.rmSync(tmp, { recursive: true, force: true }); }
});

test('madvise(MADV_REMOVE) of MAP_SHARED memory frees the object\'s pages, as Linux', { skip: missing ?? addon ?? false }, () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tsqemu-maprm-'));
  try {
    const src = path.join(root, 'tests/linux-user/mapremove.c');
    const rv = path.join(tmp, 'maprm-rv'), native = path.join(tmp, 'maprm-host');
    let b = ccSpawnSync('riscv64-linux-gnu-gcc', ['-O2', '-static', '-o', rv, src], { encoding: 'utf8' });
    assert.equal(b.status, 0, b.stderr);
    b = ccSpawnSync('gcc', ['-O2', '-o', native, src], { encoding: 'utf8' });
    assert.equal(b.status, 0, b.stderr);
    const env = { ...process.env, TMPDIR: tmp };
    const linux = spawnSync(native, [], { encoding: 'utf8', env });
    assert.equal(linux.status, 0, linux.stderr);
    assert.match(linux.stdout, /file: madvise 0, mapping 120 0 120, file 120 0, size 12288/); // the test itself is right
    const r = spawnSync(process.execPath, [path.join(root, 'dist/cli/riscv64.js'), rv], { encoding: 'utf8', env });
    assert.equal(r.stderr, '');
    assert.equal(r.status, 0);
    assert.equal(r.stdout, linux.stdout);
  } finally { fs.rmSync(tmp, { recursive: true, force: true }); }
});

// mapperm.c: a file's access mode bounds its mappings (EACCES for MAP_SHARED+PROT_WRITE of a
// read-only file, for mprotect adding PROT_WRITE to such a mapping, for any mapping of a
// write-only file: tsqemu made a private copy or said EBADF), MADV_REMOVE of private anonymous
// memory is EINVAL and leaves it alone (it zeroed it), of a file mapped privately EACCES (it said
// EINVAL: private mappings did not record their file), madvise checks alignment, advice and
// holes. Compared with Linux; with qemu-riscv64 for the mapping lines (qemu 7.2 accepts any
// advice). Also without the native addon (TSQEMU_NO_SYS=1: MAP_SHARED is a copy there, and
// mprotect adding PROT_WRITE to a read-only file's copy was allowed).
test('file access modes bound mmap/mprotect, madvise refuses what Linux refuses', { skip: missing ?? false }, () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tsqemu-mapperm-'));
  try {
    const src = path.join(root, 'tests/linux-user/mapperm.c');
    const rv = path.join(tmp, 'mapperm-rv'), native = path.join(tmp, 'mapperm-host');
    let b = spawnSync('riscv64-linux-gnu-gcc', ['-O2', '-static', '-o', rv, src], { encoding: 'utf8' });
    assert.equal(b.status, 0, b.stderr);
    b = spawnSync('gcc', ['-O2', '-o', native, src], { encoding: 'utf8' });
    assert.equal(b.status, 0, b.stderr);
    const env = { ...process.env, TMPDIR: tmp };
    const linux = spawnSync(native, [], { encoding: 'utf8', env });
    assert.equal(linux.status, 0, linux.stderr);
    assert.match(linux.stdout, /read-only file, MAP_SHARED rw: EACCES\n[^]*mprotect rw: EACCES[^]*MAP_PRIVATE: MADV_REMOVE EACCES/); // the test itself is right
    const mappingLines = (s) => s.split('\n').slice(0, 8).join('\n');
    const qemu = spawnSync('qemu-riscv64', [rv], { encoding: 'utf8', env });
    assert.equal(mappingLines(qemu.stdout), mappingLines(linux.stdout));
    const runs = [{ TSQEMU_NO_SYS: '1' }, ...(addon ? [] : [{ TSQEMU_FORK_SERVER: '1' }, { TSQEMU_FORK_SERVER: '0' }])];
    for (const extra of runs) {
      const r = spawnSync(process.execPath, [path.join(root, 'dist/cli/riscv64.js'), rv], { encoding: 'utf8', env: { ...env, ...extra } });
      assert.equal(r.stderr, '', JSON.stringify(extra));
      assert.equal(r.status, 0);
      assert.equal(r.stdout, linux.stdout, JSON.stringify(extra));
    }
  } finally { fs.rmSync(tmp, { recursive: true, force: true }); }
});
