// Names -strace prints: flag sets in QEMU's order, constants, signal names, and the host C
// library's error texts (QEMU prints strerror()).

export type FlagTable = ReadonlyArray<readonly [number, string]>;

/** "A|B|0x.." of the flags in `table` order, the unknown rest in hex; `zero` when none. */
export function flagNames(v: number, table: FlagTable, zero = '0'): string {
  const parts: string[] = [];
  let rest = v >>> 0;
  for (const [bit, name] of table) {
    if (bit !== 0 && (rest & bit) === bit) { parts.push(name); rest = (rest & ~bit) >>> 0; }
  }
  if (rest) parts.push('0x' + rest.toString(16));
  return parts.length ? parts.join('|') : zero;
}

export const OPEN_FLAGS: FlagTable = [
  [0o2000, 'O_APPEND'], [0o100, 'O_CREAT'], [0o200000, 'O_DIRECTORY'], [0o200, 'O_EXCL'],
  [0o100000, 'O_LARGEFILE'], [0o400, 'O_NOCTTY'], [0o400000, 'O_NOFOLLOW'], [0o4000, 'O_NONBLOCK'],
  [0o4010000, 'O_SYNC'], [0o10000, 'O_DSYNC'], [0o20000, 'O_ASYNC'], [0o40000, 'O_DIRECT'],
  [0o1000000, 'O_NOATIME'], [0o2000000, 'O_CLOEXEC'], [0o10000000, 'O_PATH'], [0o20000000, 'O_TMPFILE'],
  [0o1000, 'O_TRUNC'],
];

export function openFlags(v: number): string {
  const acc = ['O_RDONLY', 'O_WRONLY', 'O_RDWR', '3'][v & 3];
  const rest = flagNames(v & ~3, OPEN_FLAGS, '');
  return rest ? `${acc}|${rest}` : acc;
}

export const PROT_FLAGS: FlagTable = [[4, 'PROT_EXEC'], [1, 'PROT_READ'], [2, 'PROT_WRITE']];
export const MMAP_FLAGS: FlagTable = [
  [1, 'MAP_SHARED'], [2, 'MAP_PRIVATE'], [0x10, 'MAP_FIXED'], [0x20, 'MAP_ANONYMOUS'], [0x100, 'MAP_GROWSDOWN'],
  [0x800, 'MAP_DENYWRITE'], [0x1000, 'MAP_EXECUTABLE'], [0x2000, 'MAP_LOCKED'], [0x4000, 'MAP_NORESERVE'],
  [0x8000, 'MAP_POPULATE'], [0x10000, 'MAP_NONBLOCK'], [0x40000, 'MAP_HUGETLB'],
];
export const CLONE_FLAGS: FlagTable = [
  [0x100, 'CLONE_VM'], [0x200, 'CLONE_FS'], [0x400, 'CLONE_FILES'], [0x800, 'CLONE_SIGHAND'],
  [0x1000, 'CLONE_PIDFD'], [0x2000, 'CLONE_PTRACE'], [0x4000, 'CLONE_VFORK'], [0x8000, 'CLONE_PARENT'],
  [0x10000, 'CLONE_THREAD'], [0x20000, 'CLONE_NEWNS'], [0x40000, 'CLONE_SYSVSEM'], [0x80000, 'CLONE_SETTLS'],
  [0x100000, 'CLONE_PARENT_SETTID'], [0x200000, 'CLONE_CHILD_CLEARTID'], [0x400000, 'CLONE_DETACHED'],
  [0x800000, 'CLONE_UNTRACED'], [0x1000000, 'CLONE_CHILD_SETTID'], [0x2000000, 'CLONE_NEWCGROUP'],
  [0x4000000, 'CLONE_NEWUTS'], [0x8000000, 'CLONE_NEWIPC'], [0x10000000, 'CLONE_NEWUSER'],
  [0x20000000, 'CLONE_NEWPID'], [0x40000000, 'CLONE_NEWNET'], [0x80000000, 'CLONE_IO'],
];
export const ACCESS_FLAGS: FlagTable = [[4, 'R_OK'], [2, 'W_OK'], [1, 'X_OK']];
export const AT_FLAGS: FlagTable = [[0x200, 'AT_EACCESS'], [0x100, 'AT_SYMLINK_NOFOLLOW']];
export const UNLINKAT_FLAGS: FlagTable = [[0x200, 'AT_REMOVEDIR']];
export const SOCK_TYPE_FLAGS: FlagTable = [[0o2000000, 'SOCK_CLOEXEC'], [0o4000, 'SOCK_NONBLOCK']];

export const SOCK_TYPES: Record<number, string> = {
  1: 'SOCK_STREAM', 2: 'SOCK_DGRAM', 3: 'SOCK_RAW', 4: 'SOCK_RDM', 5: 'SOCK_SEQPACKET', 10: 'SOCK_PACKET',
};
export const PF_NAMES: Record<number, string> = { 1: 'PF_UNIX', 2: 'PF_INET', 16: 'PF_NETLINK', 17: 'PF_PACKET' };
export const IPPROTO_NAMES: Record<number, string> = {
  0: 'IPPROTO_IP', 1: 'IPPROTO_ICMP', 6: 'IPPROTO_TCP', 17: 'IPPROTO_UDP', 41: 'IPPROTO_IPV6', 58: 'IPPROTO_ICMPV6', 255: 'IPPROTO_RAW',
};
export const NETLINK_NAMES: Record<number, string> = { 0: 'NETLINK_ROUTE', 4: 'NETLINK_SOCK_DIAG', 15: 'NETLINK_KOBJECT_UEVENT' };

export const WHENCE: Record<number, string> = { 0: 'SEEK_SET', 1: 'SEEK_CUR', 2: 'SEEK_END', 3: 'SEEK_DATA', 4: 'SEEK_HOLE' };
export const SIGPROCMASK_HOW: Record<number, string> = { 0: 'SIG_BLOCK', 1: 'SIG_UNBLOCK', 2: 'SIG_SETMASK' };
export const CLOCKS: Record<number, string> = {
  0: 'CLOCK_REALTIME', 1: 'CLOCK_MONOTONIC', 2: 'CLOCK_PROCESS_CPUTIME_ID', 3: 'CLOCK_THREAD_CPUTIME_ID',
  4: 'CLOCK_MONOTONIC_RAW', 5: 'CLOCK_REALTIME_COARSE', 6: 'CLOCK_MONOTONIC_COARSE', 7: 'CLOCK_BOOTTIME',
  8: 'CLOCK_REALTIME_ALARM', 9: 'CLOCK_BOOTTIME_ALARM', 11: 'CLOCK_TAI',
};
export const FCNTL_CMDS: Record<number, string> = {
  0: 'F_DUPFD', 1: 'F_GETFD', 2: 'F_SETFD', 3: 'F_GETFL', 4: 'F_SETFL', 5: 'F_GETLK', 6: 'F_SETLK', 7: 'F_SETLKW',
  8: 'F_SETOWN', 9: 'F_GETOWN', 10: 'F_SETSIG', 11: 'F_GETSIG', 1024: 'F_SETLEASE', 1025: 'F_GETLEASE',
  1030: 'F_DUPFD_CLOEXEC', 1031: 'F_SETPIPE_SZ', 1032: 'F_GETPIPE_SZ', 1033: 'F_ADD_SEALS', 1034: 'F_GET_SEALS',
  36: 'F_OFD_GETLK', 37: 'F_OFD_SETLK', 38: 'F_OFD_SETLKW',
};
export const MADVISE: Record<number, string> = {
  0: 'MADV_NORMAL', 1: 'MADV_RANDOM', 2: 'MADV_SEQUENTIAL', 3: 'MADV_WILLNEED', 4: 'MADV_DONTNEED', 8: 'MADV_FREE',
  9: 'MADV_REMOVE', 10: 'MADV_DONTFORK', 11: 'MADV_DOFORK', 12: 'MADV_MERGEABLE', 13: 'MADV_UNMERGEABLE',
  14: 'MADV_HUGEPAGE', 15: 'MADV_NOHUGEPAGE', 16: 'MADV_DONTDUMP', 17: 'MADV_DODUMP',
};
export const IOCTLS: Record<number, string> = {
  0x5401: 'TCGETS', 0x5402: 'TCSETS', 0x5403: 'TCSETSW', 0x5404: 'TCSETSF', 0x540e: 'TIOCSCTTY',
  0x540f: 'TIOCGPGRP', 0x5410: 'TIOCSPGRP', 0x5413: 'TIOCGWINSZ', 0x5414: 'TIOCSWINSZ', 0x541b: 'FIONREAD',
  0x5421: 'FIONBIO', 0x5451: 'FIOCLEX', 0x5450: 'FIONCLEX',
};
export const FUTEX_OPS: Record<number, string> = {
  0: 'FUTEX_WAIT', 1: 'FUTEX_WAKE', 2: 'FUTEX_FD', 3: 'FUTEX_REQUEUE', 4: 'FUTEX_CMP_REQUEUE', 5: 'FUTEX_WAKE_OP',
  6: 'FUTEX_LOCK_PI', 7: 'FUTEX_UNLOCK_PI', 8: 'FUTEX_TRYLOCK_PI', 9: 'FUTEX_WAIT_BITSET', 10: 'FUTEX_WAKE_BITSET',
  11: 'FUTEX_WAIT_REQUEUE_PI', 12: 'FUTEX_CMP_REQUEUE_PI',
};

export function futexOp(v: number): string {
  const parts: string[] = [];
  if (v & 128) parts.push('FUTEX_PRIVATE_FLAG');
  if (v & 256) parts.push('FUTEX_CLOCK_REALTIME');
  const cmd = v & ~(128 | 256);
  parts.push(FUTEX_OPS[cmd] ?? String(cmd));
  return parts.join('|');
}

const SIGNALS = [
  '', 'SIGHUP', 'SIGINT', 'SIGQUIT', 'SIGILL', 'SIGTRAP', 'SIGABRT', 'SIGBUS', 'SIGFPE', 'SIGKILL', 'SIGUSR1',
  'SIGSEGV', 'SIGUSR2', 'SIGPIPE', 'SIGALRM', 'SIGTERM', 'SIGSTKFLT', 'SIGCHLD', 'SIGCONT', 'SIGSTOP', 'SIGTSTP',
  'SIGTTIN', 'SIGTTOU', 'SIGURG', 'SIGXCPU', 'SIGXFSZ', 'SIGVTALRM', 'SIGPROF', 'SIGWINCH', 'SIGIO', 'SIGPWR', 'SIGSYS',
];
export function signalName(sig: number): string { return SIGNALS[sig] || String(sig); }

export const SI_CODES: Record<number, string> = {
  0: 'SI_USER', 0x80: 'SI_KERNEL', [-1]: 'SI_QUEUE', [-2]: 'SI_TIMER', [-3]: 'SI_MESGQ', [-4]: 'SI_ASYNCIO',
  [-5]: 'SI_SIGIO', [-6]: 'SI_TKILL',
};

/** glibc's strerror() texts (QEMU prints the host's), plus QEMU's own restart codes. */
const ERROR_TEXTS: Record<number, string> = {
  1: 'Operation not permitted', 2: 'No such file or directory', 3: 'No such process', 4: 'Interrupted system call',
  5: 'Input/output error', 6: 'No such device or address', 7: 'Argument list too long', 8: 'Exec format error',
  9: 'Bad file descriptor', 10: 'No child processes', 11: 'Resource temporarily unavailable', 12: 'Cannot allocate memory',
  13: 'Permission denied', 14: 'Bad address', 15: 'Block device required', 16: 'Device or resource busy',
  17: 'File exists', 18: 'Invalid cross-device link', 19: 'No such device', 20: 'Not a directory', 21: 'Is a directory',
  22: 'Invalid argument', 23: 'Too many open files in system', 24: 'Too many open files',
  25: 'Inappropriate ioctl for device', 26: 'Text file busy', 27: 'File too large', 28: 'No space left on device',
  29: 'Illegal seek', 30: 'Read-only file system', 31: 'Too many links', 32: 'Broken pipe',
  33: 'Numerical argument out of domain', 34: 'Numerical result out of range', 35: 'Resource deadlock avoided',
  36: 'File name too long', 37: 'No locks available', 38: 'Function not implemented', 39: 'Directory not empty',
  40: 'Too many levels of symbolic links', 42: 'No message of desired type', 43: 'Identifier removed',
  61: 'No data available', 62: 'Timer expired', 71: 'Protocol error', 74: 'Bad message',
  75: 'Value too large for defined data type', 84: 'Invalid or incomplete multibyte or wide character',
  88: 'Socket operation on non-socket', 89: 'Destination address required', 90: 'Message too long',
  91: 'Protocol wrong type for socket', 92: 'Protocol not available', 93: 'Protocol not supported',
  94: 'Socket type not supported', 95: 'Operation not supported', 96: 'Protocol family not supported',
  97: 'Address family not supported by protocol', 98: 'Address already in use', 99: 'Cannot assign requested address',
  100: 'Network is down', 101: 'Network is unreachable', 102: 'Network dropped connection on reset',
  103: 'Software caused connection abort', 104: 'Connection reset by peer', 105: 'No buffer space available',
  106: 'Transport endpoint is already connected', 107: 'Transport endpoint is not connected',
  108: 'Cannot send after transport endpoint shutdown', 110: 'Connection timed out', 111: 'Connection refused',
  112: 'Host is down', 113: 'No route to host', 114: 'Operation already in progress', 115: 'Operation now in progress',
  116: 'Stale file handle', 122: 'Disk quota exceeded', 125: 'Operation canceled',
  512: 'To be restarted', 513: 'Successful exit from sigreturn',
};
export function errorText(e: number): string { return ERROR_TEXTS[e] ?? `Unknown error ${e}`; }
