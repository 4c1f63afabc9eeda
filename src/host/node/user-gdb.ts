// tsqemu-riscv64 -g PORT|PATH (QEMU_GDB): the GDB stub of the system emulator (gdbstub/gdbstub.ts)
// on the main thread, for the process's first thread. The program does not start until gdb
// attaches and continues or steps (as QEMU's gdbserver_start waits); registers and memory are
// read from the shared state while the thread sleeps at a stop (linux-user/gdb-user.ts); the
// process's end is reported with W (exit code) or X (signal). Forked children are not debugged.
import { parseCompatSocket } from '../../chardev/char-opts.js';
import { openSocketChardev } from './char-socket.js';
import { mainFdMonitor } from './fdmon.js';
import { GdbStub } from '../../gdbstub/gdbstub.js';
import { gdbSignalToTarget, targetSignalToGdb } from '../../gdbstub/signals.js';
import { riscvReadReg, riscvTargetXml, riscvWriteReg, G_REGS } from '../../gdbstub/riscv.js';
import type { CPURISCVState } from '../../target/riscv/cpu-state.js';
import type { GuestMM } from '../../linux-user/mmap.js';
import { GDB_CTL_WORDS, GdbCtl, gdbUserResume } from '../../linux-user/gdb-user.js';
import { highPieces } from '../../linux-user/high-map.js';
import { GUEST_BASE, HIGH_BASE, KernelWord, HIGH_END, PageFlag, TARGET_PAGE_BITS, TARGET_PAGE_SIZE, TASK_SIZE } from '../../linux-user/layout.js';

export interface UserGdbHost {
  memory: WebAssembly.Memory;
  mm: GuestMM;
  /** The debugged thread's state (slot 0). */
  env: CPURISCVState;
  /** Start the first thread (the first resume). */
  start(): void;
  /** Make the running thread leave run() soon (exit_request). */
  poke(): void;
  kill(): void;
}

export class UserGdb {
  readonly ctl = new Int32Array(new SharedArrayBuffer(GDB_CTL_WORDS * 4));
  private stub!: GdbStub;
  private started = false;
  private running = false;

  private constructor(private readonly h: UserGdbHost) {}

  /** Listen on `dev` (a TCP port number, or a unix socket path). */
  static async listen(dev: string, h: UserGdbHost): Promise<UserGdb> {
    const g = new UserGdb(h);
    const spec = parseCompatSocket(/^[0-9]+$/.test(dev) ? `tcp::${dev}` : `unix:${dev}`, 'gdb');
    if (!spec) throw new Error(`invalid gdb device '${dev}'`);
    const chr = await openSocketChardev({ ...spec, server: true, wait: false, nodelay: true }, mainFdMonitor());
    g.stub = new GdbStub(chr, {
      nharts: 1, targetXml: riscvTargetXml(h.env), gRegs: G_REGS, noWatchpoints: true, asyncStop: true, created: true,
      readReg: (_h, n) => riscvReadReg(h.env, n),
      writeReg: (_h, n, d) => riscvWriteReg(h.env, n, d),
      readMem: (_h, a, l) => g.readMem(a, l),
      writeMem: (_h, a, d) => g.writeMem(a, d),
      running: () => g.running,
      halted: () => false,
      stop: () => g.stop(),
      resume: (sig) => g.resume(gdbSignalToTarget(sig ?? 0)),
      hmp: async () => '',
      auxv: () => g.auxv(),
      kill: () => h.kill(),
    });
    return g;
  }

  /** The thread stopped (a breakpoint, a step, Ctrl-C). */
  onStop(sig: number): void {
    this.running = false;
    this.stub.reportStop(0, targetSignalToGdb(sig));
  }

  /** The process ends: tell gdb before it goes. */
  onExit(status: number, signal: number): void {
    this.stub.reportExit(status, signal ? targetSignalToGdb(signal) || signal : 0);
  }

  private stop(): void {
    if (!this.running) return;
    Atomics.store(this.ctl, GdbCtl.STOP_REQ, 1);
    this.h.poke();
  }

  private resume(sig = 0): void {
    const d = this.stub.debug;
    const step = d.stepHart >= 0;
    d.stepHart = -1;
    this.running = true;
    gdbUserResume(this.ctl, d.breakpoints, step, sig);
    if (!this.started) { this.started = true; this.h.start(); }
  }

  /** Guest memory where the process has a mapping (gdb reads unmapped pages as errors). */
  private span(addr: bigint, len: number): number | null {
    if (len === 0) return 0;
    if (addr >= BigInt(HIGH_BASE) && addr + BigInt(len) <= BigInt(HIGH_END)) {
      // High memory (high-map.ts): where its pages live, when that is one host range.
      const pieces = highPieces(this.h.mm, Number(addr), len, PageFlag.VALID);
      return pieces && pieces.length === 1 ? pieces[0][0] : null;
    }
    if (addr < 0n || addr + BigInt(len) > BigInt(TASK_SIZE)) return null;
    const a = Number(addr);
    for (let p = a >>> TARGET_PAGE_BITS; p <= (a + len - 1) >>> TARGET_PAGE_BITS; p++) {
      if (!(this.h.mm.pageFlags(p * TARGET_PAGE_SIZE) & PageFlag.VALID)) return null;
    }
    return GUEST_BASE + a;
  }

  /** The auxv table on the initial stack (KernelWord.AUXV_START .. AUXV_END, as /proc/self/auxv). */
  private auxv(): Uint8Array {
    const kw = this.h.mm.kw;
    const a = kw[KernelWord.AUXV_START] >>> 0, b = kw[KernelWord.AUXV_END] >>> 0;
    return (b > a ? this.readMem(BigInt(a), b - a) : null) ?? new Uint8Array(0);
  }

  private readMem(addr: bigint, len: number): Uint8Array | null {
    const off = this.span(addr, len);
    return off === null ? null : new Uint8Array(this.h.memory.buffer, off, len).slice();
  }

  private writeMem(addr: bigint, data: Uint8Array): boolean {
    const off = this.span(addr, data.length);
    if (off === null) return false;
    new Uint8Array(this.h.memory.buffer).set(data, off);
    // Code gdb patched: the thread drops what it translated from those pages.
    this.h.mm.noteCodeChange(Number(addr), data.length, -1);
    return true;
  }
}
