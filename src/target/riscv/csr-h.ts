// The H extension's CSRs (QEMU's target/riscv/csr.c, RVH parts): the hypervisor CSRs (h*),
// the VS CSRs (vs*) that HS sees, mtval2/mtinst, and the base CSRs whose meaning changes with
// H (mstatus.MPV/GVA, mideleg with the VS interrupts always delegated, mie/mip with the VS
// bits, sie/sip that reach vsie/vsip while V=1, counters gated by hcounteren, time plus
// htimedelta, satp under hstatus.VTVM). Every row here exists only while misa.H is set;
// the wrapped base rows behave as before when it is clear.
//
// While V=1 the S-level fields hold the guest's values (cpu-h.ts), so vs* rows read their
// own fields: they are reachable only with V=0.
import type { CPURISCVState } from './cpu-state.js';
import { Priv } from './cpu_bits.js';
import { type CsrDef, riscvCsrDefine, riscvCsrLookup, writeMip, writeMstatus } from './csr.js';
import { HypExcp, hypEnabled, SGEIP, VS_INTS } from './cpu-h.js';
import { riscvCpuHas } from './cpu-cfg.js';
import { riscvReadMip } from './cpu_helper.js';
import { aiaSgeip, aiaState } from './aia_helper.js';
import { riscvTlbFlush } from './mmu.js';
import { csrInline } from './csr-inline.js';

const RELOAD = 1;
const S_INTS = 0x222;
const HS_INTS = VS_INTS | SGEIP;
const VSSIP = 1 << 2;
/** mstatus with H: the base bits plus GVA (38) and MPV (39). */
const MSTATUS_WMASK_H = 0x7e79aan | (3n << 38n);
/** hstatus keeps every bit written (as QEMU), but reads VSBE as 0 (little-endian guests only)
 * and VSXL as 64-bit. */
const HSTATUS_RMASK = ~(0x20n | 0x300000000n);
const HSTATUS_FIXED = 0x200000000n;
/** Exceptions HS may delegate to VS: not the ecalls from S/VS/M, guest-page faults, virtual instruction. */
const HEDELEG_WMASK = 0xb1ffn;

const h = (env: CPURISCVState) => hypEnabled(env);
const virt = (env: CPURISCVState) => env.get32('virt') !== 0;

function hdef(csrno: number, d: CsrDef): void {
  riscvCsrDefine(csrno, { ...d, exists: h });
}

function field(name: string, mask = -1n, after?: (env: CPURISCVState) => number): CsrDef {
  return {
    read: (env) => env.get64(name),
    write: (env, _n, v) => { env.set64(name, mask === -1n ? v : v & mask); return after ? after(env) : 0; },
  };
}

const flushAll = (env: CPURISCVState) => { riscvTlbFlush(env); return RELOAD; };

/** A base row wrapped: with H, `hyp` replaces it. */
function wrap(csrno: number, hyp: Partial<CsrDef>): void {
  const base = riscvCsrLookup(csrno);
  if (!base) throw new Error(`csr-h: no base CSR 0x${csrno.toString(16)}`);
  riscvCsrDefine(csrno, {
    pred: hyp.pred && base.pred ? (env, n, w) => (hypEnabled(env) ? hyp.pred!(env, n, w) : base.pred!(env, n, w)) : base.pred,
    hpred: hyp.hpred,
    read: hyp.read ? (env, n) => (hypEnabled(env) ? hyp.read!(env, n) : base.read(env, n)) : base.read,
    write: hyp.write || base.write ? (env, n, v, m) => {
      if (hypEnabled(env) && hyp.write) return hyp.write(env, n, v, m);
      return base.write ? base.write(env, n, v, m) : 0;
    } : undefined,
  });
}

/** A satp-like value: Bare, Sv39, Sv48, Sv57 (or the x4 forms for hgatp) accepted; other modes
 * leave the CSR unchanged (QEMU's legalize_xatp). */
function xatp(name: string): CsrDef {
  return {
    read: (env) => env.get64(name),
    write: (env, _n, v) => {
      const mode = Number(v >> 60n);
      if (mode !== 0 && (mode < 8 || mode > 10)) return 0;
      env.set64(name, v);
      return flushAll(env);
    },
  };
}

// --- interrupts ---------------------------------------------------------------------------------
function rmwMie(env: CPURISCVState, mask: number, v: number): number {
  env.set32('mie', (env.get32('mie') & ~mask) | (v & mask));
  return RELOAD;
}
/** mip bits software may write with H: SSIP STIP SEIP and the VS ones (SEIP via software_seip). */
function writeMipH(env: CPURISCVState, mask: number, value: bigint, wmask: bigint): number {
  return writeMip(env, mask, value, wmask);
}

const vsie: CsrDef = {
  read: (env) => BigInt((env.get32('mie') & env.get32('hideleg') & VS_INTS) >>> 1),
  write: (env, _n, v) => rmwMie(env, env.get32('hideleg') & VS_INTS, Number(v & 0xffffn) << 1),
};
const vsip: CsrDef = {
  read: (env) => BigInt((riscvReadMip(env) & env.get32('hideleg') & VS_INTS) >>> 1),
  write: (env, _n, v, m) => writeMipH(env, env.get32('hideleg') & VSSIP, v << 1n, m << 1n),
};

// --- base rows that change with H -----------------------------------------------------------
// sstatus while V=1 with HS's FS Off: the guest sees and sets its own FS (cpu-h.ts keeps it
// aside), F/D stay illegal.
const FS = 0x6000n;
const sstatusRow = riscvCsrLookup(0x100)!;
wrap(0x100, {
  read: (env, n) => {
    const hidden = env.get32('vs_fs_hidden');
    const v = sstatusRow.read(env, n);
    if (!hidden) return v;
    const w = (v & ~FS & ~(1n << 63n)) | (BigInt(hidden - 1) << 13n);
    return hidden === 4 ? w | (1n << 63n) : w;
  },
  write: (env, n, v, m) => {
    const hidden = env.get32('vs_fs_hidden');
    if (hidden) env.set32('vs_fs_hidden', 1 + Number((v >> 13n) & 3n));
    return sstatusRow.write!(env, n, hidden ? v & ~FS : v, m);
  },
});
// The inline sstatus path (trans_rvzicsr.ts) runs only while V=0 and vs_fs_hidden is 0.
csrInline.rows.set(0x100, riscvCsrLookup(0x100));
wrap(0x300, { write: (env, _n, v) => writeMstatus(env, v, MSTATUS_WMASK_H) });
/** Sscofpmf's LCOFI (13) stays writable in mie/mideleg with H too. */
const lcofi = (): number => (riscvCpuHas('sscofpmf') ? 1 << 13 : 0);
// mideleg: QEMU sets the VS interrupts and SGEI (read-only one) at the first write.
wrap(0x303, {
  write: (env, _n, v) => { env.set64('mideleg', (v & BigInt(S_INTS | lcofi())) | BigInt(HS_INTS)); return RELOAD; },
});
wrap(0x304, { write: (env, _n, v) => { env.set64('mie', v & BigInt(0xaaa | HS_INTS | lcofi())); return RELOAD; } });
// mip: the base row (with whatever Sstc/Sscofpmf wrapped around it) writes the S bits; H adds
// the VS ones, so the wrappers compose in either module order.
const mipRow = riscvCsrLookup(0x344)!;
riscvCsrDefine(0x344, {
  ...mipRow,
  write: (env, n, v, m) => {
    const r = mipRow.write!(env, n, v, m);
    return hypEnabled(env) ? r | writeMipH(env, VS_INTS, v, m) : r;
  },
});
// sie / sip: the S bits only (mideleg now holds the VS ones too); vsie / vsip while V=1.
wrap(0x104, {
  read: (env) => (virt(env) ? vsie.read(env, 0x204) : BigInt(env.get32('mie') & env.get32('mideleg') & S_INTS)),
  write: (env, n, v, m) => (virt(env) ? vsie.write!(env, n, v, m)
    : rmwMie(env, env.get32('mideleg') & S_INTS, Number(v & 0xffffn))),
});
wrap(0x144, {
  read: (env) => (virt(env) ? vsip.read(env, 0x244) : BigInt(riscvReadMip(env) & env.get32('mideleg') & S_INTS)),
  write: (env, n, v, m) => (virt(env) ? vsip.write!(env, n, v, m) : writeMip(env, env.get32('mideleg') & (1 << 1), v, m)),
});
// satp while V=1 is vsatp: hstatus.VTVM makes it a virtual-instruction exception, mstatus.TVM
// does not apply.
wrap(0x180, {
  pred: (env) => virt(env) || !(env.priv === Priv.S && (env.get32('mstatus') & (1 << 20))),
  hpred: (env) => (virt(env) && env.get32('hstatus') & (1 << 20) ? HypExcp.VIRT_INSTRUCTION : 0),
});
// Counters: with V=1 also hcounteren (and scounteren in VU), else a virtual-instruction exception.
for (let n = 0; n < 32; n++) {
  wrap(0xc00 + n, {
    hpred: (env, csrno) => {
      if (!virt(env)) return 0;
      const bit = 1 << (csrno & 31);
      if (!(env.get32('mcounteren') & bit)) return 0; // the base predicate makes it illegal
      if (!(env.get32('hcounteren') & bit) || (env.priv === Priv.U && !(env.get32('scounteren') & bit))) {
        return HypExcp.VIRT_INSTRUCTION;
      }
      return 0;
    },
    read: n === 1 ? (env) => BigInt.asUintN(64, env.rdtime() + (virt(env) ? env.get64('htimedelta') : 0n)) : undefined,
  });
}
// The inline `csrr rd, time` (trans_rvzicsr.ts) runs only while V=0, where this row is csr.ts's.
csrInline.rows.set(0xc01, riscvCsrLookup(0xc01));

// --- hypervisor CSRs ----------------------------------------------------------------------------
hdef(0x600, {
  read: (env) => (env.get64('hstatus') & HSTATUS_RMASK) | HSTATUS_FIXED,
  write: (env, _n, v) => { env.set64('hstatus', v); return RELOAD; }, // VGEIN picks VSEIP's file
});
hdef(0x602, field('hedeleg', HEDELEG_WMASK));
hdef(0x603, field('hideleg', BigInt(VS_INTS), () => RELOAD));
hdef(0x604, {
  read: (env) => BigInt(env.get32('mie') & HS_INTS),
  write: (env, _n, v) => rmwMie(env, HS_INTS, Number(v & 0xffffn)),
});
hdef(0x605, field('htimedelta'));
hdef(0x606, field('hcounteren'));
// hgeie: bits 1..GEILEN (QEMU's write_hgeie), then SGEIP follows hgeip & hgeie.
hdef(0x607, {
  read: (env) => env.get64('hgeie'),
  write: (env, _n, v) => {
    const g = aiaState(env).geilen;
    env.set64('hgeie', v & (((1n << BigInt(g)) - 1n) << 1n));
    env.set32('mip', aiaSgeip(env) ? env.get32('mip') | SGEIP : env.get32('mip') & ~SGEIP);
    return RELOAD;
  },
});
// henvcfg: FIOM, the Zicbo* enables with those extensions, and PBMTE/ADUE (62/61) only while
// menvcfg has them: a write keeps them only then, a read shows them ANDed with menvcfg's (QEMU
// 10.2's write_henvcfg/read_henvcfg; STCE is hyp-sstc.ts's, PMM csr-pm.ts's). A change of
// PBMTE/ADUE changes what the VS-stage walk accepts: flush.
const HENVCFG_MENV = (1n << 62n) | (1n << 61n);
function henvcfgMask(env: CPURISCVState): bigint {
  let m = 1n;
  if (riscvCpuHas('zicbom')) m |= 0x70n;
  if (riscvCpuHas('zicboz')) m |= 0x80n;
  return m | (env.get64('menvcfg') & HENVCFG_MENV);
}
hdef(0x60a, {
  read: (env) => env.get64('henvcfg') & (~HENVCFG_MENV | env.get64('menvcfg')),
  write: (env, _n, v) => {
    const old = env.get64('henvcfg');
    env.set64('henvcfg', v & henvcfgMask(env));
    return (old ^ env.get64('henvcfg')) & HENVCFG_MENV ? flushAll(env) : 0;
  },
});
hdef(0x643, field('htval'));
hdef(0x644, {
  read: (env) => BigInt(riscvReadMip(env) & HS_INTS),
  write: (env, _n, v, m) => writeMipH(env, VSSIP, v, m),
});
hdef(0x645, {
  read: (env) => BigInt(env.get32('mip') & VS_INTS), // hvip: not the VGEIN file's VSEIP
  write: (env, _n, v, m) => writeMipH(env, VS_INTS, v, m),
});
hdef(0x64a, { read: (env) => env.get64('htinst') }); // writes ignored, as QEMU
hdef(0x680, xatp('hgatp'));
hdef(0xe12, { read: (env) => BigInt(aiaState(env).hgeip) }); // the IMSIC's guest files' lines

// --- VS CSRs (V=0 only: V=1 makes them virtual-instruction exceptions by their level) ---------
// vsstatus keeps what is written (as QEMU; only the sstatus bits reach the guest at entry),
// a write with UXL = 0 leaves UXL as it was.
hdef(0x200, {
  read: (env) => env.get64('vsstatus'),
  write: (env, _n, v) => {
    const old = env.get64('vsstatus');
    const keep = v & 0x300000000n ? 0n : 0x300000000n;
    const nv = (old & keep) | (v & ~keep);
    env.set64('vsstatus', nv);
    if ((old ^ nv) & (1n << 19n)) riscvTlbFlush(env); // MXR
    return RELOAD;
  },
});
hdef(0x204, vsie);
hdef(0x205, {
  read: (env) => env.get64('vstvec'),
  write: (env, _n, v) => { if ((v & 3n) < 2n) env.set64('vstvec', v); return 0; },
});
hdef(0x240, field('vsscratch'));
hdef(0x241, field('vsepc')); // bit 0 kept, as QEMU
hdef(0x242, field('vscause'));
hdef(0x243, field('vstval'));
hdef(0x244, vsip);
hdef(0x280, xatp('vsatp'));

// --- machine ------------------------------------------------------------------------------------
hdef(0x34a, field('mtinst'));
hdef(0x34b, field('mtval2'));
