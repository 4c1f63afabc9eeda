// tsqemu-riscv64's command line (cli/riscv64.ts loads this after starting the first worker):
// run a riscv64 Linux program on this host (QEMU's linux-user command line).
//   tsqemu-riscv64 [-L SYSROOT] [-E VAR=VAL] [-U VAR] [-0 ARGV0] [-strace] [-d ITEMS] [-D FILE]
//                  [-cpu rv64] PROGRAM [ARGS...]
// Environment: QEMU_LD_PREFIX, QEMU_STRACE, QEMU_SET_ENV, QEMU_UNSET_ENV, QEMU_LOG,
// QEMU_LOG_FILENAME, QEMU_CPU.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { LogMask, parseLogItems } from '../qemu/log.js';
import { runUserMode } from '../host/node/user-main.js';
import { forkMaps, serveForkJob } from '../host/node/user-forkserver.js';
import { loadUserSys } from '../host/node/user-sys.js';
import { mainThreadInsnLimit } from '../host/node/user-first.js';
// (print-and-exit text: process.stdout to a file or pipe loads every stream class, ~5 ms)
import { writeAllSync } from '../host/node/write-all.js';
import { skipCodeCacheWrite } from '../host/node/code-cache.js';
import '../target/riscv/trans_rvv.js'; // registers v and zve* before -cpu is parsed
import { supportedSyscalls } from '../linux-user/syscall.js';
import { CpuModelError, riscvCpuHelp, riscvParseCpu } from '../target/riscv/cpu-models.js';

const PROG = 'tsqemu-riscv64';
const VERSION = '10.2.0';

function usage(): string {
  return `usage: ${PROG} [options] program [arguments...]
Linux CPU emulator (compiled for riscv64 emulation)

Options and associated environment variables:

Argument      Env-variable      Description
-h                              print this help
-help
-g port       QEMU_GDB          wait gdb connection to 'port'
-L path       QEMU_LD_PREFIX    set the elf interpreter prefix to 'path'
-cpu model    QEMU_CPU          select CPU (-cpu help for list)
-E var=value  QEMU_SET_ENV      sets targets environment variable (see below)
-U var        QEMU_UNSET_ENV    unsets targets environment variable (see below)
-0 argv0      QEMU_ARGV0        forces target process argv[0] to be 'argv0'
-d item[,...] QEMU_LOG          enable logging of specified items (use '-d help' for a list of items)
-D logfile    QEMU_LOG_FILENAME write logs to 'logfile' (default stderr)
-strace       QEMU_STRACE       log system calls
-r uname      QEMU_UNAME        set qemu uname release string to 'uname'
-seed number  QEMU_RAND_SEED    Seed for pseudo-random number generator
-p pagesize   QEMU_PAGESIZE     deprecated: only the host's page size (4096)
-s size       QEMU_STACK_SIZE   the stack size (8M only)
-version      QEMU_VERSION      display version information and exit

Supported system calls: ${supportedSyscalls().join(' ')}
`;
}

/** Print `text` and exit: the command line only printed (no code cache entry from this run). */
function printExit(fd: number, text: string, status: number): never {
  skipCodeCacheWrite();
  writeAllSync(fd, text);
  process.exit(status);
}

function fail(msg: string): never {
  printExit(2, `${PROG}: ${msg}\n`, 1);
}

interface Parsed {
  sysroot?: string; setEnv: string[]; unsetEnv: string[]; argv0?: string; strace: boolean;
  logMask: number; logFile?: string; resume?: string; forkServer?: boolean; optionArgs: string[]; rest: string[]; cpu?: string; gdb?: string;
}

function parse(args: string[]): Parsed {
  const e = process.env;
  const p: Parsed = {
    sysroot: e.QEMU_LD_PREFIX, setEnv: e.QEMU_SET_ENV ? e.QEMU_SET_ENV.split(',') : [],
    unsetEnv: e.QEMU_UNSET_ENV ? e.QEMU_UNSET_ENV.split(',') : [], argv0: e.QEMU_ARGV0,
    strace: e.QEMU_STRACE !== undefined, logMask: 0, logFile: e.QEMU_LOG_FILENAME, optionArgs: [], rest: [], cpu: e.QEMU_CPU,
  };
  if (e.QEMU_GDB) p.gdb = e.QEMU_GDB;
  try {
    if (e.QEMU_LOG) p.logMask = parseLogItems(e.QEMU_LOG);
    mainThreadInsnLimit(e);
  } catch (err) { fail((err as Error).message); }
  let i = 0;
  const value = (opt: string): string => {
    if (i >= args.length) fail(`option '${opt}' requires an argument`);
    return args[i++];
  };
  while (i < args.length && args[i].startsWith('-')) {
    const raw = args[i++];
    if (raw === '--') break;
    const opt = raw.replace(/^--?/, '');
    const start = i - 1;
    switch (opt) {
      case 'h': case 'help': printExit(1, usage(), 0); break;
      case 'version': printExit(1, `${PROG} version ${VERSION}\n`, 0); break;
      case 'L': p.sysroot = value(raw); break;
      case 'E': p.setEnv.push(value(raw)); break;
      case 'U': p.unsetEnv.push(value(raw)); break;
      case '0': p.argv0 = value(raw); break;
      case 'strace': p.strace = true; break;
      case 'D': p.logFile = value(raw); break;
      case 'd': {
        const items = value(raw);
        if (items === 'help') printExit(1, parseHelp(), 0);
        try { p.logMask |= parseLogItems(items); } catch (err) { printExit(1, (err as Error).message + '\n', 1); }
        break;
      }
      case 'cpu': {
        const model = value(raw);
        if (model === 'help') printExit(1, riscvCpuHelp(), 0);
        p.cpu = model;
        break;
      }
      case 'resume': p.resume = value(raw); continue; // internal: a forked child
      case 'fork-server': p.forkServer = true; continue; // internal: a spare for the next fork
      case 'r': process.env.QEMU_UNAME = value(raw); break;
      case 'seed': {
        const v = value(raw);
        if (!/^-?[0-9]+$/.test(v)) fail(`cannot initialize crypto: Invalid seed number: ${v}`);
        process.env.QEMU_RAND_SEED = v;
        break;
      }
      case 'p': {
        const v = value(raw);
        if (v !== '4096') process.stderr.write(`${PROG}: warning: Deprecated page size option cannot change host page size (4096)\n`);
        break;
      }
      case 's': {
        const v = value(raw);
        if (parseStackSize(v) !== 8 * 1024 * 1024) fail(`-s ${v}: a stack size other than 8M is not supported by tsqemu`);
        break;
      }
      case 'B': fail(`-B ${value(raw)}: a guest base address is not supported by tsqemu`); break;
      case 'R': fail(`-R ${value(raw)}: reserved_va is not supported by tsqemu`); break;
      // QEMU's user-mode gdbserver; not passed on to forked children (they are not debugged).
      case 'g': p.gdb = value(raw); continue;
      case 'one-insn-per-tb': case 'singlestep': break;
      default: fail(`invalid option '${raw}'`);
    }
    p.optionArgs.push(...args.slice(start, i));
  }
  p.rest = args.slice(i);
  return p;
}

/** -s SIZE as QEMU reads it: bytes with an optional k/M/G suffix. */
function parseStackSize(v: string): number {
  const m = /^([0-9]+)([kKmMgG]?)$/.exec(v);
  if (!m) fail(`Invalid stack size: ${v}`);
  return Number(m[1]) * ({ '': 1, k: 1024, m: 2 ** 20, g: 2 ** 30 } as Record<string, number>)[m[2].toLowerCase()];
}

function parseHelp(): string {
  try { parseLogItems('\0'); } catch (err) { return (err as Error).message + '\n'; }
  return '';
}

/** The entry a forked child (and the fork server's spare) starts from: this bundle's CommonJS
 * entry when this is riscv64-main.cjs (no ES module loader: ~0.02 s of CPU per child), else
 * tsc's riscv64.js. */
function selfEntry(): string {
  const cjs = fileURLToPath(new URL('./riscv64.cjs', import.meta.url));
  return import.meta.url.endsWith('.cjs') && fs.existsSync(cjs) ? cjs : fileURLToPath(new URL('./riscv64.js', import.meta.url));
}

function main(): void {
  const p = parse(process.argv.slice(2));
  const selfArgs = [selfEntry(), ...p.optionArgs];
  const logMask = p.logMask | (p.strace ? LogMask.LOG_STRACE : 0);
  const cpu = p.cpu ?? 'max';
  try {
    riscvParseCpu(cpu);
  } catch (err) {
    fail(err instanceof CpuModelError ? (err as Error).message : `-cpu ${cpu}: ${(err as Error).message}`);
  }
  const opts = { sysroot: p.sysroot, strace: p.strace, unimp: (logMask & LogMask.LOG_UNIMP) !== 0, cpu };
  if (p.forkServer) {
    serveForkJob(loadUserSys(), (job, hostFds, mapFds) => runUserMode({ program: '', exe: '', argv: [], envp: [], opts, logMask, logFile: p.logFile, resume: job.imagePath, hostFds, ids: job.ids, selfArgs, maps: { parent: job.maps, fds: mapFds }, attrs: job.attrs }));
    return;
  }
  if (p.resume) {
    const ids = process.env.TSQEMU_FORK_IDS; // the parent's ids at the fork (not the guest's to see)
    delete process.env.TSQEMU_FORK_IDS;
    const maps = forkMaps(process.env.TSQEMU_FORK_MAPS);
    delete process.env.TSQEMU_FORK_MAPS;
    const attrs = process.env.TSQEMU_FORK_ATTRS;
    delete process.env.TSQEMU_FORK_ATTRS;
    runUserMode({ program: '', exe: '', argv: [], envp: [], opts, logMask, logFile: p.logFile, resume: p.resume, ids, selfArgs, maps, attrs });
    return;
  }
  if (p.rest.length === 0) fail('no user program specified');
  const program = p.rest[0];
  const exe = path.resolve(program);
  let st: fs.Stats | undefined;
  try {
    fs.accessSync(exe, fs.constants.R_OK);
    st = fs.statSync(exe);
  } catch (err) {
    fail(`Error while loading ${program}: ${(err as Error & { code?: string }).code === 'ENOENT' ? 'No such file or directory' : 'Permission denied'}`);
  }
  // As qemu-riscv64's prepare_binprm (and execve): a directory, device or file without any
  // execute bit is refused before it is read.
  if (st && (!st.isFile() || (st.mode & 0o111) === 0)) fail(`Error while loading ${program}: Permission denied`);
  const env = new Map<string, string>(Object.entries(process.env).filter((kv): kv is [string, string] => kv[1] !== undefined));
  // bin/tsqemu-riscv64 keeps NODE_EXTRA_CA_CERTS from node (it costs start-up), not from the guest.
  const ca = env.get('TSQEMU_NODE_EXTRA_CA_CERTS');
  if (ca !== undefined) { env.delete('TSQEMU_NODE_EXTRA_CA_CERTS'); env.set('NODE_EXTRA_CA_CERTS', ca); }
  for (const kv of p.setEnv) {
    const eq = kv.indexOf('=');
    if (eq > 0) env.set(kv.slice(0, eq), kv.slice(eq + 1));
  }
  // bin/tsqemu-riscv64's malloc setting is the emulator's (its children inherit it), not the guest's.
  if (env.get('TSQEMU_MALLOC_ARENA') === 'set') { env.delete('MALLOC_ARENA_MAX'); env.delete('TSQEMU_MALLOC_ARENA'); }
  if (env.get('TSQEMU_GLIBC_TUNABLES') === 'set') { env.delete('GLIBC_TUNABLES'); env.delete('TSQEMU_GLIBC_TUNABLES'); }
  for (const k of p.unsetEnv) env.delete(k);
  const argv = [p.argv0 ?? program, ...p.rest.slice(1)];
  runUserMode({
    program, exe, argv, envp: [...env].map(([k, v]) => `${k}=${v}`), opts, logMask, logFile: p.logFile, selfArgs, gdb: p.gdb,
  });
}

main();
