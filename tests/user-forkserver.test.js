// tsqemu-riscv64's fork server and credentials, compared with real Linux (the same C program
// built for the host with gcc) and Debian's qemu-riscv64 7.2. After a process's first fork the
// next ones are resumed by a spare emulator started ahead (host/node/user-forkserver.ts): the
// child must see what a fresh fork sees. set*id/setgroups/capset/prctl go to the host.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { build as buildIn, cli, missing, noAddon, run as runIn, userTmp } from './helpers/linux-user.js';

const noProc = noAddon('tsqemu_proc');
const notRoot = process.getuid?.() === 0 ? null : 'needs root (set*id to other ids)';
const tmp = userTmp('tsqemu-forkserver-');
// A fresh child emulator (TSQEMU_FORK_SERVER=0) is started by execve as euid 1000: it must be
// allowed to enter the cwd.
if (tmp) fs.chmodSync(tmp, 0o755);
const build = (name, cc, libs = []) => buildIn(tmp, name, cc, libs);
const run = (argv, env = {}) => runIn(argv, tmp, env);

function threeWays(name, libs = []) {
  const rv = build(name, 'riscv64-linux-gnu-gcc', libs), host = build(name, 'gcc', libs);
  return {
    linux: run([host]),
    qemu: run(['qemu-riscv64', rv]),
    ours: run([process.execPath, cli, rv]),
    fresh: run([process.execPath, cli, rv], { TSQEMU_FORK_SERVER: '0' }),
  };
}

test('a fork resumed by the fork server sees memory, fds, cwd, umask and signals as a fresh fork', { skip: missing ? `${missing} not installed` : noProc ?? false }, () => {
  const { linux, qemu, ours, fresh } = threeWays('forkserver');
  assert.equal(linux.status, 0, linux.stderr);
  assert.match(linux.stdout, /child 5 read xyzz? eof 0 offset 5/);
  assert.deepEqual(ours, linux);
  assert.deepEqual(fresh, linux);
  // qemu-riscv64 cannot exec a riscv64 program (no binfmt_misc): the vfork child's exec fails.
  const upToVfork = (s) => s.slice(0, s.indexOf('exec\'d') >= 0 ? s.indexOf('exec\'d') : s.indexOf('vfork child'));
  assert.equal(upToVfork(ours.stdout), upToVfork(qemu.stdout));
  assert.match(qemu.stdout, /vfork child 127/);
});

test('setresuid/setresgid/setgroups/setfsuid, capget/capset and prctl go to the host; children keep the ids', { skip: missing ? `${missing} not installed` : noProc ?? notRoot ?? false }, () => {
  const { linux, qemu, ours, fresh } = threeWays('creds', ['-pthread']);
  assert.equal(linux.status, 0, linux.stderr);
  assert.match(linux.stdout, /child2: uid 0 1000 0 gid 0 1234 42 groups 3: 5 7 100/);
  assert.match(linux.stdout, /keepcaps 0 set 0 now 1/);
  assert.deepEqual(ours, linux);
  assert.deepEqual(fresh, linux);
  assert.deepEqual(qemu, linux);
});
