// -strace: one line per system call as QEMU prints it:
//   "PID name(arg,arg,...) = result" or " = -1 errno=N (strerror text)".
// Calls QEMU decodes have a format here (one letter per printed argument, below); every other
// call prints its six arguments in decimal, as QEMU does for calls without a format.
import { NR, SYSCALL_NAMES } from './syscall-nr.js';
import type { GuestMM } from './mmap.js';
import {
  ACCESS_FLAGS, AT_FLAGS, CLOCKS, CLONE_FLAGS, errorText, FCNTL_CMDS, flagNames, futexOp, IOCTLS, IPPROTO_NAMES,
  MADVISE, MMAP_FLAGS, NETLINK_NAMES, openFlags, PF_NAMES, PROT_FLAGS, SI_CODES, signalName, SIGPROCMASK_HOW,
  SOCK_TYPE_FLAGS, SOCK_TYPES, UNLINKAT_FLAGS, WHENCE,
} from './strace-names.js';
import type { SigInfo } from './signal.js';

/**
 * Argument letters: d int, f dirfd, l long, x %#x, p pointer (NULL / 0x%016x), n %p ((nil)),
 * s string, o octal (%#o), m mode (0%o), O open flags (+ mode with O_CREAT), A access mode,
 * a AT_ flags, R unlinkat flags, P prot, M mmap flags, S signal, h sigprocmask how, w whence,
 * F fcntl cmd (+ its argument), i ioctl request, C clone (all its arguments), k sockaddr + length,
 * y socket domain/type/protocol, T timespec, c clock, z madvise advice, X futex op, L [*int],
 * e string array, _ nothing (the call takes no arguments).
 */
const FORMATS: Partial<Record<number, string>> = {
  [NR.openat]: 'fsO', [NR.read]: 'dxd', [NR.write]: 'dxd', [NR.close]: 'd', [NR.execve]: 'se',
  [NR.newfstatat]: 'fspa', [NR.faccessat]: 'fsAa', [NR.faccessat2]: 'fsAa', [NR.mkdirat]: 'fsm',
  [NR.unlinkat]: 'fsR', [NR.chdir]: 's', [NR.readlinkat]: 'fspd', [NR.exit]: 'd', [NR.exit_group]: 'd',
  [NR.lseek]: 'dlw', [NR.dup]: 'd', [NR.dup3]: 'ddd', [NR.kill]: 'dS', [NR.tgkill]: 'ddS', [NR.tkill]: 'dS',
  [NR.ioctl]: 'dip', [NR.fcntl]: 'dF', [NR.getdents64]: 'dxd', [NR.symlinkat]: 'sfs', [NR.linkat]: 'fsfsd',
  [NR.fchmodat]: 'fsmd', [NR.brk]: 'p', [NR.mmap]: 'plPMdl', [NR.munmap]: 'pl', [NR.mprotect]: 'plP',
  [NR.madvise]: 'plz', [NR.clone]: 'C', [NR.futex]: 'pXdppd', [NR.rt_sigaction]: 'Spp',
  [NR.rt_sigprocmask]: 'hpp', [NR.clock_nanosleep]: 'cdTp', [NR.nanosleep]: 'Tp', [NR.getrandom]: 'xdd',
  [NR.getcwd]: 'xd', [NR.writev]: 'dxx', [NR.readv]: 'dxx', [NR.sigaltstack]: 'xn', [NR.umask]: 'o',
  [NR.socket]: 'y', [NR.bind]: 'dk', [NR.connect]: 'dxd', [NR.accept]: 'dpL', [NR.listen]: 'dd',
  [NR.recvmsg]: 'dxd', [NR.ftruncate]: 'dl', [NR.getpid]: '_', [NR.gettid]: '_', [NR.getppid]: '_',
  [NR.getuid]: '_', [NR.geteuid]: '_', [NR.getgid]: '_', [NR.getegid]: '_', [NR.sched_yield]: '_',
  [NR.clock_gettime]: 'cp', [NR.clock_getres]: 'cp', [NR.fchdir]: 'd', [NR.fstat]: 'dp', [NR.fsync]: 'd',
};

/** Calls whose result QEMU prints as a pointer. */
const POINTER_RESULT = new Set<number>([NR.brk, NR.mmap]);

const hex = (v: bigint): string => '0x' + BigInt.asUintN(64, v).toString(16);
const ptr16 = (v: bigint): string => (v === 0n ? 'NULL' : '0x' + BigInt.asUintN(64, v).toString(16).padStart(16, '0'));
const int32 = (v: bigint): number => Number(BigInt.asIntN(32, v));
const str = (mm: GuestMM, v: bigint): string => {
  try { return JSON.stringify(mm.cstring(Number(v), 4096)); } catch { return hex(v); }
};

function timespec(mm: GuestMM, v: bigint): string {
  if (v === 0n) return 'NULL';
  try {
    return `{tv_sec = ${BigInt.asIntN(64, mm.u64(Number(v)))},tv_nsec = ${BigInt.asIntN(64, mm.u64(Number(v) + 8))}}`;
  } catch { return ptr16(v); }
}

function sockaddr(mm: GuestMM, v: bigint, len: number): string {
  try {
    const a = mm.read(Number(v), Math.min(Math.max(len, 2), 128));
    const dv = new DataView(a.buffer);
    const fam = dv.getUint16(0, true);
    if (fam === 1) {
      const path = a.subarray(2);
      const end = path.indexOf(0);
      return `{sun_family=AF_UNIX,sun_path=${JSON.stringify(new TextDecoder().decode(path.subarray(0, end < 0 ? path.length : end)))}}`;
    }
    if (fam === 2 && a.length >= 8) {
      return `{sin_family=AF_INET,sin_port=htons(${dv.getUint16(2, false)}),sin_addr=inet_addr("${a.subarray(4, 8).join('.')}")}`;
    }
    const data = Array.from({ length: 14 }, (_, i) => (a[2 + i] ?? 0).toString(16).padStart(2, '0'));
    return `{sa_family=${fam}, sa_data={${data.join(', ')}}}`;
  } catch { return ptr16(v); }
}

function stringArray(mm: GuestMM, v: bigint): string {
  try { return '{' + [...mm.stringArray(Number(v)).map((s) => JSON.stringify(s)), 'NULL'].join(',') + '}'; } catch { return hex(v); }
}

/** The argument list of `nr` (without the parentheses). */
function formatArgs(mm: GuestMM, nr: number, a: bigint[]): string {
  const f = FORMATS[nr];
  if (f === undefined) return a.map((v) => BigInt.asIntN(64, v).toString()).join(',');
  const out: string[] = [];
  let i = 0;
  for (const k of f) {
    const v = a[i++] ?? 0n;
    switch (k) {
      case '_': i--; break;
      case 'd': out.push(String(int32(v))); break;
      case 'f': out.push(int32(v) === -100 ? 'AT_FDCWD' : String(int32(v))); break;
      case 'l': out.push(BigInt.asIntN(64, v).toString()); break;
      case 'x': out.push(v === 0n ? '0' : hex(v)); break;
      case 'p': out.push(ptr16(v)); break;
      case 'n': out.push(v === 0n ? '(nil)' : hex(v)); break;
      case 's': out.push(str(mm, v)); break;
      case 'o': out.push(v === 0n ? '0' : '0' + (v & 0xffffffffn).toString(8)); break;
      case 'm': out.push('0' + (v & 0xffffffffn).toString(8).padStart(3, '0')); break;
      case 'O': {
        const fl = int32(v);
        out.push(openFlags(fl));
        if (fl & 0o100 || (fl & 0o20200000) === 0o20200000) out.push('0' + (a[i++] & 0xffffffffn).toString(8).padStart(3, '0'));
        break;
      }
      case 'A': out.push(flagNames(int32(v), ACCESS_FLAGS, 'F_OK')); break;
      case 'a': out.push(flagNames(int32(v), AT_FLAGS)); break;
      case 'R': out.push(flagNames(int32(v), UNLINKAT_FLAGS)); break;
      case 'P': out.push(flagNames(int32(v), PROT_FLAGS, 'PROT_NONE')); break;
      case 'M': out.push(flagNames(int32(v), MMAP_FLAGS)); break;
      case 'S': out.push(signalName(int32(v))); break;
      case 'h': out.push(SIGPROCMASK_HOW[int32(v)] ?? String(int32(v))); break;
      case 'w': out.push(WHENCE[int32(v)] ?? String(int32(v))); break;
      case 'c': out.push(CLOCKS[int32(v)] ?? String(int32(v))); break;
      case 'z': out.push(MADVISE[int32(v)] ?? String(int32(v))); break;
      case 'X': out.push(futexOp(int32(v))); break;
      case 'T': out.push(timespec(mm, v)); break;
      case 'i': out.push(IOCTLS[Number(v & 0xffffffffn)] ?? hex(v & 0xffffffffn)); break;
      case 'e': out.push(stringArray(mm, v)); break;
      case 'L': {
        if (v === 0n) { out.push('NULL'); break; }
        try { out.push(`[${mm.i32at(Number(v))}]`); } catch { out.push(ptr16(v)); }
        break;
      }
      case 'k': out.push(`${sockaddr(mm, v, int32(a[i]))}, ${int32(a[i++])}`); break;
      case 'F': {
        const cmd = int32(v), name = FCNTL_CMDS[cmd];
        out.push(name ?? String(cmd));
        if (cmd === 1 || cmd === 3 || cmd === 9 || cmd === 11 || cmd === 1025 || cmd === 1032 || cmd === 1034) break;
        const arg = a[i++];
        if (cmd === 4) out.push(openFlags(int32(arg)));
        else if (cmd >= 5 && cmd <= 7) out.push(ptr16(arg));
        else out.push(String(int32(arg)));
        break;
      }
      case 'y': {
        const dom = int32(v), type = int32(a[i++]), proto = int32(a[i++]);
        out.push(PF_NAMES[dom] ?? String(dom));
        const t = SOCK_TYPES[type & 0xf] ?? String(type & 0xf);
        const extra = flagNames(type & ~0xf, SOCK_TYPE_FLAGS, '');
        out.push(extra ? `${t}|${extra}` : t);
        out.push((dom === 16 ? NETLINK_NAMES[proto] : IPPROTO_NAMES[proto]) ?? String(proto));
        break;
      }
      case 'C': {
        // riscv64 clone(flags, newsp, parent_tid, tls, child_tid)
        out.push(flagNames(Number(v & 0xffffffffn), CLONE_FLAGS), `child_stack=${pad16(a[1])}`,
          `parent_tidptr=${pad16(a[2])}`, `tls=${pad16(a[3])}`, `child_tidptr=${pad16(a[4])}`);
        i = 5;
        break;
      }
    }
  }
  return out.join(',');
}

const pad16 = (v: bigint): string => '0x' + BigInt.asUintN(64, v).toString(16).padStart(16, '0');

export function straceEnter(mm: GuestMM, pid: number, nr: number, args: bigint[]): string {
  const name = SYSCALL_NAMES[nr] ?? `Unknown syscall ${nr}`;
  return `${pid} ${name}(${formatArgs(mm, nr, args)})`;
}

export function straceExit(ret: bigint, nr = -1): string {
  const r = BigInt.asIntN(64, ret);
  if (r < 0n && r >= -4095n) {
    const e = Number(-r);
    return ` = -1 errno=${e} (${errorText(e)})\n`;
  }
  if (POINTER_RESULT.has(nr)) return ` = ${pad16(ret)}\n`;
  return ` = ${r}\n`;
}

/** QEMU's line for a signal being taken: "--- SIGUSR1 {si_signo=SIGUSR1, si_code=SI_TKILL, ...} ---". */
export function straceSignal(info: SigInfo): string {
  const name = signalName(info.signo);
  const code = SI_CODES[info.code];
  if (info.addr !== undefined && code === undefined) {
    return `--- ${name} {si_signo=${name}, si_code=${info.code}, si_addr=${ptr16(BigInt(info.addr))}} ---\n`;
  }
  return `--- ${name} {si_signo=${name}, si_code=${code ?? info.code}, si_pid=${info.pid ?? 0}, si_uid=${info.uid ?? 0}} ---\n`;
}
