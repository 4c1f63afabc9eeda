// The V state in a signal frame, laid out as Linux 6.5+ (arch/riscv/kernel/signal.c): the
// sigcontext's extension headers start in the reserved tail of its FP area (sc_extdesc.hdr, at
// byte 520 of it); with V live the first is RISCV_V_MAGIC, then struct __sc_riscv_v_state
// (vstart, vl, vtype, vcsr, vlenb, datap) and the 32 registers at datap (just after it), then an
// END header. rt_sigreturn walks the headers back: a wrong size or magic, a nonzero reserved
// word, or a bad datap is a SIGSEGV, as Linux's restore_sigcontext refuses them.
import type { CPURISCVState } from '../target/riscv/cpu-state.js';
import { STATE } from '../target/riscv/cpu-state.js';
import { vecEnabled, vlenOf } from '../target/riscv/vector_helper.js';
import type { GuestMM } from './mmap.js';

export const RISCV_V_MAGIC = 0x53465457;
const END_MAGIC = 0, END_HDR_SIZE = 0;
/** Offsets inside the sigcontext: the FP area (after the 32 x registers), its reserved word and
 * the first extension header (sc_extdesc: __padding[129], reserved, hdr). */
const SC_FP = 256, SC_RESERVED = SC_FP + 516, SC_HDR = SC_FP + 520;
const HDR = 8, V_STATE = 48;
const MSTATUS_VS = 0x600;
const VILL = 1n << 63n;

/** V is live for the thread (Linux's riscv_v_vstate_query: the hart has V, mstatus.VS on). */
function vLive(env: CPURISCVState): boolean {
  return vecEnabled() && (env.get32('mstatus') & MSTATUS_VS) !== 0;
}

/** riscv_v_sc_size: header, state and the registers. */
function vScSize(): number {
  return HDR + V_STATE + 32 * (vlenOf() >> 3);
}

/** Bytes the frame needs beyond the base rt_sigframe. */
export function sigframeExtraSize(env: CPURISCVState): number {
  return vLive(env) ? vScSize() : 0;
}

/** Write the extension headers of the sigcontext at `sc` (the frame is zeroed already). */
export function saveExtState(mm: GuestMM, env: CPURISCVState, sc: number): void {
  let hdr = sc + SC_HDR;
  if (vLive(env)) {
    const vlenb = vlenOf() >> 3;
    const state = hdr + HDR, datap = state + V_STATE;
    mm.setU64(state, BigInt(env.get32('vstart')));
    mm.setU64(state + 8, env.get64('vl'));
    mm.setU64(state + 16, env.get64('vtype'));
    mm.setU64(state + 24, BigInt((env.get32('vxrm') << 1) | env.get32('vxsat')));
    mm.setU64(state + 32, BigInt(vlenb));
    mm.setU64(state + 40, BigInt(datap));
    mm.write(datap, new Uint8Array(env.view.buffer, env.base + STATE.vreg.offset, 32 * vlenb));
    mm.setU32(hdr, RISCV_V_MAGIC);
    mm.setU32(hdr + 4, vScSize());
    hdr += vScSize();
  }
  mm.setU32(sc + SC_RESERVED, 0);
  mm.setU32(hdr, END_MAGIC);
  mm.setU32(hdr + 4, END_HDR_SIZE);
}

/** Read the extension headers back; throws (the caller's SIGSEGV) on what Linux refuses. */
export function restoreExtState(mm: GuestMM, env: CPURISCVState, sc: number): void {
  if (mm.u32(sc + SC_RESERVED) !== 0) throw new Error('sigreturn: reserved word set');
  let hdr = sc + SC_HDR;
  for (let n = 0; n < 8; n++) {
    const magic = mm.u32(hdr), size = mm.u32(hdr + 4);
    if (magic === END_MAGIC) {
      if (size !== END_HDR_SIZE) throw new Error('sigreturn: bad END header');
      return;
    }
    if (magic !== RISCV_V_MAGIC || !vLive(env) || size !== vScSize()) throw new Error('sigreturn: bad extension header');
    const vlenb = vlenOf() >> 3;
    const state = hdr + HDR;
    const datap = Number(BigInt.asUintN(53, mm.u64(state + 40)));
    const regs = mm.read(datap, 32 * vlenb); // checks the range (a bad datap faults)
    new Uint8Array(env.view.buffer, env.base + STATE.vreg.offset, 32 * vlenb).set(regs);
    let vtype = mm.u64(state + 16);
    let vl = mm.u64(state + 8);
    // Linux restores through vsetvl: reserved vtype bits make it vill (and vl 0).
    if ((vtype & ~0xffn) !== 0n && vtype !== VILL) { vtype = VILL; vl = 0n; }
    if (vl > BigInt(vlenb * 8)) vl = BigInt(vlenb * 8);
    env.set64('vtype', vtype);
    env.set64('vl', vl);
    env.set32('vstart', Number(mm.u64(state) & BigInt(vlenb * 8 - 1)));
    const vcsr = Number(mm.u64(state + 24) & 7n);
    env.set32('vxsat', vcsr & 1);
    env.set32('vxrm', vcsr >> 1);
    hdr += size;
  }
  throw new Error('sigreturn: too many extension headers');
}
