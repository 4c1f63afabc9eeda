// -strace: one line per system call as QEMU prints it:
//   "PID name(arg,arg,...) = result" or " = -1 errno=N (text)".
// Arguments are printed by kind: strings quoted, fds and ints in decimal, the rest in hex.
import { ERRNO_NAMES } from './errno.js';
import { NR, SYSCALL_NAMES } from './syscall-nr.js';
import type { GuestMM } from './mmap.js';

type ArgKind = 'd' | 'x' | 's' | 'o';
/** Argument kinds of the calls whose arguments are worth decoding; others print hex. */
const KINDS: Partial<Record<number, string>> = {
  [NR.openat]: 'dso', [NR.read]: 'dxd', [NR.write]: 'dxd', [NR.close]: 'd', [NR.execve]: 'sxx',
  [NR.newfstatat]: 'dsxx', [NR.fstat]: 'dx', [NR.faccessat]: 'dso', [NR.faccessat2]: 'dsod',
  [NR.mkdirat]: 'dso', [NR.unlinkat]: 'dsx', [NR.chdir]: 's', [NR.readlinkat]: 'dsxd',
  [NR.exit]: 'd', [NR.exit_group]: 'd', [NR.lseek]: 'ddd', [NR.dup]: 'd', [NR.dup3]: 'ddx',
  [NR.kill]: 'dd', [NR.statx]: 'dsxxx', [NR.pread64]: 'dxdd', [NR.pwrite64]: 'dxdd',
  [NR.ioctl]: 'dxx', [NR.fcntl]: 'ddx', [NR.getdents64]: 'dxd', [NR.renameat2]: 'dsdsx',
  [NR.symlinkat]: 'sds', [NR.linkat]: 'dsdsx', [NR.fchmodat]: 'dso', [NR.wait4]: 'dxxx',
};

export function straceEnter(mm: GuestMM, pid: number, nr: number, args: bigint[]): string {
  const name = SYSCALL_NAMES[nr] ?? `unknown syscall ${nr}`;
  const kinds = KINDS[nr] ?? 'xxxxxx';
  const parts: string[] = [];
  for (let i = 0; i < kinds.length; i++) parts.push(formatArg(mm, kinds[i] as ArgKind, args[i]));
  return `${pid} ${name}(${parts.join(',')})`;
}

function formatArg(mm: GuestMM, kind: ArgKind, v: bigint): string {
  switch (kind) {
    case 'd': {
      const n = BigInt.asIntN(32, v);
      return n === -100n ? 'AT_FDCWD' : n.toString();
    }
    case 'o': return '0' + (v & 0xffffffffn).toString(8);
    case 's':
      try { return JSON.stringify(mm.cstring(Number(v), 256)); } catch { return '0x' + v.toString(16); }
    default: return '0x' + v.toString(16);
  }
}

export function straceExit(ret: bigint): string {
  const r = BigInt.asIntN(64, ret);
  if (r < 0n && r >= -4095n) {
    const e = Number(-r);
    return ` = -1 errno=${e} (${ERRNO_NAMES[e] ?? 'Unknown error'})\n`;
  }
  return r < 0n || r > 0xffffn ? ` = 0x${BigInt.asUintN(64, ret).toString(16)}\n` : ` = ${r}\n`;
}
