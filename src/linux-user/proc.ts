// /proc as the guest must see it (QEMU's is_proc_myself and fake_open). The emulator is a host
// process whose /proc/self describes node: its command line, environment, descriptors and
// memory. For the guest's own process (/proc/self, /proc/thread-self, /proc/<pid>, and /dev/fd,
// /dev/std*), paths are rewritten or the file is made up:
//   exe, cwd              links to the guest program and the guest's current directory
//   fd/N, fdinfo/N        the host descriptor behind guest fd N (reopening it works)
//   fd/, fdinfo/          list the guest's descriptors (getdents64 asks isGuestFdDir)
//   cmdline, environ,     read from the guest's initial stack, as Linux reads them from the
//   auxv                  process's memory (the guest's environment, never the emulator's)
//   comm, maps, stat      built from the kernel area (maps has [stack] and [heap], which glibc's
//                         pthread_getattr_np needs for the main thread's stack bounds)
// Everything else under /proc is the host's.
import { Errno, SyscallError } from './errno.js';
import { normalizePath } from './fdtable.js';
import {
  GUEST_PAGES, KernelWord, PAGE_BACKING, PageFlag, STACK_SIZE, STACK_TOP, TARGET_PAGE_SIZE,
} from './layout.js';
import type { TaskState } from './qemu.js';
import { getComm } from './proc-comm.js';
import { highRuns } from './high-map.js';

/** What a guest path under /proc or /dev names: a host path (`link`: readlink gives `target`),
 * or a file whose contents are made up when it is opened. */
export type ProcNode =
  | { kind: 'host'; path: string }
  | { kind: 'link'; path: string; target: string; lpath: string }
  | { kind: 'file'; path: string; data: (ts: TaskState) => Uint8Array };

const FILES: Record<string, (ts: TaskState) => Uint8Array> = {
  cmdline: (ts) => stackBytes(ts, KernelWord.ARG_START, KernelWord.ARG_END),
  environ: (ts) => stackBytes(ts, KernelWord.ENV_START, KernelWord.ENV_END),
  auxv: (ts) => stackBytes(ts, KernelWord.AUXV_START, KernelWord.AUXV_END),
  comm: (ts) => new TextEncoder().encode(new TextDecoder().decode(getComm(ts.mm)) + '\n'),
  maps: (ts) => new TextEncoder().encode(procMaps(ts)),
  stat: (ts) => new TextEncoder().encode(procStat(ts)),
};

/** Resolve a guest path that may name the guest's own /proc entries; null: not one of them. */
export function procNode(ts: TaskState, guestAbs: string): ProcNode | null {
  if (!guestAbs.startsWith('/proc/') && !guestAbs.startsWith('/dev/')) return null;
  let p = normalizePath(guestAbs);
  const std = /^\/dev\/(stdin|stdout|stderr)(\/.*)?$/.exec(p);
  if (std) p = `/proc/self/fd/${['stdin', 'stdout', 'stderr'].indexOf(std[1])}${std[2] ?? ''}`;
  else if (p === '/dev/fd' || p.startsWith('/dev/fd/')) p = '/proc/self' + p.slice(4);
  const m = /^\/proc\/(self|thread-self|\d+)(?:\/task\/\d+)?(?:\/(.*))?$/.exec(p);
  if (!m) return null;
  if (m[1] !== 'self' && m[1] !== 'thread-self' && Number(m[1]) !== ts.proc.pid) return null;
  const rest = m[2] ?? '';
  const host = `/proc/self${rest ? '/' + rest : ''}`;
  if (rest === 'exe') return { kind: 'link', path: ts.sysrootPath(ts.exe), target: ts.exe, lpath: host };
  if (rest === 'cwd') return { kind: 'link', path: ts.cwdHost(), target: ts.fdt.cwd, lpath: host };
  const fd = /^(fd|fdinfo)\/(\d+)(\/.*)?$/.exec(rest);
  if (fd) {
    const g = Number(fd[2]);
    if (!ts.fdt.isOpen(g)) throw new SyscallError(Errno.ENOENT);
    return { kind: 'host', path: `/proc/self/${fd[1]}/${ts.fdt.host(g)}${fd[3] ?? ''}` };
  }
  const make = FILES[rest];
  if (make) return { kind: 'file', path: host, data: make };
  return { kind: 'host', path: host };
}

/** Is host fd `h` the host's /proc/<us>/fd or fdinfo directory (opened through procNode)? Its
 * listing must be the guest's descriptors. */
export function guestFdDir(ts: TaskState, h: number): 'fd' | 'fdinfo' | null {
  let target: string;
  try { target = ts.fs.readlink(`/proc/self/fd/${h}`); } catch { return null; }
  const m = /^\/proc\/(\d+)\/(fd|fdinfo)$/.exec(target);
  return m && Number(m[1]) === ts.proc.pid ? m[2] as 'fd' | 'fdinfo' : null;
}

/** The open guest descriptors, in order. */
export function guestFds(ts: TaskState): number[] {
  const out: number[] = [];
  for (let g = 0, n = ts.fdt.high(); g < n; g++) if (ts.fdt.isOpen(g)) out.push(g);
  return out;
}

/** A host descriptor holding `data`, at offset 0 (a memfd with the addon, else an unnamed file). */
export function memFile(ts: TaskState, data: Uint8Array): number {
  let h: number;
  if (ts.sys) {
    h = ts.sys.memfdCreate('tsqemu-proc', 1 /* MFD_CLOEXEC */);
    if (h < 0) throw new SyscallError(-h);
  } else {
    const O_RDWR = 2, O_TMPFILE = 0o20200000;
    h = ts.fs.open('/tmp', O_RDWR | O_TMPFILE, 0o600);
  }
  for (let off = 0; off < data.length;) off += ts.fs.write(h, data.subarray(off), off);
  return h;
}

function stackBytes(ts: TaskState, lo: KernelWord, hi: KernelWord): Uint8Array {
  const a = ts.mm.kw[lo] >>> 0, b = ts.mm.kw[hi] >>> 0;
  if (!(b > a) || !ts.mm.accessOk(a, b - a, PageFlag.READ)) return new Uint8Array(0);
  return ts.mm.read(a, b - a);
}

const hex = (n: number) => n.toString(16);

/** One line per run of pages with the same protection (QEMU's format: unpadded addresses, the
 * name in column 74). */
function procMaps(ts: TaskState): string {
  const mm = ts.mm;
  const kw = mm.kw;
  const exeLo = kw[KernelWord.EXE_LO] >>> 0, exeHi = kw[KernelWord.EXE_HI] >>> 0;
  const brkLo = kw[KernelWord.BRK_START] >>> 0, brkHi = kw[KernelWord.BRK_CUR] >>> 0;
  const stackLo = STACK_TOP - STACK_SIZE;
  let exeId = '00:00 0';
  try {
    const st = ts.fs.stat(ts.sysrootPath(ts.exe));
    exeId = `${hex(Number((st.dev >> 8n) & 0xfffn)).padStart(2, '0')}:${hex(Number(st.dev & 0xffn)).padStart(2, '0')} ${st.ino}`;
  } catch { /* gone */ }
  // Page numbers where a named region starts or ends: runs are split there.
  const cuts = new Set([exeLo, exeHi, brkLo, brkHi, stackLo, STACK_TOP].map((a) => a / TARGET_PAGE_SIZE));
  const nameOf = (a: number): [string, string, number] => {
    if (a >= exeLo && a < exeHi) return [ts.exe, exeId, a - exeLo];
    if (a >= brkLo && a < brkHi && brkHi > brkLo) return ['[heap]', '00:00 0', 0];
    if (a >= stackLo && a < STACK_TOP) return ['[stack]', '00:00 0', 0];
    return ['', '00:00 0', 0];
  };
  const lines: string[] = [];
  const pages = mm.pages;
  for (let p = 0; p < GUEST_PAGES;) {
    if (pages[p] === 0 || pages[p] === PAGE_BACKING) { p++; continue; } // PAGE_BACKING: high memory's
    // EOF (a file's pages past its end) is no different mapping: one line, as Linux's VMA.
    const f = pages[p] & ~PageFlag.EOF;
    let q = p + 1;
    const noRead = mm.isNoRead(p);
    while (q < GUEST_PAGES && (pages[q] & ~PageFlag.EOF) === f && pages[q] !== PAGE_BACKING && !cuts.has(q) && mm.isNoRead(q) === noRead) q++;
    const start = p * TARGET_PAGE_SIZE, end = q * TARGET_PAGE_SIZE;
    // What the mapping asked for: PROT_WRITE alone shows -w- (the page is readable all the same).
    const perms = (f & PageFlag.READ && !noRead ? 'r' : '-') + (f & PageFlag.WRITE ? 'w' : '-') +
      (f & PageFlag.EXEC ? 'x' : '-') + (f & (PageFlag.SHARED | PageFlag.SHCOPY) ? 's' : 'p');
    const [name, id, off] = nameOf(start);
    const head = `${hex(start)}-${hex(end)} ${perms} ${hex(off).padStart(8, '0')} ${id}`;
    lines.push(name ? head + ' '.repeat(Math.max(1, 73 - head.length)) + name : head);
    p = q;
  }
  // High memory: one line per run of pages with the same protection (as Linux merges VMAs).
  const runs = highRuns(mm);
  for (let i = 0; i < runs.length;) {
    const f = runs[i].flags, start = runs[i].first;
    let end = start + runs[i].pages;
    for (i++; i < runs.length && runs[i].first === end && runs[i].flags === f; i++) end += runs[i].pages;
    const perms = (f & PageFlag.READ ? 'r' : '-') + (f & PageFlag.WRITE ? 'w' : '-') + (f & PageFlag.EXEC ? 'x' : '-') + 'p';
    lines.push(`${hex(start * TARGET_PAGE_SIZE)}-${hex(end * TARGET_PAGE_SIZE)} ${perms} 00000000 00:00 0`);
  }
  return lines.map((l) => l + '\n').join('');
}

/** The host's own stat line with the fields that describe the guest replaced. */
function procStat(ts: TaskState): string {
  let host = '';
  try {
    const h = ts.fs.open('/proc/self/stat', 0, 0);
    try {
      const b = new Uint8Array(4096);
      host = new TextDecoder().decode(b.subarray(0, ts.fs.read(h, b, null)));
    } finally { ts.fs.close(h); }
  } catch { /* no host /proc */ }
  const close = host.lastIndexOf(')');
  const f = close > 0 ? host.slice(close + 2).trim().split(' ') : [];
  while (f.length < 50) f.push('0');
  // f[i] is field i + 3 of proc(5).
  const kw = ts.mm.kw;
  let mapped = 0, resident = 0;
  for (let p = 0; p < GUEST_PAGES; p++) {
    const fl = ts.mm.pages[p];
    if (fl && fl !== PAGE_BACKING) { mapped++; if (fl & PageFlag.READ) resident++; }
  }
  for (const r of highRuns(ts.mm)) { mapped += r.pages; if (r.flags & PageFlag.READ) resident += r.pages; }
  const set = (field: number, v: number | string) => { f[field - 3] = String(v); };
  set(3, 'R');
  set(20, Math.max(1, kw[KernelWord.THREAD_COUNT]));
  set(23, mapped * TARGET_PAGE_SIZE);
  set(24, resident);
  set(26, kw[KernelWord.EXE_LO] >>> 0);
  set(27, kw[KernelWord.EXE_HI] >>> 0);
  set(28, kw[KernelWord.ARG_START] >>> 0);
  set(29, 0); set(30, 0);
  set(45, kw[KernelWord.EXE_HI] >>> 0); set(46, kw[KernelWord.BRK_CUR] >>> 0); set(47, kw[KernelWord.BRK_START] >>> 0);
  set(48, kw[KernelWord.ARG_START] >>> 0); set(49, kw[KernelWord.ARG_END] >>> 0);
  set(50, kw[KernelWord.ENV_START] >>> 0); set(51, kw[KernelWord.ENV_END] >>> 0);
  const comm = new TextDecoder().decode(getComm(ts.mm));
  return `${ts.proc.pid} (${comm}) ${f.join(' ')}\n`;
}
