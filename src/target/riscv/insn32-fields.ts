// Fields and argument sets of the 32-bit encodings (the .decode file's %fields and &args).
import { type ArgSpec, field } from './decode.js';

export const F = {
  rd: field('7:5'), rs1: field('15:5'), rs2: field('20:5'), rs3: field('27:5'), rm: field('12:3'),
  immI: field('20:12', { signed: true }),
  immS: field('25:7 7:5', { signed: true }),
  immB: field('31:1 7:1 25:6 8:4', { signed: true, shl: 1 }),
  immU: field('12:20', { signed: true, shl: 12 }),
  immJ: field('31:1 12:8 20:1 21:10', { signed: true, shl: 1 }),
  shamt: field('20:6'), shamtw: field('20:5'), csr: field('20:12'),
};

export const R: ArgSpec = { rd: F.rd, rs1: F.rs1, rs2: F.rs2 };
export const I: ArgSpec = { rd: F.rd, rs1: F.rs1, imm: F.immI };
export const S: ArgSpec = { rs1: F.rs1, rs2: F.rs2, imm: F.immS };
export const B: ArgSpec = { rs1: F.rs1, rs2: F.rs2, imm: F.immB };
export const U: ArgSpec = { rd: F.rd, imm: F.immU };
export const J: ArgSpec = { rd: F.rd, imm: F.immJ };
export const SH: ArgSpec = { rd: F.rd, rs1: F.rs1, shamt: F.shamt };
export const SHW: ArgSpec = { rd: F.rd, rs1: F.rs1, shamt: F.shamtw };
export const CSR: ArgSpec = { rd: F.rd, rs1: F.rs1, csr: F.csr };
export const NONE: ArgSpec = {};

export function bits(v: number, n: number): string {
  return v.toString(2).padStart(n, '0');
}
