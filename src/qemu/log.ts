// -d ITEMS and -D FILE: QEMU's log mask and log file. The core calls qemuLogMask(); where the
// text goes (stderr or a file) is set by the binary through setLogSink().

export const enum LogMask {
  CPU_LOG_TB_OUT_ASM = 1 << 0,
  CPU_LOG_TB_IN_ASM = 1 << 1,
  CPU_LOG_TB_OP = 1 << 2,
  CPU_LOG_INT = 1 << 4,
  CPU_LOG_EXEC = 1 << 5,
  CPU_LOG_PCALL = 1 << 6,
  CPU_LOG_TB_CPU = 1 << 8,
  CPU_LOG_RESET = 1 << 9,
  LOG_UNIMP = 1 << 10,
  LOG_GUEST_ERROR = 1 << 11,
  CPU_LOG_MMU = 1 << 12,
  CPU_LOG_TB_NOCHAIN = 1 << 13,
  LOG_STRACE = 1 << 19,
}

/** The -d item names QEMU accepts, with their masks and help text. */
export const LOG_ITEMS: ReadonlyArray<[string, number, string]> = [
  ['out_asm', LogMask.CPU_LOG_TB_OUT_ASM, 'show generated host assembly code for each compiled TB'],
  ['in_asm', LogMask.CPU_LOG_TB_IN_ASM, 'show target assembly code for each compiled TB'],
  ['op', LogMask.CPU_LOG_TB_OP, 'show micro ops for each compiled TB'],
  ['int', LogMask.CPU_LOG_INT, 'show interrupts/exceptions in short format'],
  ['exec', LogMask.CPU_LOG_EXEC, 'show trace before each executed TB (lots of logs)'],
  ['cpu', LogMask.CPU_LOG_TB_CPU, 'show CPU registers before entering a TB (lots of logs)'],
  ['mmu', LogMask.CPU_LOG_MMU, 'log MMU-related activities'],
  ['pcall', LogMask.CPU_LOG_PCALL, 'x86 only: show protected mode far calls/returns/exceptions'],
  ['cpu_reset', LogMask.CPU_LOG_RESET, 'show CPU state before CPU resets'],
  ['unimp', LogMask.LOG_UNIMP, 'log unimplemented functionality'],
  ['guest_errors', LogMask.LOG_GUEST_ERROR, 'log when the guest OS does something invalid (eg accessing a\nnon-existent register)'],
  ['nochain', LogMask.CPU_LOG_TB_NOCHAIN, 'do not chain compiled TBs so that "exec" and "cpu" show\ncomplete traces'],
  ['strace', LogMask.LOG_STRACE, 'log every user-mode syscall, its input, and its result'],
];

let mask = 0;
// Default: the console (the core must not touch node:* or process; binaries install a real sink).
let sink: (text: string) => void = (t) => console.error(t.replace(/\n$/, ''));

export function qemuLogEnabled(m: number): boolean {
  return (mask & m) !== 0;
}

export function setLogMask(m: number): void {
  mask = m;
}

export function getLogMask(): number {
  return mask;
}

export function setLogSink(fn: (text: string) => void): void {
  sink = fn;
}

/** qemu_log: unconditional write to the log. */
export function qemuLog(text: string): void {
  sink(text);
}

/** qemu_log_mask: write when any bit of `m` is enabled. Text should end with '\n'. */
export function qemuLogMask(m: number, text: string): void {
  if (mask & m) sink(text);
}

/** Parse "-d a,b,c" into a mask; throws with QEMU's message for an unknown item. */
export function parseLogItems(items: string): number {
  let m = 0;
  for (const name of items.split(',')) {
    if (name === '') continue;
    const item = LOG_ITEMS.find(([n]) => n === name);
    if (!item) throw new Error(`Log items (comma separated):\n${LOG_ITEMS.map(([n, , h]) => `${n.padEnd(10)} ${h}`).join('\n')}`);
    m |= item[1];
  }
  return m;
}
