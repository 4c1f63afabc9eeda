// AIA's hypervisor CSRs for virtual interrupts (AIA 1.0 chapter 6.3, as QEMU 10.2's csr.c):
// hvien (0x608: bits 13-63 writable), hvictl (0x609: VTI, IID, IPRIOM, IPRIO), hviprio1/2
// (0x646/0x647: the priorities of VS interrupts 1, 5, 13-23, byte-packed as QEMU's
// hviprio_index2irq), and vstopi (0xeb0), the top VS-level interrupt: the hvictl injection
// (IID with IPRIO; IID 9 only with a nonzero IPRIO) or, without VTI, the top pending-and-enabled
// VS interrupt with its hviprio priority; IPRIOM 0 reports priority 1. While hvictl.VTI is set, a
// V=1 access to sip/sie is a virtual-instruction exception (the hypervisor emulates them). They
// exist with H and Ssaia.
// The VS-level local interrupts 13-63 (6.3.2, QEMU's rmw_hvip64/rmw_vsip64/rmw_vsie64): for a
// bit i set in hvien (hideleg keeps only the VS bits here, so never aliases these), hvip bit i
// is a pending bit of its own, vsip bit i reads and writes it, vsie bit i is an enable of its
// own; pending and enabled, it is taken in VS-mode (cause i, no shift) by hviprio's order and
// counts in vstopi (and stopi from VS). As QEMU 10.2, VS-mode's own sie shows those enables only
// where mideleg has the bit, its sip only where mideleg or mvien has it (writes go through);
// hvip bits with hvien clear alias mip (LCOFIP is the only such bit that can be set).
// Not done: the VTI check on stimecmp writes.
import type { CPURISCVState } from './cpu-state.js';
import { riscvCpuHas } from './cpu-cfg.js';
import { riscvReadMip, riscvResetHooks } from './cpu_helper.js';
import { type CsrDef, riscvCsrDefine, riscvCsrLookup, writeMip } from './csr.js';
import { HypExcp, hypEnabled, hypVsLocal } from './cpu-h.js';
import { IPRIO_DEFAULT_S, aiaPendingToIrq, aiaState, aiaVgein, riscvDefaultPriority } from './aia_helper.js';

const HVICTL_VTI = 0x40000000;
const HVICTL_IPRIOM = 0x100;
const HVICTL_VALID_MASK = 0x4fff01ff;
/** hvien: the local interrupts 13-63 (QEMU's LOCAL_INTERRUPTS). */
const HVIEN_WMASK = ~0x1fffn & 0xffffffffffffffffn;
/** hviprio1 bytes 0-7 then hviprio2 bytes 0-5 hold these interrupts' priorities (byte 0: none). */
const INDEX2IRQ = [0, 1, 5, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23];
const IRQ_S_EXT = 9;
/** VSSIP, VSTIP, VSEIP in mip. */
const VS_INTS = 0x444;

/** Interrupts 13-63 (QEMU's LOCAL_INTERRUPTS) and LCOFIP (13). */
const LOCAL = HVIEN_WMASK;
const LCOFIP = 1 << 13;
const CSR_RELOAD = 1;

/** hvip and vsie hold their own bits 13-63 (those hvien selects). */
interface HviState { hvien: bigint; hvictl: number; readonly hviprio: Uint8Array; hvip: bigint; vsie: bigint }
const states = new WeakMap<CPURISCVState, HviState>();
function hvi(env: CPURISCVState): HviState {
  let s = states.get(env);
  if (!s) states.set(env, (s = { hvien: 0n, hvictl: 0, hviprio: new Uint8Array(64), hvip: 0n, vsie: 0n }));
  return s;
}

/** The injected VS interrupts pending and enabled (irqs_f_vs; hideleg has no bit 13-63 here). */
function vsLocalPending(env: CPURISCVState): bigint {
  const s = states.get(env);
  return s ? s.hvip & s.hvien & s.vsie & LOCAL : 0n;
}

/** The VS interrupt to take (mip numbering for the VS bits): the delegated VS bits brought to
 * their S positions and the injected ones, by hviprio with Ssaia (else the lowest), as QEMU's
 * riscv_cpu_local_irq_pending; -1 for none. */
function vsPick(env: CPURISCVState, delegated: number): number {
  const local = vsLocalPending(env);
  const lo = ((delegated & VS_INTS) >>> 1) | Number(local & 0xffffffffn);
  const hi = Number(local >> 32n);
  if (!lo && !hi) return -1;
  const virq = riscvCpuHas('ssaia') ? aiaPendingToIrq(lo, IRQ_S_EXT, IPRIO_DEFAULT_S, hvi(env).hviprio, hi)
    : lo ? 31 - Math.clz32(lo & -lo) : 63 - Math.clz32(hi & -hi);
  return virq <= 0 || virq > 12 ? virq : virq + 1;
}
hypVsLocal.pick = vsPick;
hypVsLocal.injected = (env, cause) => {
  const s = states.get(env);
  return !!s && ((s.hvip & s.hvien) >> BigInt(cause) & 1n) !== 0n && !(cause < 32 && (riscvReadMip(env) >>> cause) & 1);
};

const exists = (env: CPURISCVState): boolean => hypEnabled(env) && riscvCpuHas('ssaia');

function hviprioRead(env: CPURISCVState, second: boolean): bigint {
  const p = hvi(env).hviprio;
  let v = 0n;
  for (let b = 0; b < 8; b++) {
    const i = (second ? 8 : 0) + b;
    if (i === 0 || i >= INDEX2IRQ.length) continue;
    v |= BigInt(p[INDEX2IRQ[i]]) << BigInt(8 * b);
  }
  return v;
}
function hviprioWrite(env: CPURISCVState, second: boolean, v: bigint): void {
  const p = hvi(env).hviprio;
  for (let b = 0; b < 8; b++) {
    const i = (second ? 8 : 0) + b;
    if (i === 0 || i >= INDEX2IRQ.length) continue;
    p[INDEX2IRQ[i]] = Number((v >> BigInt(8 * b)) & 0xffn);
  }
}

/** riscv_cpu_vsirq_pending: the top VS interrupt pending and enabled (S numbering), by hviprio. */
function vsirqPending(env: CPURISCVState): number {
  // (mideleg's VS bits are read-only ones with H: not tested.)
  const irqs = riscvReadMip(env) & env.get32('mie') & env.get32('hideleg') & VS_INTS;
  const local = vsLocalPending(env);
  const lo = (irqs >>> 1) | Number(local & 0xffffffffn), hi = Number(local >> 32n);
  if (!lo && !hi) return 0;
  return Math.max(0, aiaPendingToIrq(lo, IRQ_S_EXT, IPRIO_DEFAULT_S, hvi(env).hviprio, hi));
}

/** read_vstopi. */
export function riscvReadVstopi(env: CPURISCVState): bigint {
  const s = hvi(env);
  const hviid = (s.hvictl >>> 16) & 0xfff;
  const hviprio = s.hvictl & 0xff;
  const cand: [number, number][] = [];
  const gein = aiaVgein(env);
  if (gein) {
    // The VGEIN guest file's interrupt, at its top identity's priority (QEMU's read_vstopi).
    const a = aiaState(env);
    if (gein <= a.geilen && env.get32('mie') & riscvReadMip(env) & (1 << 10)) {
      const topei = a.s?.(0x200, 0n, 0n, gein);
      cand.push([IRQ_S_EXT, topei ? Number(topei & 0x7ffn) : 256]);
    }
  } else if (hviid === IRQ_S_EXT && hviprio) cand.push([IRQ_S_EXT, hviprio]);
  if (s.hvictl & HVICTL_VTI) {
    if (hviid !== IRQ_S_EXT) cand.push([hviid, hviprio]);
  } else {
    const irq = vsirqPending(env);
    if (irq !== IRQ_S_EXT && irq > 0 && irq <= 63) cand.push([irq, s.hviprio[irq]]);
  }
  let iid = 0, iprio = Infinity;
  for (const [i, p] of cand) if (p < iprio) { iid = i; iprio = p; }
  if (!iid) return 0n;
  if (s.hvictl & HVICTL_IPRIOM) {
    if (iprio > 255) iprio = 255;
    if (!iprio && riscvDefaultPriority(iid) > IPRIO_DEFAULT_S) iprio = 255;
  } else {
    iprio = 1;
  }
  return (BigInt(iid & 0xfff) << 16n) | BigInt(iprio);
}

const hdef = (csrno: number, d: CsrDef): void => riscvCsrDefine(csrno, { ...d, exists });
hdef(0x608, {
  read: (env) => hvi(env).hvien,
  write: (env, _n, v) => {
    hvi(env).hvien = v & HVIEN_WMASK;
    // From the first injection on, the hart's interrupt checks look at hvip too.
    if (hvi(env).hvien) hypVsLocal.pending = vsLocalPending;
    return 1;
  },
});
hdef(0x609, {
  read: (env) => BigInt(hvi(env).hvictl),
  write: (env, _n, v) => { hvi(env).hvictl = Number(v & BigInt(HVICTL_VALID_MASK)); return 1; },
});
hdef(0x646, { read: (env) => hviprioRead(env, false), write: (env, _n, v) => { hviprioWrite(env, false, v); return 1; } });
hdef(0x647, { read: (env) => hviprioRead(env, true), write: (env, _n, v) => { hviprioWrite(env, true, v); return 1; } });
hdef(0xeb0, { read: riscvReadVstopi });

/** sip/sie while V=1 with hvictl.VTI: a virtual-instruction exception. The rows are wrapped at
 * the first reset, after every module (csr-h.ts, csr-mvien.ts) has put its own around them. */
let wrapped = false;
function wrapVti(csrno: number): void {
  const base = riscvCsrLookup(csrno);
  if (!base) return;
  riscvCsrDefine(csrno, {
    ...base,
    hpred: (env, n) => {
      if (exists(env) && env.get32('virt') && hvi(env).hvictl & HVICTL_VTI) return HypExcp.VIRT_INSTRUCTION;
      return base.hpred ? base.hpred(env, n) : 0;
    },
  });
}
riscvResetHooks.push((env) => {
  if (!wrapped) { wrapped = true; wrapVti(0x104); wrapVti(0x144); wrapLocal(); }
  const s = states.get(env);
  if (s) { s.hvien = 0n; s.hvictl = 0; s.hviprio.fill(0); s.hvip = 0n; s.vsie = 0n; }
});

// ---- bits 13-63 of hvip, vsip, vsie, and of sip/sie/stopi from VS ----------------------------
const virtOn = (env: CPURISCVState): boolean => env.get32('virt') !== 0;
const own = (env: CPURISCVState): bigint => hvi(env).hvien & LOCAL;
/** Set the bits `m & own` of hvip (hvip.ts's own bits) or vsie from `v`. */
function setOwn(env: CPURISCVState, which: 'hvip' | 'vsie', v: bigint, m: bigint): number {
  const w = m & own(env);
  if (!w) return 0;
  const s = hvi(env);
  s[which] = (s[which] & ~w) | (v & w);
  return CSR_RELOAD;
}
function wrapRow(csrno: number, read: (env: CPURISCVState) => bigint,
  write: (env: CPURISCVState, v: bigint, m: bigint) => number, when: (env: CPURISCVState) => boolean = exists): void {
  const base = riscvCsrLookup(csrno);
  if (!base) return;
  riscvCsrDefine(csrno, {
    ...base,
    read: (env, n) => (when(env) ? base.read(env, n) | read(env) : base.read(env, n)),
    write: (env, n, v, m) => {
      const r = base.write ? base.write(env, n, v, m) : 0;
      return when(env) ? r | write(env, v, m) : r;
    },
  });
}
function wrapLocal(): void {
  // hvip: its own bits, and (QEMU's alias_mask) mip's LCOFIP where hvien does not take bit 13.
  wrapRow(0x645, (env) => (hvi(env).hvip & own(env)) | (BigInt(riscvReadMip(env) & LCOFIP) & ~hvi(env).hvien),
    (env, v, m) => {
      const r = setOwn(env, 'hvip', v, m);
      const alias = Number(m & BigInt(LCOFIP) & ~hvi(env).hvien);
      return riscvCpuHas('sscofpmf') && alias ? r | writeMip(env, alias, v, m) : r;
    }, hypEnabled);
  wrapRow(0x244, (env) => hvi(env).hvip & own(env), (env, v, m) => setOwn(env, 'hvip', v, m));
  wrapRow(0x204, (env) => hvi(env).vsie & own(env), (env, v, m) => setOwn(env, 'vsie', v, m));
  const vs = (env: CPURISCVState): boolean => exists(env) && virtOn(env);
  wrapRow(0x104, (env) => hvi(env).vsie & own(env) & env.get64('mideleg'), (env, v, m) => setOwn(env, 'vsie', v, m), vs);
  wrapRow(0x144, (env) => hvi(env).hvip & own(env) & (env.get64('mideleg') | aiaState(env).mvien),
    (env, v, m) => setOwn(env, 'hvip', v, m), vs);
  // stopi from VS is vstopi (QEMU's read_stopi).
  const stopi = riscvCsrLookup(0xdb0);
  if (stopi) riscvCsrDefine(0xdb0, { ...stopi, read: (env, n) => (vs(env) ? riscvReadVstopi(env) : stopi.read(env, n)) });
}
