// Linux (riscv, generic) signal numbers <-> gdb's remote-protocol numbers (gdb's signals.def, as
// QEMU's gdb_signal_table): a stop, an exit by a signal and a `C sig` resume carry gdb's.
/** gdb's number of Linux signals 1..31 (index = Linux number). */
const TO_GDB = [0, 1, 2, 3, 4, 5, 6, 10, 8, 9, 30, 11, 31, 13, 14, 15, 0, 20, 19, 17, 18, 21, 22, 16, 24, 25, 26, 27, 28, 23, 32, 12];

/** gdb's number of Linux signal `sig` (real-time 32..64 too); 0 (GDB_SIGNAL_0) for one it has not. */
export function targetSignalToGdb(sig: number): number {
  if (sig > 0 && sig < 32) return TO_GDB[sig];
  if (sig === 32) return 77; // GDB_SIGNAL_REALTIME_32
  if (sig >= 33 && sig <= 63) return 45 + (sig - 33); // GDB_SIGNAL_REALTIME_33..63
  if (sig === 64) return 78; // GDB_SIGNAL_REALTIME_64
  return 0;
}

/** The Linux signal of gdb's number `g`; 0 for none. */
export function gdbSignalToTarget(g: number): number {
  if (g <= 0) return 0;
  for (let s = 1; s <= 64; s++) if (targetSignalToGdb(s) === g) return s;
  return 0;
}
