// The process name (Linux's task comm): the program's file name at exec, PR_SET_NAME after,
// kept in kernel words so every thread and /proc/self/comm see one value.
import { KernelWord } from './layout.js';
import type { GuestMM } from './mmap.js';

export const COMM_LEN = 16;

function commBytes(mm: GuestMM): Uint8Array {
  return new Uint8Array(mm.kw.buffer, mm.kw.byteOffset + KernelWord.COMM * 4, COMM_LEN);
}

/** Set the name (truncated to 15 bytes, as Linux does). */
export function setComm(mm: GuestMM, name: string | Uint8Array): void {
  const b = typeof name === 'string' ? new TextEncoder().encode(name) : name;
  const n = b.indexOf(0);
  const out = commBytes(mm);
  out.fill(0);
  out.set(b.subarray(0, Math.min(n < 0 ? b.length : n, COMM_LEN - 1)));
}

/** The name's bytes without the NUL. */
export function getComm(mm: GuestMM): Uint8Array {
  const b = commBytes(mm);
  const n = b.indexOf(0);
  return b.slice(0, n < 0 ? COMM_LEN : n);
}
