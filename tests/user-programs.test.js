// tsqemu-riscv64 against Debian's qemu-riscv64: C programs of tests/linux-user, built here with
// riscv64-linux-gnu-gcc (static and dynamic), run side by side; stdout, stderr and the exit
// status (or terminating signal) must be the same.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ccSpawnSync } from './helpers/cc-cache.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const srcDir = path.join(root, 'tests/linux-user');
const cli = path.join(root, 'dist/cli/riscv64.js');
const SYSROOT = '/usr/riscv64-linux-gnu';
const have = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const missing = !have('riscv64-linux-gnu-gcc') ? 'riscv64-linux-gnu-gcc' : !have('qemu-riscv64') ? 'qemu-riscv64' : null;

const PROGRAMS = [
  { name: 'argv-env', args: ['one', 'two words', ''] },
  { name: 'floats', libs: ['-lm'] },
  { name: 'fileio', workdir: true },
  { name: 'dirwalk', workdir: true },
  { name: 'threads', libs: ['-pthread'] },
  // Real qemu-riscv64 cannot exec a riscv64 program without binfmt_misc: it runs the child's
  // code without the exec (TSQ_NO_EXEC), tsqemu-riscv64 does the real fork + exec.
  { name: 'forkexec', qemuEnv: ['-E', 'TSQ_NO_EXEC=1'] },
  { name: 'signals' },
  { name: 'mmapfile', workdir: true },
  { name: 'fdlimits' },
  // Two processes: record, OFD and flock locks refused while the other holds them (the host's locks).
  { name: 'locks', workdir: true, needsSys: true },
  // splice, sendfile, copy_file_range between files, pipes and sockets (Go's io.Copy).
  { name: 'xfer', workdir: true, needsSys: true },
  // waitid(WNOWAIT) leaves the child waitable.
  { name: 'waitnowait' },
  // sigqueue's value, sigtimedwait/sigwaitinfo, setitimer/getitimer, alarm.
  { name: 'sigtimers' },
  // The directory read position is the open file description's (threads, dup, fork, rewind).
  { name: 'dirpos', libs: ['-pthread'], workdir: true, needsSys: true },
  // A dup()ed descriptor joins the epoll set of its original.
  { name: 'epolldup', needsSys: true },
  // Real process groups and sessions, close_range, mknodat (FIFO).
  { name: 'pgrp', workdir: true, needsSys: true },
  // The *xattr calls and inotify (create/modify events, poll, non-blocking read).
  { name: 'xattr-inotify', workdir: true, needsSys: true },
  // sendmmsg/recvmmsg (unix datagrams, UDP on 127.0.0.1).
  { name: 'mmsg', needsSys: true },
  // SO_RCVTIMEO/SO_SNDTIMEO: EAGAIN when they run out, EINTR (no restart) under a handler.
  { name: 'sotimeo', libs: ['-pthread'], needsSys: true },
  // What Debian's programs showed (scripts/user-debian-diff.js): readdir in the host's order,
  // the host's getrusage, death by the process's own SIGKILL (a forked child's and its own).
  { name: 'realprogs', workdir: true, needsSys: true },
  // A forked child outliving its parent after a sibling was killed at once (the fork server's channel).
  { name: 'forkgone' },
  // A forked child shares its parent's removed cwd (getcwd ENOENT; it started in / or crashed).
  { name: 'cwdgone' },
  // A futex in MAP_SHARED memory between parent and forked child (the host's queue; LTP's checkpoints).
  { name: 'futexshared', needsSys: true },
  // accept on a socket that is not listening, UDP, a pipe, a file: an error at once, no wait.
  { name: 'acceptbad', needsSys: true },
  // Sleeps and timeouts woken by another thread's signal sleep on, never ending early (sub-ms clock).
  { name: 'sleepearly', libs: ['-pthread'], needsSys: true },
  // fcntl F_SETOWN/F_GETOWN(_EX), F_SETSIG/F_GETSIG and leases: the host's answers.
  { name: 'fcntlown', workdir: true, needsSys: true },
  // mincore: resident pages, EINVAL/ENOMEM/EFAULT (was ENOSYS).
  { name: 'mincore' },
  // LTP: no tid reused by the next thread, clone3 ENOSYS, faccessat(2) checks, fallocate modes;
  // kcmp, renameat2 flags, readlinkat(fd, ""), sync_file_range, readahead, unshare, vmsplice,
  // kill(0)/kill(-pgid)/kill(-1) within the caller's own process group and descendants.
  { name: 'ltpcalls', libs: ['-pthread'], workdir: true, needsSys: true },
  // LTP round 15, memory: mprotect past a shared file's end and over holes, read-only /dev/zero,
  // /proc/self/maps' -w-, SIGBUS past a private file mapping's end, write-sealed memfds.
  { name: 'ltpmem', workdir: true, needsSys: true },
  // LTP round 15, signals and timers: SA_RESETHAND keeps the flags, sigaltstack's checks,
  // RLIMIT_SIGPENDING (EAGAIN), SIGEV_THREAD, timer_settime's checks, CPU-time timers.
  { name: 'ltpsig', libs: ['-pthread'] },
  // A SIGUSR1 sent right after fork reaches the child's inherited handler or kills it (not Node's inspector).
  { name: 'sigearly' },
  // rt_sigqueueinfo/rt_tgsigqueueinfo to another thread of ours, rt_sigprocmask's sigsetsize,
  // pids 0/-1 never the host's kill(0)/kill(-1).
  { name: 'sigqueuetid', libs: ['-pthread'] },
  // Needs the native addon (native/tsqemu_sys.c, built at npm install); without it sockets are ENOSYS.
  { name: 'sockets', libs: ['-pthread'], workdir: true, needsSys: true },
];

const noSys = fs.existsSync(path.join(root, 'native/build/Release/tsqemu_sys.node')) ? null : 'native addon tsqemu_sys not built';
const tmp = missing ? '' : fs.mkdtempSync(path.join(os.tmpdir(), 'tsqemu-user-'));
process.on('exit', () => { if (tmp) fs.rmSync(tmp, { recursive: true, force: true }); });

function build(name, libs, isStatic) {
  const out = path.join(tmp, `${name}-${isStatic ? 'static' : 'dynamic'}`);
  const r = ccSpawnSync('riscv64-linux-gnu-gcc', ['-O1', '-o', out, path.join(srcDir, `${name}.c`),
    ...(isStatic ? ['-static'] : []), ...(libs ?? [])], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return out;
}

const runArgv = (pre, prog, args, extra) =>
  // -cpu rv64 on both: QEMU 7.2's default user CPU has no V, ours (as 10.2's, max) has (AT_HWCAP).
  [...pre, '-cpu', 'rv64', '-L', SYSROOT, '-E', 'TSQ_TEST_VAR=hello world', '-U', 'TSQ_UNSET_ME', ...extra, prog, ...args];

function run(cmd, pre, prog, args, cwd, extra = []) {
  const env = { ...process.env, TSQ_UNSET_ME: 'x' };
  const r = spawnSync(cmd, runArgv(pre, prog, args, extra), { encoding: 'utf8', env, cwd, timeout: 120000 });
  return { stdout: r.stdout, stderr: r.stderr, status: r.status, signal: r.signal };
}

/** run() without blocking the test process: qemu-riscv64 and ours run at the same time (several
 * programs mostly wait: sotimeo's and sigtimers' timeouts, locks' holder, mmapfile's msync). */
function runAsync(cmd, pre, prog, args, cwd, extra = []) {
  return new Promise((resolve) => {
    const child = spawn(cmd, runArgv(pre, prog, args, extra), { env: { ...process.env, TSQ_UNSET_ME: 'x' }, cwd });
    child.stdin.end(); // as spawnSync gives it: an empty pipe
    let stdout = '', stderr = '';
    // A grandchild left running keeps the pipes open and 'close' would never come: close them.
    const timer = setTimeout(() => { child.kill('SIGKILL'); child.stdout.destroy(); child.stderr.destroy(); }, 120000);
    child.stdout.setEncoding('utf8').on('data', (d) => { stdout += d; });
    child.stderr.setEncoding('utf8').on('data', (d) => { stderr += d; });
    child.on('close', (status, signal) => { clearTimeout(timer); resolve({ stdout, stderr, status, signal }); });
  });
}

// A program's static and dynamic builds run the same code of its own; they differ in start-up
// (ld.so mapping libc.so from -L, or a static image with IRELATIVE relocations and static TLS).
// Every program runs dynamic; its static build too where static start-up changes what it
// checks (argv/auxv/stack, static TLS of threads, exec of a static image, signal frames), and
// all of them with TSQEMU_SLOW=1. The other linux-user suites (user-procsig, user-proc,
// user-forkserver, user-memory, ...) run static builds only.
const STATIC_ALWAYS = new Set(['argv-env', 'threads', 'forkexec', 'signals']);
const SLOW = process.env.TSQEMU_SLOW === '1';

for (const p of PROGRAMS) {
  for (const isStatic of SLOW || STATIC_ALWAYS.has(p.name) ? [true, false] : [false]) {
    test(`${p.name} (${isStatic ? 'static' : 'dynamic'}) matches qemu-riscv64`, { skip: missing ? `${missing} not installed` : p.needsSys ? noSys ?? false : false }, async () => {
      const prog = build(p.name, p.libs, isStatic);
      // Both at once, each in a directory of its own (no program prints its directory's name).
      const side = (tag, cmd, pre, extra) => {
        const work = path.join(tmp, `work-${p.name}-${tag}`);
        fs.rmSync(work, { recursive: true, force: true });
        fs.mkdirSync(work);
        return runAsync(cmd, pre, prog, p.workdir ? [work] : (p.args ?? []), work, extra);
      };
      const [want, got] = await Promise.all([side('q', 'qemu-riscv64', [], p.qemuEnv), side('t', process.execPath, [cli])]);
      assert.deepEqual(got, want);
    });
  }
}

const noGccgo = missing ?? (have('riscv64-linux-gnu-gccgo') ? null : 'riscv64-linux-gnu-gccgo');
test('Go goroutines and channels (gccgo, static) match qemu-riscv64', { skip: noGccgo ? `${noGccgo} not installed` : false }, async () => {
  const prog = path.join(tmp, 'goroutines');
  const b = ccSpawnSync('riscv64-linux-gnu-gccgo', ['-static', '-o', prog, path.join(srcDir, 'goroutines.go')], { encoding: 'utf8' });
  assert.equal(b.status, 0, b.stderr);
  const [want, got] = await Promise.all([runAsync('qemu-riscv64', [], prog, [], tmp), runAsync(process.execPath, [cli], prog, [], tmp)]);
  assert.equal(want.status, 0);
  assert.deepEqual(got, want);
});

/** Run `argv`, send SIGINT after "ready", SIGTERM after the handler's line; returns the outcome. */
function hostSignals(argv) {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '', stderr = '';
    const timer = setTimeout(() => {
      // What each host thread was doing and which signals it blocked or had pending, for a hang.
      const threads = spawnSync('sh', ['-c', `for t in /proc/${child.pid}/task/*; do echo $(cat $t/comm) $(cut -d' ' -f3 $t/stat) $(grep -E 'SigPnd|ShdPnd|SigBlk' $t/status); done`], { encoding: 'utf8' }).stdout;
      child.kill('SIGKILL');
      reject(new Error(`${path.basename(argv[0])}: timeout; stdout: ${stdout}; stderr: ${stderr}; threads:\n${threads}`));
    }, 60000);
    child.stderr.on('data', (d) => { stderr += d; });
    child.stdout.on('data', (d) => {
      stdout += d;
      if (stdout === 'ready\n') child.kill('SIGINT');
      if (stdout.endsWith('got signal 2\n')) child.kill('SIGTERM');
    });
    // 'close': the last output is read too ('exit' may come first).
    child.on('close', (status, signal) => { clearTimeout(timer); resolve({ stdout, stderr, status, signal }); });
  });
}

test('host SIGINT reaches the guest handler, SIGTERM kills like qemu-riscv64', { skip: missing ? `${missing} not installed` : false }, async () => {
  const prog = build('hostsig', [], true);
  const [want, got] = await Promise.all([hostSignals(['qemu-riscv64', prog]), hostSignals([process.execPath, cli, prog])]);
  assert.equal(want.signal, 'SIGTERM');
  assert.deepEqual(got, want);
});

/** `(sleep 1; printf abc) | CMD | (wait; sleep 1; wc -c)` through a shell: the guest reads a slow
 * writer and writes 2 MiB to a slow reader of its stdout (Node leaves pipes at 0-2 non-blocking).
 * The reader waits for CMD's stderr (a file, shown afterwards) to say its non-blocking write is
 * done (plain: its stdin is read), not a fixed 3 s from the start: under load the emulator took
 * longer to get there, the reader had begun to drain the pipe, and the counts differed. */
let slowPipes = 0;
function slowPipe(cmd, env = process.env) {
  return new Promise((resolve, reject) => {
    const q = (a) => `'${a.replace(/'/g, "'\\''")}'`;
    const err = path.join(tmp, `slowpipe-${slowPipes++}.err`);
    const ready = cmd.at(-1) === 'plain' ? '^stdin ' : '^nonblocking:';
    const child = spawn(`(sleep 1; printf abc) | ${cmd.map(q).join(' ')} 2>${q(err)} | ` +
      `(i=0; until grep -qs ${q(ready)} ${q(err)} || [ $i -ge 600 ]; do sleep 0.1; i=$((i+1)); done; sleep 1; wc -c); cat ${q(err)} >&2`,
    { shell: true, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '', stderr = '';
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`timeout; stderr: ${stderr}`)); }, 60000);
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    // 'close', not 'exit': wc's count and the cat of the log are the last output, and on 'exit'
    // they may not have been read yet.
    child.on('close', (status, signal) => { clearTimeout(timer); resolve({ stdout: stdout.trim(), stderr, status, signal }); });
  });
}

test('blocking pipes block with a slow reader and writer (guest O_NONBLOCK kept apart from the host\'s), like qemu-riscv64', { skip: missing ? `${missing} not installed` : noSys ?? false }, async () => {
  const prog = build('slowpipe', [], true);
  const noSysEnv = { ...process.env, TSQEMU_NO_SYS: '1' };
  const [want, got, wantPlain, gotPlain] = await Promise.all([
    slowPipe(['qemu-riscv64', prog]), slowPipe([process.execPath, cli, prog]),
    slowPipe(['qemu-riscv64', prog, 'plain']), slowPipe([process.execPath, cli, prog, 'plain'], noSysEnv),
  ]);
  assert.deepEqual(want, { stdout: '2097152', stderr: want.stderr, status: 0, signal: null });
  assert.match(want.stderr, /nonblocking: write 65536, then -1/);
  assert.deepEqual(got, want);
  assert.equal(wantPlain.stdout, '2097152');
  assert.deepEqual(gotPlain, wantPlain); // without the addon: sleep-and-retry
});

test('vfork suspends the parent until the child exec\'s or exits (Linux rule; qemu-riscv64 runs vfork as fork)', { skip: missing ? `${missing} not installed` : false }, () => {
  const prog = build('vfork', [], true);
  const got = run(process.execPath, [cli], prog, [], tmp);
  assert.deepEqual(got, { stdout: 'child before exec\nparent resumed\nchild status 3\nsecond child status 5\n', stderr: '', status: 0, signal: null });
});

/** `CMD 2>&1 >/dev/null | (sleep 3; grep -c PATTERN)`: the -strace log goes to a pipe nobody reads
 * for 3 s (Node makes the emulator's fd 2 non-blocking: a full pipe says EAGAIN). */
function slowStderr(cmd, pattern) {
  const q = (a) => `'${a.replace(/'/g, "'\\''")}'`;
  return new Promise((resolve) => {
    const child = spawn('sh', ['-c', `{ ${cmd.map(q).join(' ')} 2>&1 >/dev/null; echo "status $?"; } | (sleep 3; awk -v p=${q(pattern)} 'index($0, p) { n++ } /^status / { s = $0 } END { print n + 0; print s }')`],
      { stdio: ['ignore', 'pipe', 'ignore'] });
    let stdout = '';
    // A grandchild left running keeps the pipes open and 'close' would never come: close them.
    const timer = setTimeout(() => { child.kill('SIGKILL'); child.stdout.destroy(); child.stderr.destroy(); }, 120000);
    child.stdout.on('data', (d) => { stdout += d; });
    child.on('close', () => { clearTimeout(timer); resolve(stdout); });
  });
}

test('-strace to a full non-blocking stderr pipe waits for the reader (was: EAGAIN killed the guest mid-call, status 134), like qemu-riscv64', { skip: missing ? `${missing} not installed` : false }, async () => {
  const prog = build('manycalls', [], true);
  // Both at once (each pipe has its own 3 s reader).
  const [want, got] = await Promise.all([slowStderr(['qemu-riscv64', '-strace', prog], 'getppid() = '),
    slowStderr([process.execPath, cli, '-strace', prog], 'getppid() = ')]);
  assert.equal(want, '4000\nstatus 0\n');
  assert.equal(got, want);
});

/** -strace lines without what differs between two runs: pids, addresses, big numbers. */
function normalizeStrace(text, work) {
  return text.split('\n').filter((l) => l !== '').map((l) => l.split(work).join('WORK')
    .replace(/^\d+ /, '').replace(/0x[0-9a-f]{6,}/g, 'ADDR').replace(/\b\d{6,}\b/g, 'N')
    .replace(/si_pid=\d+/, 'si_pid=P').replace(/\) = \d{4,}$/, ') = PID')
    // Process and thread ids are small on a fresh machine: mask them by call, not by size.
    .replace(/^((?:getpid|gettid|getppid|getpgid|getsid|set_tid_address|clone|clone3|fork|vfork|wait4|waitid)\(.*\) = )\d+$/, '$1PID').replace(/kill\(\d+(,\d+)?/, 'kill(PID'));
}

for (const name of ['strace-mix', 'fileio']) {
  test(`-strace of ${name} matches qemu-riscv64's`, { skip: missing ? `${missing} not installed` : false }, async () => {
    const prog = build(name, [], true);
    const side = async (cmd, pre) => {
      const work = path.join(tmp, `strace-${name}-${cmd === 'qemu-riscv64' ? 'q' : 't'}`);
      fs.rmSync(work, { recursive: true, force: true });
      fs.mkdirSync(work);
      const r = await new Promise((resolve) => {
        const child = spawn(cmd, [...pre, '-strace', prog, work], { cwd: work });
        child.stdin.end();
        let out = '', err = '';
        const timer = setTimeout(() => child.kill('SIGKILL'), 60000);
        child.stdout.setEncoding('utf8').on('data', (d) => { out += d; });
        child.stderr.setEncoding('utf8').on('data', (d) => { err += d; });
        child.on('close', (status) => { clearTimeout(timer); resolve({ stdout: out, stderr: err, status }); });
      });
      return { out: r.stdout, status: r.status, strace: normalizeStrace(r.stderr, work) };
    };
    const [want, got] = await Promise.all([side('qemu-riscv64', []), side(process.execPath, [cli])]);
    assert.ok(want.strace.length > 30, 'qemu printed a trace');
    assert.deepEqual(got, want);
  });
}
