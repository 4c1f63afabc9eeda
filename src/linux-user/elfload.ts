// ELF loader for riscv64 Linux programs: static, static-pie and dynamic (PT_INTERP), and the
// initial stack Linux builds (argc, argv, envp, auxv, strings, AT_RANDOM bytes), following
// fs/binfmt_elf.c's create_elf_tables order.
import { GuestMM, pageAlignDown, pageAlignUp, protToFlags } from './mmap.js';
import { ET_DYN_BASE, KernelWord, PageFlag, STACK_SIZE, STACK_TOP, TARGET_PAGE_SIZE } from './layout.js';
import { Errno, SyscallError } from './errno.js';
import { setComm } from './proc-comm.js';
import { riscvHwcap } from './syscall-hwprobe.js';

export const EM_RISCV = 243;
const ET_EXEC = 2, ET_DYN = 3;
const PT_LOAD = 1, PT_INTERP = 3, PT_PHDR = 6;
const PF_X = 1, PF_W = 2, PF_R = 4;

export const enum AT {
  NULL = 0, PHDR = 3, PHENT = 4, PHNUM = 5, PAGESZ = 6, BASE = 7, FLAGS = 8, ENTRY = 9,
  UID = 11, EUID = 12, GID = 13, EGID = 14, PLATFORM = 15, HWCAP = 16, CLKTCK = 17,
  SECURE = 23, RANDOM = 25, HWCAP2 = 26, EXECFN = 31, MINSIGSTKSZ = 51,
}

/** rv64imafdc: one bit per single-letter extension ('a' = bit 0), as Linux reports AT_HWCAP. */
export const RISCV_HWCAP = ['i', 'm', 'a', 'f', 'd', 'c'].reduce((m, c) => m | (1 << (c.charCodeAt(0) - 97)), 0);

export interface ProgramHeader { type: number; flags: number; offset: number; vaddr: number; filesz: number; memsz: number }

export interface ElfHeader {
  type: number;
  entry: number;
  phoff: number;
  phentsize: number;
  phnum: number;
  phdrs: ProgramHeader[];
  interp?: string;
}

function enoexec(): never {
  throw new SyscallError(Errno.ENOEXEC);
}

export function isRiscv64Elf(b: Uint8Array): boolean {
  return b.length >= 64 && b[0] === 0x7f && b[1] === 0x45 && b[2] === 0x4c && b[3] === 0x46 &&
    b[4] === 2 && b[5] === 1 && (b[18] | (b[19] << 8)) === EM_RISCV;
}

/** A program file the host reads in pieces: its first bytes, its size and a reader of the rest.
 * The loader reads each segment straight into guest memory instead of from a copy of the whole
 * file (BusyBox is 1.7 MB: ~425 page faults of a fresh buffer, ~12 us each on a VM, and a copy;
 * start-up round 6). */
export interface ElfFile { head: Uint8Array; size: number; readAt(dst: Uint8Array, off: number): void }
/** A whole file's bytes, or an ElfFile. */
export type ElfSource = Uint8Array | ElfFile;

function sourceSize(s: ElfSource): number { return s instanceof Uint8Array ? s.length : s.size; }

/** Bytes [off, off+len) of the file (ENOEXEC past its end). */
function bytesAt(s: ElfSource, off: number, len: number): Uint8Array {
  if (off + len > sourceSize(s)) enoexec();
  const b = s instanceof Uint8Array ? s : s.head;
  if (off + len <= b.length) return b.subarray(off, off + len);
  const out = new Uint8Array(len);
  (s as ElfFile).readAt(out, off);
  return out;
}

/** Parse and validate the headers; ENOEXEC for anything that is not a riscv64 ELF we can load. */
export function parseElf(src: ElfSource): ElfHeader {
  const b = src instanceof Uint8Array ? src : src.head;
  const size = sourceSize(src);
  if (!isRiscv64Elf(b)) enoexec();
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const type = dv.getUint16(16, true);
  if (type !== ET_EXEC && type !== ET_DYN) enoexec();
  const entry = Number(dv.getBigUint64(24, true));
  const phoff = Number(dv.getBigUint64(32, true));
  const phentsize = dv.getUint16(54, true);
  const phnum = dv.getUint16(56, true);
  if (phentsize !== 56 || phnum === 0 || phnum > 128 || phoff + phnum * 56 > size) enoexec();
  const table = bytesAt(src, phoff, phnum * 56);
  const tv = new DataView(table.buffer, table.byteOffset, table.byteLength);
  const phdrs: ProgramHeader[] = [];
  let interp: string | undefined;
  for (let i = 0; i < phnum; i++) {
    const o = i * 56;
    const ph: ProgramHeader = {
      type: tv.getUint32(o, true), flags: tv.getUint32(o + 4, true), offset: Number(tv.getBigUint64(o + 8, true)),
      vaddr: Number(tv.getBigUint64(o + 16, true)), filesz: Number(tv.getBigUint64(o + 32, true)),
      memsz: Number(tv.getBigUint64(o + 40, true)),
    };
    if (ph.type === PT_LOAD && (ph.filesz > ph.memsz || ph.offset + ph.filesz > size)) enoexec();
    if (ph.type === PT_INTERP) {
      if (ph.offset + ph.filesz > size || ph.filesz < 2 || ph.filesz > 4096) enoexec();
      interp = new TextDecoder().decode(bytesAt(src, ph.offset, ph.filesz - 1));
    }
    phdrs.push(ph);
  }
  return { type, entry, phoff, phentsize, phnum, phdrs, interp };
}

export interface LoadedImage {
  bias: number;
  entry: number;
  /** Guest address of the program headers (AT_PHDR). */
  phdr: number;
  /** End of the highest segment (brk starts here, page aligned, for the main program). */
  end: number;
}

function segmentFlags(pf: number): number {
  return (pf & PF_R ? 1 : 0) | (pf & PF_W ? 2 : 0) | (pf & PF_X ? 4 : 0);
}

/** Map every PT_LOAD of `b` into the guest: at its link address for ET_EXEC, at `dynBase` (or a
 * free range of the mmap area when dynBase is undefined) for ET_DYN. */
export function loadElfImage(mm: GuestMM, b: ElfSource, h: ElfHeader, dynBase?: number): LoadedImage {
  const loads = h.phdrs.filter((p) => p.type === PT_LOAD);
  if (loads.length === 0) enoexec();
  const lo = pageAlignDown(Math.min(...loads.map((p) => p.vaddr)));
  const hi = pageAlignUp(Math.max(...loads.map((p) => p.vaddr + p.memsz)));
  let bias = 0;
  if (h.type === ET_DYN) {
    const base = dynBase ?? mm.findFree(hi - lo);
    if (base < 0) throw new SyscallError(Errno.ENOMEM);
    bias = base - lo;
  }
  if (!mm.rangeFree(lo + bias, hi - lo)) throw new SyscallError(Errno.ENOMEM);
  // Reserve the whole span first (zeroed), then give each segment its bytes and protection.
  mm.setRange(lo + bias, hi - lo, PageFlag.VALID, true);
  for (const p of loads) {
    const start = pageAlignDown(p.vaddr + bias);
    const end = pageAlignUp(p.vaddr + bias + p.memsz);
    const flags = protToFlags(segmentFlags(p.flags));
    for (let a = start; a < end; a += TARGET_PAGE_SIZE) {
      mm.pages[a / TARGET_PAGE_SIZE] |= flags;
    }
    const at = mm.g2h(p.vaddr + bias);
    if (b instanceof Uint8Array) mm.bytes.set(b.subarray(p.offset, p.offset + p.filesz), at);
    else if (p.filesz > 0) b.readAt(mm.bytes.subarray(at, at + p.filesz), p.offset);
    // The pages holding file bytes map the file privately on Linux (MADV_REMOVE: EACCES).
    if (p.filesz > 0) mm.markFilePages(start / TARGET_PAGE_SIZE, pageAlignUp(p.vaddr + bias + p.filesz) / TARGET_PAGE_SIZE);
  }
  let phdr = 0;
  const phdrSeg = h.phdrs.find((p) => p.type === PT_PHDR);
  if (phdrSeg) phdr = phdrSeg.vaddr + bias;
  else {
    const seg = loads.find((p) => p.offset <= h.phoff && h.phoff < p.offset + p.filesz);
    if (seg) phdr = seg.vaddr - seg.offset + h.phoff + bias;
  }
  return { bias, entry: h.entry + bias, phdr, end: hi + bias };
}

export interface ExecImage {
  entry: number;
  sp: number;
  brk: number;
  /** For /proc/self/exe and AT_EXECFN. */
  execfn: string;
}

export interface ExecArgs {
  /** The program's bytes and, for dynamic programs, a way to read the interpreter. */
  program: ElfSource;
  readInterp: (path: string) => ElfSource;
  argv: string[];
  envp: string[];
  execfn: string;
  ids: { uid: number; euid: number; gid: number; egid: number };
  random: Uint8Array;
}

/** Load a program (and its interpreter) into an empty guest space and build its stack. */
export function loadExec(mm: GuestMM, a: ExecArgs): ExecImage {
  const h = parseElf(a.program);
  const main = loadElfImage(mm, a.program, h, h.type === ET_DYN ? ET_DYN_BASE : undefined);
  let entry = main.entry;
  let interpBase = 0;
  if (h.interp !== undefined) {
    const ib = a.readInterp(h.interp);
    const ih = parseElf(ib);
    if (ih.interp !== undefined) enoexec();
    const interp = loadElfImage(mm, ib, ih);
    interpBase = interp.bias + pageAlignDown(Math.min(...ih.phdrs.filter((p) => p.type === PT_LOAD).map((p) => p.vaddr)));
    entry = interp.entry;
  }
  const brk = pageAlignUp(main.end);
  mm.kw[KernelWord.BRK_START] = brk;
  mm.kw[KernelWord.BRK_CUR] = brk;
  mm.setRange(STACK_TOP - STACK_SIZE, STACK_SIZE, protToFlags(3), true);
  const auxv: Array<[number, number]> = [
    [AT.HWCAP, riscvHwcap()], [AT.PAGESZ, TARGET_PAGE_SIZE], [AT.CLKTCK, 100],
    [AT.PHDR, main.phdr], [AT.PHENT, 56], [AT.PHNUM, h.phnum], [AT.BASE, interpBase], [AT.FLAGS, 0],
    [AT.ENTRY, main.entry], [AT.UID, a.ids.uid], [AT.EUID, a.ids.euid], [AT.GID, a.ids.gid],
    [AT.EGID, a.ids.egid], [AT.SECURE, 0],
  ];
  const sp = buildStack(mm, STACK_TOP, a.argv, a.envp, a.execfn, auxv, a.random);
  mm.kw[KernelWord.EXE_LO] = pageAlignDown(Math.min(...h.phdrs.filter((p) => p.type === PT_LOAD).map((p) => p.vaddr)) + main.bias);
  mm.kw[KernelWord.EXE_HI] = pageAlignUp(main.end);
  setComm(mm, a.execfn.slice(a.execfn.lastIndexOf('/') + 1));
  return { entry, sp, brk, execfn: a.execfn };
}

/** Write strings and tables below `top`; returns the initial sp (pointing at argc). Order as
 * Linux: execfn string highest, then envp strings, argv strings, AT_RANDOM bytes, then the
 * 16-byte aligned table argc, argv[], NULL, envp[], NULL, auxv pairs, AT_NULL. */
export function buildStack(mm: GuestMM, top: number, argv: string[], envp: string[], execfn: string,
  auxv: Array<[number, number]>, random: Uint8Array): number {
  const enc = new TextEncoder();
  let p = top - 8; // Linux leaves a NULL pointer's worth at the very top
  const push = (s: string): number => {
    const b = enc.encode(s);
    p -= b.length + 1;
    mm.write(p, b);
    mm.bytes[mm.g2h(p + b.length)] = 0;
    return p;
  };
  const execfnAddr = push(execfn);
  // Linux copies each list last string first, so element 0 ends up lowest.
  const pushAll = (list: string[]) => list.slice().reverse().map(push).reverse();
  const envAddrs = pushAll(envp);
  const argAddrs = pushAll(argv);
  p -= p % 16;
  p -= 16;
  mm.write(p, random.subarray(0, 16));
  const randomAddr = p;
  const fullAux: Array<[number, number]> = [...auxv, [AT.RANDOM, randomAddr], [AT.EXECFN, execfnAddr], [AT.NULL, 0]];
  const words = 1 + argAddrs.length + 1 + envAddrs.length + 1 + fullAux.length * 2;
  p -= words * 8;
  p -= p % 16;
  const sp = p;
  const put = (v: number) => { mm.setU64(p, v); p += 8; };
  put(argv.length);
  argAddrs.forEach(put);
  put(0);
  envAddrs.forEach(put);
  put(0);
  const auxvAt = p;
  for (const [k, v] of fullAux) { put(k); put(v); }
  const kw = mm.kw;
  kw[KernelWord.ARG_START] = argAddrs.length ? argAddrs[0] : envAddrs.length ? envAddrs[0] : execfnAddr;
  kw[KernelWord.ARG_END] = envAddrs.length ? envAddrs[0] : execfnAddr;
  kw[KernelWord.ENV_START] = kw[KernelWord.ARG_END];
  kw[KernelWord.ENV_END] = execfnAddr;
  kw[KernelWord.AUXV_START] = auxvAt;
  kw[KernelWord.AUXV_END] = p;
  return sp;
}
