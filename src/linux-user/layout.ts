// Where everything of a user-mode process lives inside the one shared WebAssembly.Memory.
//
// Host memory (4 GiB, shared by every guest thread's worker):
//   [0, 64K)                        unused (a zero host offset is never valid)
//   [STATE_OFFSET, +MAX_THREADS*CPU_STATE_SIZE)   one CPU state block per guest thread slot
//   [KERNEL_OFFSET, +KERNEL_BYTES)  "kernel" data every thread must see: the page protection
//                                   table, the fd table, locks, thread slots, pending signals
//   [GUEST_BASE, 4 GiB)             the guest address space: guest VA v is host offset GUEST_BASE+v
//
// Guest address space (TASK_SIZE = 4 GiB - GUEST_BASE):
//   0x10000..                       non-PIE executables at their link addresses, then brk
//   ET_DYN_BASE                     PIE executables
//   ... mmap area, allocated top-down from MMAP_BASE (the interpreter goes here too)
//   [STACK_TOP - STACK_SIZE, STACK_TOP)   the main thread's stack
//   [SIGTRAMP_PAGE, +4K)            the signal return trampoline (Linux puts it in the vDSO)
//   [HIGH_BASE, HIGH_END)           private anonymous mappings that do not fit below (high-map.ts):
//                                   their committed pages borrow free pages of the space above
import { CPU_STATE_SIZE } from '../target/riscv/cpu-state.js';

export const TARGET_PAGE_SIZE = 4096;
export const TARGET_PAGE_BITS = 12;
export const HOST_MEMORY_PAGES = 65536; // 64 KiB wasm pages: the whole 4 GiB
export const MAX_THREADS = 128;
/** Guest thread ids are pid + k * TID_STRIDE (k >= 1), above any host pid (syscall-thread.ts). */
export const TID_STRIDE = 4194304;
export const STATE_OFFSET = 0x10000;
export const KERNEL_OFFSET = align(STATE_OFFSET + MAX_THREADS * CPU_STATE_SIZE, 0x100000);

// Kernel area, laid out in order.
/** Page protection bytes, one per guest page (PageFlag bits); room for a whole 4 GiB. */
export const PAGE_TABLE_OFFSET = KERNEL_OFFSET;
const PAGE_TABLE_BYTES = 0x100000000 / TARGET_PAGE_SIZE;
/** Room in the fd table; the guest's RLIMIT_NOFILE (the host's, KernelWord.FD_LIMIT) is the
 * real bound, as on Linux. */
export const MAX_FDS = 65536;
/** Int32 per guest fd: host fd, or -1 when free. */
export const FD_TABLE_OFFSET = align(PAGE_TABLE_OFFSET + PAGE_TABLE_BYTES, 4096);
/** Uint8 per guest fd: FdFlag bits. */
export const FD_FLAGS_OFFSET = FD_TABLE_OFFSET + MAX_FDS * 4;
/** Int32 words: locks and process-wide counters (KernelWord). */
export const KWORDS_OFFSET = align(FD_FLAGS_OFFSET + MAX_FDS, 4096);
export const KWORDS_COUNT = 64;
/** Per thread slot: Int32 words (ThreadWord). */
export const THREAD_WORDS = 16;
export const THREADS_OFFSET = KWORDS_OFFSET + KWORDS_COUNT * 4;
/** Signal actions: 64 x {handler u64, flags u64, mask u64}. */
export const SIGACTION_OFFSET = align(THREADS_OFFSET + MAX_THREADS * THREAD_WORDS * 4, 64);
/** The current directory, NUL-terminated (chdir in one thread is seen by all). */
export const CWD_OFFSET = SIGACTION_OFFSET + 64 * 24;
export const CWD_BYTES = 4096;
/** Float64 per host fd: explicit file offset + 1 after the guest seeked it (0: the host
 * descriptor's own offset is used; Node cannot lseek). */
export const MAX_HOST_FDS = 4096;
export const HOST_OFFSETS_OFFSET = align(CWD_OFFSET + CWD_BYTES, 8);
/** Uint8 per host fd: the guest's view of O_NONBLOCK on that open file description (NbState).
 * The host flag cannot tell: Node makes the pipes and ttys at 0-2 non-blocking at startup. */
export const HOST_NONBLOCK_OFFSET = HOST_OFFSETS_OFFSET + MAX_HOST_FDS * 8;
/** Queued real-time signals (sigqueue.ts): RTQ_ENTRIES x RTQ_ENTRY_BYTES, under SIG_LOCK. */
export const RTQ_OFFSET = align(HOST_NONBLOCK_OFFSET + MAX_HOST_FDS, 64);
export const RTQ_ENTRIES = 1024;
export const RTQ_ENTRY_BYTES = 32;
/** POSIX timers (posix-timers.ts): POSIX_TIMERS x POSIX_TIMER_BYTES. */
export const POSIX_TIMERS_OFFSET = RTQ_OFFSET + RTQ_ENTRIES * RTQ_ENTRY_BYTES;
export const POSIX_TIMERS = 64;
export const POSIX_TIMER_BYTES = 64;
/** SysV shared memory attachments (syscall-sysv.ts): Int32 [first page, pages, shmid, flags]. */
export const SHM_ATTACH_OFFSET = POSIX_TIMERS_OFFSET + POSIX_TIMERS * POSIX_TIMER_BYTES;
export const SHM_ATTACHES = 256;
/** Int32 per host fd: the pid a pidfd was opened for (its fdinfo says -1 once the emulator's
 * event loop has reaped the child, but waitid(P_PIDFD) still names that child). */
export const PIDFD_PIDS_OFFSET = SHM_ATTACH_OFFSET + SHM_ATTACHES * 16;
/** Per host fd: BigUint64 signal mask of a signalfd (0: not one), Float64 its inode (a closed
 * one's number may be reused by another file: signalfd.ts checks). */
export const SIGNALFD_MASKS_OFFSET = align(PIDFD_PIDS_OFFSET + MAX_HOST_FDS * 4, 8);
export const SIGNALFD_INOS_OFFSET = SIGNALFD_MASKS_OFFSET + MAX_HOST_FDS * 8;
/** One bit per guest page: set while the page may hold non-zero bytes (it was mapped since it was
 * last zeroed). Fresh memory reads as zeros, so mmap zeroes only pages with the bit set and a
 * reservation the guest never touches costs no host memory (mmap.ts). */
/** MAP_SHARED mappings backed by a host object (shared-map.ts): Int32 [first page, pages, host
 * fd, object offset in pages, kind, 0, 0, 0] each (pages 0: free). A forked child maps the same
 * objects at the same addresses. */
export const SHMAP_OFFSET = align(SIGNALFD_INOS_OFFSET + MAX_HOST_FDS * 8, 64);
export const SHMAPS = 1024;
export const SHMAP_WORDS = 8;
/** Int32 per thread slot: guest address + 1 of a host SIGBUS the native handler took for that
 * thread (a shared file shrank under its mapping), 0: none (shared-map.ts takeBusFault). */
export const BUS_FAULTS_OFFSET = SHMAP_OFFSET + SHMAPS * SHMAP_WORDS * 4;
export const TOUCHED_OFFSET = align(BUS_FAULTS_OFFSET + MAX_THREADS * 4, 4096);
/** One bit per guest page: the page maps a file privately (or, without the native addon, is
 * the copy of a read-only file's MAP_SHARED mapping): Linux's VMA has a file but no
 * VM_SHARED|VM_MAYWRITE, so MADV_REMOVE is EACCES there (syscall-mem.ts). Cleared by
 * GuestMM.setRange (every new mapping and every unmap). */
export const FILE_PAGES_OFFSET = TOUCHED_OFFSET + align(0x100000000 / TARGET_PAGE_SIZE / 8, 4096);
/** One bit per guest page: mapped with PROT_WRITE or PROT_EXEC but without PROT_READ. The page
 * is readable all the same (RISC-V has no write-only pages; the host's x86 none either), but
 * /proc/self/maps shows what was asked for, as Linux's VMA flags do. Cleared by setRange. */
export const NO_READ_OFFSET = FILE_PAGES_OFFSET + align(0x100000000 / TARGET_PAGE_SIZE / 8, 4096);
/** Guest memory above the low space (high-map.ts): HIGH_RUNS x Int32 [first page, pages, PageFlag
 * bits, backing low page or -1]; pages 0: a free entry. Rewritten under MM_LOCK with
 * KernelWord.HIGH_GEN odd while it changes (a seqlock: readers in other workers retry). */
/** One bit per guest page: locked (mlock, MAP_LOCKED; Linux's VM_LOCKED): msync(MS_INVALIDATE)
 * is EBUSY there. Cleared by setRange and munlock. */
export const LOCKED_OFFSET = NO_READ_OFFSET + align(0x100000000 / TARGET_PAGE_SIZE / 8, 4096);
export const HIGH_OFFSET = LOCKED_OFFSET + align(0x100000000 / TARGET_PAGE_SIZE / 8, 4096);
export const HIGH_RUNS = 4096;
export const KERNEL_END = HIGH_OFFSET + HIGH_RUNS * 16;
export const KERNEL_BYTES = KERNEL_END - KERNEL_OFFSET;

/** The guest space starts after the kernel area (16 MiB aligned): it moves when the CPU state
 * block grows (the block compiler keeps tables there). */
export const GUEST_BASE = align(KERNEL_END, 0x1000000);
export const TASK_SIZE = 0x100000000 - GUEST_BASE;
export const GUEST_PAGES = TASK_SIZE / TARGET_PAGE_SIZE;

/** Guest VA [HIGH_BASE, HIGH_END) holds "high" mappings: their pages live in free pages of the
 * low space (high-map.ts), PROT_NONE ones take none. HIGH_END: Sv39's user half (2^38). */
export const HIGH_BASE = 0x100000000;
export const HIGH_END = 2 ** 38;
/** A low page lent to a high page (its memory): no VALID bit, so the guest cannot reach it at
 * its low address and nothing else is placed there. */
export const PAGE_BACKING = 64 | 128; // PageFlag.LOST | PageFlag.EOF without VALID

export const ET_DYN_BASE = 0x40000000;
export const SIGTRAMP_PAGE = TASK_SIZE - TARGET_PAGE_SIZE;
export const STACK_TOP = SIGTRAMP_PAGE - 0x10000;
export const STACK_SIZE = 8 * 1024 * 1024;
export const MMAP_BASE = STACK_TOP - STACK_SIZE - 0x1000000;
/** Stacks of threads come from mmap (the guest's libc allocates them); nothing reserved here. */

/** SHARED: the page is the host's MAP_SHARED mapping of a file, memfd or SysV segment (the native
 * addon put it there). SHCOPY: MAP_SHARED memory that is a private copy (no host object). LOST:
 * in a forked child, SHCOPY memory that cannot be shared with the parent: every access faults
 * (SIGBUS, shared-map.ts). EOF: a shared file's page past the file's end now: an access is
 * SIGBUS unless the file grew again (private zeros underneath). */
export const enum PageFlag { READ = 1, WRITE = 2, EXEC = 4, VALID = 8, SHARED = 16, SHCOPY = 32, LOST = 64, EOF = 128 }
export const enum FdFlag { CLOEXEC = 1, USED = 2 }
/** UNKNOWN: not looked at yet (the host flag is the guest's, except at host fds 0-2). */
export const enum NbState { UNKNOWN = 0, BLOCKING = 1, NONBLOCK = 2 }

/** Process-wide words (index into the Int32Array at KWORDS_OFFSET). */
export const enum KernelWord {
  MM_LOCK = 0, FD_LOCK = 1, BRK_START = 2, BRK_CUR = 3, MMAP_HINT = 4,
  UMASK = 5, NEXT_TID = 6, THREAD_COUNT = 7, EXITING = 8, EXIT_STATUS = 9,
  SIG_LOCK = 10, PENDING_LO = 11, PENDING_HI = 12, SIG_SEQ = 13,
  /** What /proc/self describes (guest addresses below 4 GiB): the argv and environment strings
   * and the auxv table on the initial stack, the main program's span, comm (16 bytes). */
  ARG_START = 14, ARG_END = 15, ENV_START = 16, ENV_END = 17, AUXV_START = 18, AUXV_END = 19,
  EXE_LO = 20, EXE_HI = 21, COMM = 22, /* ..25 */
  /** The guest's RLIMIT_NOFILE soft limit (0: not set yet, MAX_FDS) and one past the highest
   * guest fd ever used (table scans stop there). */
  FD_LIMIT = 26, FD_HIGH = 27,
  /** Interval timers (signal-wait.ts): 3 x Float64 [deadline, interval] = words 28..39. */
  ITIMERS = 28,
  /** The last child state change (SIGCHLD's siginfo): pid, si_code, si_status. */
  CHLD_PID = 40, CHLD_CODE = 41, CHLD_STATUS = 42,
  /** Sequence number of the last queued real-time signal (FIFO order within one signal). */
  RTQ_SEQ = 43,
  /** The current directory as an open host directory (host fd + 1; 0: only the path string,
   * CWD_OFFSET): relative paths resolve through it, so a renamed, removed or very deep cwd
   * behaves as on Linux (syscall-path.ts). */
  CWD_FD = 44,
  /** How many signalfds were made (0: raising a signal need not look for any). */
  SIGNALFDS = 45,
  /** 1 once a guest execve replaced the forked image (pgid-request.ts: setpgid is EACCES then). */
  EXECED = 46,
  /** Workers running guest code now (thread-host.ts: several guest threads per worker). */
  ONCPU = 47,
  /** Futex wakes so far (syscall-thread.ts futexWoke: waits parked by such workers watch it). */
  FUTEX_GEN = 48,
  /** Spare workers waiting for threads (user-main.ts): a split costs no start-up. */
  SPARES = 49,
  /** Seqlock generation of the high-mapping table (HIGH_OFFSET): odd while it is rewritten. */
  HIGH_GEN = 50,
}

/** Per-thread words (index = slot * THREAD_WORDS + word). */
export const enum ThreadWord {
  TID = 0, STATE = 1, MASK_LO = 2, MASK_HI = 3, PENDING_LO = 4, PENDING_HI = 5,
  CLEAR_TID = 6, /* guest address below 4 GiB (clone/set_tid_address refuse one above) */
  WAKE = 7, ALTSTACK_SP = 8, ALTSTACK_SIZE = 9, ALTSTACK_FLAGS = 10,
  /** Blocking requests to the main thread: state (0 idle, 1 asked, 2 answered), results. */
  RPC_STATE = 11, RPC_R0 = 12, RPC_R1 = 13,
  /** Guest code changed under this thread's translations (GuestMM.noteCodeChange): the pages
   * [CODE_LO_INV ? 0x7fffffff - CODE_LO_INV : 0, CODE_HI) to invalidate; 0 = none pending. */
  CODE_LO_INV = 14, CODE_HI = 15,
}

export const enum ThreadState { FREE = 0, RUNNING = 1, EXITED = 2 }

export function align(n: number, a: number): number {
  return Math.ceil(n / a) * a;
}

export function stateOffsetOf(slot: number): number {
  return STATE_OFFSET + slot * CPU_STATE_SIZE;
}

if (GUEST_BASE > 0x10000000) throw new Error('linux-user: CPU state blocks leave too little guest space');
