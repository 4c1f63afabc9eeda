// Processes and signals in tsqemu-riscv64 compared with real Linux (the same C program built for
// the host with gcc) and with Debian's qemu-riscv64 7.2: queued real-time signals, what execve
// keeps, stopped and continued children (wait4/waitid, SIGCHLD's siginfo), new system calls.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { build as buildIn, cli, missing, noAddon, run as runIn, runAsync, userTmp } from './helpers/linux-user.js';

const noSys = noAddon('tsqemu_sys');
const tmp = userTmp('tsqemu-procsig-');
const build = (name, cc, libs = []) => buildIn(tmp, name, cc, libs);
const run = (argv, cwd = tmp) => runIn(argv, cwd);

/** Build `name` for riscv64 and the host; resolves with the three outcomes (run at once: none of
 * these programs writes a named file, their waits on timers and children overlap). */
async function threeWays(name, { libs = [], args = [], qemuArgs = args, cwd = tmp } = {}) {
  const rv = build(name, 'riscv64-linux-gnu-gcc', libs), host = build(name, 'gcc', libs);
  const [linux, qemu, ours] = await Promise.all([runAsync([host, ...args], cwd), runAsync(['qemu-riscv64', rv, ...qemuArgs], cwd),
    runAsync([process.execPath, cli, rv, ...args], cwd)]);
  return { linux, qemu, ours };
}

test('real-time signals are queued with their values; execve keeps ignored, blocked and pending signals', { skip: missing ? `${missing} not installed` : false }, async () => {
  // qemu-riscv64 cannot exec a riscv64 program (no binfmt_misc): it stops before the execve.
  const { linux, qemu, ours } = await threeWays('rtqueue', { libs: ['-pthread'], qemuArgs: ['noexec'] });
  assert.equal(linux.status, 0, linux.stderr);
  assert.match(linux.stdout, /after exec: took RTMIN\+4 value=42/);
  assert.deepEqual(ours, linux);
  assert.equal(qemu.status, 0);
  assert.ok(ours.stdout.startsWith(qemu.stdout), `qemu-riscv64:\n${qemu.stdout}\nours:\n${ours.stdout}`);
});

test('stopped and continued children: wait4/waitid and SIGCHLD siginfo as Linux', { skip: missing ? `${missing} not installed` : noSys ?? false }, async () => {
  const { linux, qemu, ours } = await threeWays('stopcont');
  assert.equal(linux.status, 0, linux.stderr);
  assert.match(linux.stdout, /waitpid WUNTRACED: stopped by 19\nstop: SIGCHLD CLD_STOPPED pid=child status=19/);
  assert.deepEqual(ours, linux);
  // qemu-riscv64 7.2 sends SIGCHLD for a stop despite SA_NOCLDSTOP; everything before agrees.
  const upTo = (s) => s.slice(0, s.indexOf('SIGCHLD for the stop'));
  assert.equal(upTo(ours.stdout), upTo(qemu.stdout));
});

test('POSIX timers (SIGEV_SIGNAL, NONE, THREAD_ID, glibc SIGEV_THREAD, overruns) and tee as Linux and qemu-riscv64', { skip: missing ? `${missing} not installed` : noSys ?? false }, async () => {
  const { linux, qemu, ours } = await threeWays('posixtimers', { libs: ['-pthread'] });
  assert.equal(linux.status, 0, linux.stderr);
  assert.match(linux.stdout, /one-shot: sig RTMIN\+1 code=SI_TIMER value=77/);
  assert.deepEqual(ours, linux);
  assert.deepEqual(ours, qemu);
});

test('System V shared memory (shared with a forked child), semaphores and message queues as Linux and qemu-riscv64', { skip: missing ? `${missing} not installed` : noSys ?? false }, async () => {
  const { linux, qemu, ours } = await threeWays('sysvipc');
  assert.equal(linux.status, 0, linux.stderr);
  assert.match(linux.stdout, /parent sees: child was here/);
  assert.deepEqual(ours, linux);
  assert.deepEqual(ours, qemu);
});

test('the working directory is a directory: renamed, removed, deeper than PATH_MAX, as Linux and qemu-riscv64', { skip: missing ? `${missing} not installed` : false }, async () => {
  const dirs = ['linux', 'qemu', 'ours'].map((w) => { const d = path.join(tmp, `cwd-${w}`); fs.mkdirSync(d); return d; });
  const rv = build('cwd', 'riscv64-linux-gnu-gcc'), host = build('cwd', 'gcc');
  const [linux, qemu, ours] = await Promise.all([runAsync([host, dirs[0]], tmp), runAsync(['qemu-riscv64', rv, dirs[1]], tmp), runAsync([process.execPath, cli, rv, dirs[2]], tmp)]);
  assert.match(linux.stdout, /after rename: \/new Success\n[^]*after rmdir: NULL No such file or directory\n[^]*deep getcwd: ok length 8040/);
  assert.deepEqual(ours, linux);
  assert.deepEqual(ours, qemu);
});

test('pidfd_open, poll on a pidfd, pidfd_send_signal and waitid(P_PIDFD) as Linux and qemu-riscv64', { skip: missing ? `${missing} not installed` : noSys ?? false }, async () => {
  const { linux, qemu, ours } = await threeWays('pidfd');
  assert.equal(linux.status, 0, linux.stderr);
  assert.match(linux.stdout, /waitid\(P_PIDFD\): 0 code 1 status 3 pid child/);
  assert.deepEqual(ours, linux);
  assert.deepEqual(ours, qemu);
});

test('signalfd: records, queued real-time values, poll/epoll readiness, blocking read, as Linux and qemu-riscv64', { skip: missing ? `${missing} not installed` : noSys ?? false }, async () => {
  const { linux, qemu, ours } = await threeWays('signalfd');
  assert.equal(linux.status, 0, linux.stderr);
  assert.match(linux.stdout, /signo RTMIN code -1 pid self value 6/);
  assert.deepEqual(ours, linux);
  assert.deepEqual(ours, qemu);
});

/** Run `argv`; when it prints "ready", send it SIGHUP, SIGTERM and SIGUSR1 from this process. */
function killWhenReady(argv) {
  return new Promise((resolve) => {
    const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '', stderr = '', sent = false;
    const timer = setTimeout(() => child.kill('SIGKILL'), 60000);
    child.stdout.on('data', (d) => {
      stdout += d;
      if (!sent && stdout.includes('ready\n')) {
        sent = true;
        for (const s of ['SIGHUP', 'SIGTERM', 'SIGUSR1']) child.kill(s);
      }
    });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('close', (status, signal) => { clearTimeout(timer); resolve({ stdout, stderr, status, signal }); });
  });
}

test('a blocked terminating signal from another process stays pending until unblocked (Linux, qemu-riscv64)', { skip: missing ? `${missing} not installed` : false }, async () => {
  const rv = build('blockedkill', 'riscv64-linux-gnu-gcc'), host = build('blockedkill', 'gcc');
  const [linux, qemu, ours] = await Promise.all([killWhenReady([host]), killWhenReady(['qemu-riscv64', rv]), killWhenReady([process.execPath, cli, rv])]);
  assert.deepEqual(linux, { stdout: 'ready\npending: TERM 1 USR1 1 HUP 0\n', stderr: '', status: null, signal: 'SIGUSR1' });
  assert.deepEqual(qemu, linux);
  assert.deepEqual(ours, linux);
});

test('pidfd_getfd: a child\'s descriptor (inherited, or opened after a fork server\'s fork), our own, EBADF and EINVAL, as Linux and qemu-riscv64', { skip: missing ? `${missing} not installed` : noSys ?? false }, async () => {
  const { linux, qemu, ours } = await threeWays('pidgetfd');
  assert.equal(linux.status, 0, linux.stderr);
  assert.match(linux.stdout, /getfd of child's 40: ok\nread 17: the child's file\ncloexec: 1\ngetfd of child's 41: -1 Bad file descriptor\nflags 1: -1 Invalid argument\n/);
  // The second child is resumed by tsqemu's fork server: its fds are at other host numbers.
  assert.match(linux.stdout, /second child's 45: inherited\nsecond child's new fd: opened after the fork\nsecond child status 0\n$/);
  assert.deepEqual(qemu, linux);
  assert.deepEqual(ours, linux);
});

test('setpgid on a child that has exec\'d fails with EACCES, as Linux', { skip: missing ? `${missing} not installed` : noSys ?? false }, () => {
  const rv = build('pgidexec', 'riscv64-linux-gnu-gcc'), host = build('pgidexec', 'gcc');
  const linux = run([host]);
  assert.deepEqual(linux, { stdout: 'before exec: setpgid 0\nchild\'s group is its pid: 1\nafter exec: setpgid -1 Permission denied\n' +
    'after exec, back to ours: setpgid -1 Permission denied\nchild status 0\n', stderr: '', status: 0, signal: null });
  assert.deepEqual(run([process.execPath, cli, rv]), linux);
  // qemu-riscv64 cannot exec a riscv64 program without binfmt_misc: not compared.
});
