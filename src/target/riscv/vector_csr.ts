// The V extension's CSRs (QEMU's csr.c: vstart, vxsat, vxrm, vcsr, vl, vtype, vlenb) and
// mstatus.VS: accessible while mstatus.VS is not Off, writes set VS = Dirty.
import { type CPURISCVState } from './cpu-state.js';
import { csrExt, riscvCsrDefine } from './csr.js';
import { vecEnabled, vlenOf, vsEnabled } from './vector_helper.js';

const MSTATUS_VS = 0x600;
const dirty = (env: CPURISCVState) => env.set32('mstatus', env.get32('mstatus') | MSTATUS_VS);
const pred = (env: CPURISCVState) => vecEnabled() && (vsEnabled(env) || env.userMode !== undefined);
const rw32 = (field: string, mask: number) => ({
  pred,
  read: (env: CPURISCVState) => BigInt(env.get32(field)),
  write: (env: CPURISCVState, _n: number, v: bigint) => { dirty(env); env.set32(field, Number(v & BigInt(mask))); return 0; },
});

/** Called when the configuration is known (first use): defines the CSRs when V is on. */
export function vectorCsrInit(): void {
  if (!vecEnabled()) {
    csrExt.vsMask = 0n;
    for (const n of [0x008, 0x009, 0x00a, 0x00f, 0xc20, 0xc21, 0xc22]) riscvCsrDefine(n, undefined);
    return;
  }
  csrExt.vsMask = 0x600n;
  riscvCsrDefine(0x008, rw32('vstart', vlenOf() - 1));
  riscvCsrDefine(0x009, rw32('vxsat', 1));
  riscvCsrDefine(0x00a, rw32('vxrm', 3));
  riscvCsrDefine(0x00f, {
    pred,
    read: (env) => BigInt((env.get32('vxrm') << 1) | env.get32('vxsat')),
    write: (env, _n, v) => { dirty(env); env.set32('vxrm', Number((v >> 1n) & 3n)); env.set32('vxsat', Number(v & 1n)); return 0; },
  });
  riscvCsrDefine(0xc20, { pred, read: (env) => env.get64('vl') });
  riscvCsrDefine(0xc21, { pred, read: (env) => env.get64('vtype') });
  riscvCsrDefine(0xc22, { pred, read: () => BigInt(vlenOf() >> 3) });
}
