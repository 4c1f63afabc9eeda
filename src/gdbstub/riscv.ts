// What the GDB stub publishes for a riscv64 hart: the target description (QEMU's
// riscv-64bit-cpu.xml, riscv-64bit-fpu.xml and riscv-64bit-virtual.xml (priv), plus a CSR
// feature with every CSR the hart has) and register access by gdb's register numbers: 0-31 x0-x31, 32 pc, 33-64 f0-f31,
// 65 + csrno for a CSR (fflags 66, frm 67, fcsr 68, as gdb's riscv numbering); with a vector
// extension, QEMU's org.gnu.gdb.riscv.vector feature (v0-v31 of VLEN bits, a union of uint128 /
// 64 / 32 / 16 / 8 lanes) at VREG_BASE + n, and the vector CSRs in the csr feature.
import { STATE, type CPURISCVState } from '../target/riscv/cpu-state.js';
import { vecEnabled, vlenOf } from '../target/riscv/vector_helper.js';
import { riscvCsrLookup, riscvCsrReadDebug, riscvCsrWriteDebug } from '../target/riscv/csr.js';
import { csrName } from '../target/riscv/csr-names.js';
import { riscvPmuMask } from '../target/riscv/pmu.js';
import { riscvCpuSetMode } from '../target/riscv/cpu_helper.js';

const GPR_NAMES = ['zero', 'ra', 'sp', 'gp', 'tp', 't0', 't1', 't2', 'fp', 's1', 'a0', 'a1', 'a2', 'a3', 'a4', 'a5',
  'a6', 'a7', 's2', 's3', 's4', 's5', 's6', 's7', 's8', 's9', 's10', 's11', 't3', 't4', 't5', 't6'];
const FPR_NAMES = ['ft0', 'ft1', 'ft2', 'ft3', 'ft4', 'ft5', 'ft6', 'ft7', 'fs0', 'fs1', 'fa0', 'fa1', 'fa2', 'fa3', 'fa4', 'fa5',
  'fa6', 'fa7', 'fs2', 'fs3', 'fs4', 'fs5', 'fs6', 'fs7', 'fs8', 'fs9', 'fs10', 'fs11', 'ft8', 'ft9', 'ft10', 'ft11'];
const CSR_BASE = 65;
/** gdb register number of v0 (past every CSR number). */
export const VREG_BASE = CSR_BASE + 4096;
/** QEMU's virtual register `priv` (org.gnu.gdb.riscv.virtual): the hart's privilege level. */
export const PRIV_REG = VREG_BASE + 32;
/** Registers in the g packet: x0-x31 and pc (the others go through p/P, as QEMU). */
export const G_REGS = 33;
/** CSRs not published: fflags/frm/fcsr are in the fpu feature, seed reads consume entropy. */
const UNPUBLISHED = new Set([0x001, 0x002, 0x003, 0x015]);
const VECTOR_CSRS = new Set([0x008, 0x009, 0x00a, 0x00f, 0xc20, 0xc21, 0xc22]);
/** QEMU's csr_ops names the disassembler's table (csr-names.ts) does not have. */
const GDB_NAMES = new Map<number, string>([
  [0x017, 'jvt'], [0x150, 'siselect'], [0x151, 'sireg'], [0x15c, 'stopei'], [0x24d, 'vstimecmp'], [0x250, 'vsiselect'],
  [0x251, 'vsireg'], [0x25c, 'vstopei'], [0x308, 'mvien'], [0x309, 'mvip'], [0x321, 'mcyclecfg'], [0x322, 'minstretcfg'],
  [0x350, 'miselect'], [0x351, 'mireg'], [0x35c, 'mtopei'], [0x605, 'htimedelta'], [0x608, 'hvien'], [0x609, 'hvictl'],
  [0x646, 'hviprio1'], [0x647, 'hviprio2'], [0x7a4, 'tinfo'], [0x7a8, 'mcontext'], [0xda0, 'scountovf'], [0xdb0, 'stopi'],
  [0xeb0, 'vstopi'], [0xfb0, 'mtopi'],
]);
for (let i = 0; i < 4; i++) {
  GDB_NAMES.set(0x10c + i, `sstateen${i}`);
  GDB_NAMES.set(0x30c + i, `mstateen${i}`);
  GDB_NAMES.set(0x60c + i, `hstateen${i}`);
  GDB_NAMES.set(0x61c + i, `hstateen${i}h`);
}

/** gdb's name of CSR c: QEMU's, or its csr%03x for one without a name. */
function gdbCsrName(c: number): string {
  const n = GDB_NAMES.get(c) ?? csrName(c);
  return n.startsWith('0x') ? `csr${n.slice(2)}` : n;
}

/** The CSRs in the csr feature: every CSR the hart has (QEMU's riscv_gen_dynamic_csr_feature
 * lists each CSR whose predicate passes for the debugger), in number order. */
let published: readonly [string, number][] = [];
const publishedSet = new Set<number>();

function csrList(env: CPURISCVState): readonly [string, number][] {
  const out: [string, number][] = [];
  for (let c = 0; c < 4096; c++) {
    const d = riscvCsrLookup(c);
    if (!d || UNPUBLISHED.has(c) || (d.exists && !d.exists(env))) continue;
    // (m)hpmcounterN: only the counters pmu-mask gives (QEMU's ctr/mctr predicates).
    const ctr = c & 0x1f;
    if ((c & ~0x1f) === 0xb00 || (c & ~0x1f) === 0xc00) { if (ctr >= 3 && !(riscvPmuMask() & (1 << ctr))) continue; }
    out.push([gdbCsrName(c), c]);
  }
  return out;
}

/** The target description for harts like `env` (it also fixes the CSRs p/P reach). */
export function riscvTargetXml(env: CPURISCVState): string {
  published = csrList(env);
  publishedSet.clear();
  for (const [, c] of published) publishedSet.add(c);
  let x = '<?xml version="1.0"?>\n<!DOCTYPE target SYSTEM "gdb-target.dtd">\n<target version="1.0">\n<architecture>riscv:rv64</architecture>\n';
  x += '<feature name="org.gnu.gdb.riscv.cpu">\n';
  GPR_NAMES.forEach((n, i) => { x += `<reg name="${n}" bitsize="64" type="${i === 1 ? 'code_ptr' : i === 2 || i === 8 ? 'data_ptr' : 'int'}" regnum="${i}"/>\n`; });
  x += '<reg name="pc" bitsize="64" type="code_ptr" regnum="32"/>\n</feature>\n';
  x += '<feature name="org.gnu.gdb.riscv.fpu">\n<union id="riscv_double"><field name="float" type="ieee_single"/><field name="double" type="ieee_double"/></union>\n';
  FPR_NAMES.forEach((n, i) => { x += `<reg name="${n}" bitsize="64" type="riscv_double" regnum="${33 + i}"/>\n`; });
  x += '<reg name="fflags" bitsize="32" type="int" regnum="66"/>\n<reg name="frm" bitsize="32" type="int" regnum="67"/>\n<reg name="fcsr" bitsize="32" type="int" regnum="68"/>\n</feature>\n';
  if (vecEnabled()) {
    const bits = vlenOf();
    x += '<feature name="org.gnu.gdb.riscv.vector">\n';
    for (const [type, id, size] of [['uint128', 'quads', 128], ['uint64', 'longs', 64], ['uint32', 'words', 32], ['uint16', 'shorts', 16], ['uint8', 'bytes', 8]] as const) {
      x += `<vector id="${id}" type="${type}" count="${bits / size}"/>\n`;
    }
    x += '<union id="riscv_vector">\n<field name="q" type="quads"/>\n<field name="l" type="longs"/>\n<field name="w" type="words"/>\n<field name="s" type="shorts"/>\n<field name="b" type="bytes"/>\n</union>\n';
    for (let i = 0; i < 32; i++) x += `<reg name="v${i}" bitsize="${bits}" regnum="${VREG_BASE + i}" type="riscv_vector" group="vector"/>\n`;
    // The vector CSRs here, in gdb's vector group (`info vector`), as QEMU 7.2's vector feature.
    for (const [n, c] of published) if (VECTOR_CSRS.has(c)) x += `<reg name="${n}" bitsize="64" regnum="${CSR_BASE + c}" group="vector" type="int"/>\n`;
    x += '</feature>\n';
  }
  x += `<feature name="org.gnu.gdb.riscv.virtual">\n<reg name="priv" bitsize="64" regnum="${PRIV_REG}"/>\n</feature>\n`;
  x += '<feature name="org.gnu.gdb.riscv.csr">\n';
  for (const [n, c] of published) if (!VECTOR_CSRS.has(c)) x += `<reg name="${n}" bitsize="64" type="int" regnum="${CSR_BASE + c}"/>\n`;
  x += '</feature>\n</target>\n';
  return x;
}


function le(v: bigint, bytes: number): Uint8Array {
  const out = new Uint8Array(bytes);
  let x = BigInt.asUintN(bytes * 8, v);
  for (let i = 0; i < bytes; i++) { out[i] = Number(x & 0xffn); x >>= 8n; }
  return out;
}

function fromLe(b: Uint8Array): bigint {
  let v = 0n;
  for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
  return v;
}

/** Size in bytes of register n, 0 when we do not publish it. */
function regSize(n: number): number {
  if (n >= 0 && n <= 64) return 8;
  if (n >= VREG_BASE && n < VREG_BASE + 32) return vecEnabled() ? vlenOf() >> 3 : 0;
  if (n === PRIV_REG) return 8;
  const c = n - CSR_BASE;
  if (c >= 1 && c <= 3) return 4;
  return publishedSet.has(c) ? 8 : 0;
}

/** Register n as target bytes (little-endian), or null for a register we do not publish. */
export function riscvReadReg(env: CPURISCVState, n: number): Uint8Array | null {
  const size = regSize(n);
  if (size === 0) return null;
  if (n < 32) return le(env.getGpr(n), 8);
  if (n === 32) return le(env.pc, 8);
  if (n <= 64) return le(env.get64('fpr', n - 33), 8);
  if (n === PRIV_REG) return le(env.userMode ? 0n : BigInt(env.priv), 8); // user mode: 0, as QEMU
  if (n >= VREG_BASE) return vregBytes(env, n - VREG_BASE, size).slice();
  let v: bigint | undefined;
  try { v = riscvCsrReadDebug(env, n - CSR_BASE); } catch { v = undefined; }
  return v === undefined ? null : le(v, size);
}

export function riscvWriteReg(env: CPURISCVState, n: number, data: Uint8Array): boolean {
  const size = regSize(n);
  if (size === 0 || data.length !== size) return false;
  const v = fromLe(data);
  if (n < 32) env.setGpr(n, v);
  else if (n === 32) env.pc = v;
  else if (n <= 64) env.set64('fpr', v, n - 33);
  else if (n === PRIV_REG) {
    // QEMU's riscv_gdb_set_virtual: the low two bits, the reserved 2 read as S; nothing in user mode.
    if (!env.userMode) riscvCpuSetMode(env, (Number(v & 3n) === 2 ? 1 : Number(v & 3n)));
  } else if (n >= VREG_BASE) vregBytes(env, n - VREG_BASE, size).set(data);
  else {
    try { return riscvCsrWriteDebug(env, n - CSR_BASE, v); } catch { return false; }
  }
  return true;
}

/** Vector register r in the state block (VLENB bytes, element 0 first). */
function vregBytes(env: CPURISCVState, r: number, vlenb: number): Uint8Array {
  return new Uint8Array(env.view.buffer, env.base + STATE.vreg.offset + r * vlenb, vlenb);
}

/** The memory access the instruction at the hart's pc is about to make (watchpoints). */
export interface InsnAccess { addr: bigint; len: number; read: boolean; write: boolean; ilen: number }

const sext = (v: number, bits: number): bigint => BigInt.asIntN(bits, BigInt(v));

/** Decode the load, store or AMO at pc (RV64GC); null for any other instruction. */
export function riscvInsnAccess(env: CPURISCVState, fetch: (addr: bigint, len: number) => Uint8Array | null): InsnAccess | null {
  const lo = fetch(env.pc, 2);
  if (!lo) return null;
  let insn = lo[0] | (lo[1] << 8);
  const at = (rs1: number, off: bigint, len: number, read: boolean, write: boolean, ilen: number): InsnAccess =>
    ({ addr: BigInt.asUintN(64, env.getGpr(rs1) + off), len, read, write, ilen });
  if ((insn & 3) === 3) {
    const hi = fetch(env.pc + 2n, 2);
    if (!hi) return null;
    insn = (insn | (hi[0] << 16) | (hi[1] << 24)) >>> 0;
    const op = insn & 0x7f, f3 = (insn >>> 12) & 7, rs1 = (insn >>> 15) & 31;
    const immI = sext(insn >>> 20, 12), immS = sext(((insn >>> 25) << 5) | ((insn >>> 7) & 31), 12);
    switch (op) {
      case 0x03: return f3 === 7 ? null : at(rs1, immI, 1 << (f3 & 3), true, false, 4);
      case 0x07: return f3 === 2 || f3 === 3 ? at(rs1, immI, f3 === 2 ? 4 : 8, true, false, 4) : null;
      case 0x23: return f3 > 3 ? null : at(rs1, immS, 1 << f3, false, true, 4);
      case 0x27: return f3 === 2 || f3 === 3 ? at(rs1, immS, f3 === 2 ? 4 : 8, false, true, 4) : null;
      case 0x2f: {
        if (f3 !== 2 && f3 !== 3) return null;
        const f5 = insn >>> 27;
        return at(rs1, 0n, f3 === 2 ? 4 : 8, f5 !== 3, f5 !== 2, 4);
      }
    }
    return null;
  }
  const q = insn & 3, f3 = (insn >>> 13) & 7;
  if (q === 0) {
    const rs1 = 8 + ((insn >>> 7) & 7);
    const offD = BigInt((((insn >>> 10) & 7) << 3) | (((insn >>> 5) & 3) << 6));
    const offW = BigInt((((insn >>> 10) & 7) << 3) | (((insn >>> 6) & 1) << 2) | (((insn >>> 5) & 1) << 6));
    switch (f3) {
      case 1: case 3: return at(rs1, offD, 8, true, false, 2);
      case 2: return at(rs1, offW, 4, true, false, 2);
      case 5: case 7: return at(rs1, offD, 8, false, true, 2);
      case 6: return at(rs1, offW, 4, false, true, 2);
    }
  } else if (q === 2) {
    const ldD = BigInt((((insn >>> 12) & 1) << 5) | (((insn >>> 5) & 3) << 3) | (((insn >>> 2) & 7) << 6));
    const ldW = BigInt((((insn >>> 12) & 1) << 5) | (((insn >>> 4) & 7) << 2) | (((insn >>> 2) & 3) << 6));
    const stD = BigInt((((insn >>> 10) & 7) << 3) | (((insn >>> 7) & 7) << 6));
    const stW = BigInt((((insn >>> 9) & 0xf) << 2) | (((insn >>> 7) & 3) << 6));
    switch (f3) {
      case 1: case 3: return at(2, ldD, 8, true, false, 2);
      case 2: return at(2, ldW, 4, true, false, 2);
      case 5: case 7: return at(2, stD, 8, false, true, 2);
      case 6: return at(2, stW, 4, false, true, 2);
    }
  }
  return null;
}
