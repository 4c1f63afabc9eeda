// Two-stage address translation of the H extension (privileged spec 9.5; QEMU's
// get_physical_address with two_stage): the VS stage (vsatp: Sv39/48/57, guest virtual ->
// guest physical, its page-table reads themselves translated by the G stage) and the G stage
// (hgatp: Sv39x4/48x4/57x4, guest physical -> host physical, every leaf needs U, the root table
// is 16 KiB with two more index bits). A VS-stage fault is a page fault (12/13/15); a G-stage
// one a guest-page fault (20/21/23) with htval/mtval2 = guest physical address >> 2.
//
// Entries go into the two-stage mmu indexes (VU, VS, VS_SUM) only, so V=0 and V=1 translations
// never share a TLB entry. Only V=1 code and HLV/HSV/MPRV-with-MPV come here: BigInt is fine.
import { type CPURISCVState, MmuIdx, TlbKind } from './cpu-state.js';
import { Mstatus, Priv, Pte, RiscvExcp } from './cpu_bits.js';
import { PmpResult, pmpCheck } from './pmp.js';
import { riscvRaiseException } from './cpu_helper.js';
import { type TlbFillResult, hostResult, mmioResult, riscvHypTlb, tlbSet } from './mmu.js';
import { HypExcp, hypFault } from './cpu-h.js';
import { MENVCFG_HI_ADUE, MENVCFG_HI_PBMTE, WalkExt, riscvWalkExt } from './walk-ext.js';

const PAGE_FAULT = [RiscvExcp.LOAD_PAGE_FAULT, RiscvExcp.STORE_PAGE_FAULT, RiscvExcp.INST_PAGE_FAULT];
const ACCESS_FAULT = [RiscvExcp.LOAD_ACCESS_FAULT, RiscvExcp.STORE_AMO_ACCESS_FAULT, RiscvExcp.INST_ACCESS_FAULT];
const GUEST_FAULT = [HypExcp.LOAD_GUEST_PAGE_FAULT, HypExcp.STORE_GUEST_PAGE_FAULT, HypExcp.INST_GUEST_PAGE_FAULT];
const MAX_PA = BigInt(Number.MAX_SAFE_INTEGER);

const enum Fault { NONE = 0, PAGE = 1, ACCESS = 2, GUEST = 3 }

/** Result of a stage walk (reused). */
const res = { fault: Fault.NONE, pa: 0n, gpa: 0n };

interface StageOpts {
  /** G stage: every leaf needs U, addresses are zero-extended and 2 bits wider. */
  g: boolean;
  /** The privilege of the access (VS stage: S or U). */
  priv: number;
  sum: boolean;
  mxr: boolean;
  /** HLVX: execute permission instead of read. */
  hlvx: boolean;
  /** PTE bits 63:54 (>> 54) a leaf may have: N with Svnapot, PBMT with Svpbmt and PBMTE. */
  attr: bigint;
  /** Hardware A/D update (Svadu with ADUE, or neither Svadu nor Svade); else a page fault. */
  adue: boolean;
}

function readPte(env: CPURISCVState, pa: number): bigint | undefined {
  const host = env.as.ramHostOffset(pa, 8);
  if (host >= 0) return env.view.getBigUint64(host, true);
  return env.as.load(pa, 8);
}

/** Hardware A/D update of the PTE at physical pa (compare-and-swap on its low word); false when
 * the word changed under us (walk again) or the PTE is not in RAM. */
function setAd(env: CPURISCVState, pa: number, old: number, want: number): boolean | 'retry' {
  const wh = env.as.ramHostOffset(pa, 8, true);
  if (wh < 0) {
    const o = env.as.ramCmpxchg32(pa, old | 0, want | 0); // RAM beyond the wasm memory
    return o === undefined ? false : o === (old | 0) ? true : 'retry';
  }
  const mem32 = new Int32Array(env.as.memory.buffer);
  if (Atomics.compareExchange(mem32, wh >>> 2, old | 0, want | 0) !== (old | 0)) return 'retry';
  env.as.onRamWrite(pa, 8);
  return true;
}

/** Walk one stage for va with root `ppn`, mode (8 Sv39 .. 10 Sv57); for the VS stage, the PTE
 * addresses go through `gstage`. Sets res. */
function walkStage(env: CPURISCVState, va: bigint, mode: number, rootPpn: bigint, kind: TlbKind, o: StageOpts,
  gstage: ((gpa: bigint) => boolean) | null): void {
  res.fault = Fault.PAGE;
  if (mode < 8 || mode > 10) return;
  const levels = mode - 5;
  const vaBits = 12 + 9 * levels + (o.g ? 2 : 0);
  if (o.g) {
    if (va >> BigInt(vaBits)) return; // guest physical address too wide: guest-page fault
  } else {
    const top = va >> BigInt(vaBits - 1);
    if (top !== 0n && top !== (1n << BigInt(64 - vaBits + 1)) - 1n) return;
  }
  restart: for (;;) {
    let base = rootPpn << 12n;
    for (let level = levels - 1; level >= 0; level--) {
      const shift = 12 + 9 * level;
      const idxBits = level === levels - 1 && o.g ? 11 : 9;
      const idx = (va >> BigInt(shift)) & BigInt((1 << idxBits) - 1);
      let pteAddr = base + idx * 8n;
      if (gstage) {
        // The VS-stage table lives in guest physical memory.
        if (!gstage(pteAddr)) return; // res: guest-page fault at the PTE's address, or access fault
        pteAddr = res.pa;
        res.fault = Fault.PAGE;
      }
      if (pteAddr > MAX_PA) { res.fault = Fault.ACCESS; return; }
      const pa = Number(pteAddr);
      if (!(pmpCheck(env, pa, 8, TlbKind.LOAD, Priv.S) & PmpResult.ALLOWED)) { res.fault = Fault.ACCESS; return; }
      const pte = readPte(env, pa);
      if (pte === undefined) { res.fault = Fault.ACCESS; return; }
      const lo = Number(pte & 0xffffffffn);
      if ((pte >> 54n) & ~o.attr) return; // reserved, or N/PBMT not enabled
      if (!(lo & Pte.V)) return;
      const ppn = (pte >> 10n) & 0xfffffffffffn;
      if (!(lo & (Pte.R | Pte.W | Pte.X))) {
        if (lo & (Pte.D | Pte.A | Pte.U) || pte >> 61n) return; // reserved in a pointer
        base = ppn << 12n;
        continue;
      }
      if ((lo & (Pte.R | Pte.W)) === Pte.W) return;
      if (o.g) {
        if (!(lo & Pte.U)) return;
      } else if (lo & Pte.U) {
        if (o.priv !== Priv.U && (!o.sum || kind === TlbKind.FETCH)) return;
      } else if (o.priv !== Priv.S) {
        return;
      }
      if (level > 0 && ppn & ((1n << BigInt(9 * level)) - 1n)) return;
      let ok: boolean;
      if (kind === TlbKind.LOAD) ok = o.hlvx ? (lo & Pte.X) !== 0 : (lo & Pte.R) !== 0 || (o.mxr && (lo & Pte.X) !== 0);
      else if (kind === TlbKind.STORE) ok = (lo & Pte.W) !== 0;
      else ok = (lo & Pte.X) !== 0;
      if (!ok) return;
      const want = (lo | Pte.A | (kind === TlbKind.STORE ? Pte.D : 0)) >>> 0;
      if (want !== lo) {
        if (!o.adue) return;
        const r = setAd(env, pa, lo, want);
        if (r === 'retry') continue restart;
        if (!r) return;
      }
      res.fault = Fault.NONE;
      if (pte >> 63n) {
        // Svnapot: a 64 KiB range at the last level, ppn[3:0] = 1000b; vpn[3:0] picks the page.
        if (level !== 0 || (ppn & 0xfn) !== 8n) return;
        res.fault = Fault.NONE;
        res.pa = ((ppn - 8n + ((va >> 12n) & 0xfn)) << 12n) | (va & 0xfffn);
        return;
      }
      res.pa = (ppn << 12n) | (va & ((1n << BigInt(shift)) - 1n));
      return;
    }
    return;
  }
}

/** HS's mstatus.MXR: live while V=0, in the vsstatus field while V=1 (swapped). */
function hsMxr(env: CPURISCVState): boolean {
  const f = env.get32('virt') ? Number(env.get64('vsstatus') & 0xffffffffn) : env.get32('mstatus');
  return (f & Mstatus.MXR) !== 0;
}

/** The guest's (VS) sstatus.MXR. */
function vsMxr(env: CPURISCVState): boolean {
  const f = env.get32('virt') ? env.get32('mstatus') : Number(env.get64('vsstatus') & 0xffffffffn);
  return (f & Mstatus.MXR) !== 0;
}

const gOpts: StageOpts = { g: true, priv: Priv.U, sum: false, mxr: false, hlvx: false, attr: 0n, adue: true };
const vsOpts: StageOpts = { g: false, priv: Priv.S, sum: false, mxr: false, hlvx: false, attr: 0n, adue: true };

/** QEMU's pbmte/adue for a stage: menvcfg's, and for the VS stage while V=1 also henvcfg's
 * (an HLV/HSV from V=0 walks the VS stage under menvcfg alone, as QEMU's virt_enabled test). */
function stageEnv(env: CPURISCVState, o: StageOpts, vsStage: boolean): void {
  const ext = riscvWalkExt();
  let cfg = env.get32('menvcfg', 1);
  if (vsStage && env.get32('virt')) cfg &= env.get32('henvcfg', 1);
  o.attr = (ext & WalkExt.SVNAPOT ? 0x200n : 0n) | (ext & WalkExt.SVPBMT && cfg & MENVCFG_HI_PBMTE ? 0x180n : 0n);
  o.adue = ext & WalkExt.SVADU ? (cfg & MENVCFG_HI_ADUE) !== 0 : !(ext & WalkExt.SVADE);
}

/** G stage of gpa for an access of `kind`: sets res (fault GUEST with res.gpa on failure). */
function gStage(env: CPURISCVState, gpa: bigint, kind: TlbKind, hlvx: boolean): boolean {
  const hgatp = env.get64('hgatp');
  const mode = Number(hgatp >> 60n);
  if (mode === 0) {
    res.fault = Fault.NONE;
    res.pa = gpa;
    return true;
  }
  gOpts.mxr = hsMxr(env);
  gOpts.hlvx = hlvx;
  stageEnv(env, gOpts, false);
  walkStage(env, gpa, mode, hgatp & 0xfffffffffffn, kind, gOpts, null);
  if (res.fault === Fault.NONE) return true;
  if (res.fault === Fault.PAGE) res.fault = Fault.GUEST;
  res.gpa = gpa;
  return false;
}

/**
 * Two-stage translation of va for an access through mmu index VU/VS/VS_SUM; raises the fault
 * (page, guest-page or access fault) and returns null, or fills the TLB entry when the page is
 * uniform RAM (never for HLVX, whose permission differs from a load's).
 */
export function hypTranslate(env: CPURISCVState, va: bigint, kind: TlbKind, size: number, mmuIdx: number, hlvx = false): TlbFillResult | null {
  const virt = env.get32('virt') !== 0;
  const vsatp = env.get64(virt ? 'satp' : 'vsatp');
  const mode = Number(vsatp >> 60n);
  const priv = mmuIdx === MmuIdx.VU ? Priv.U : Priv.S;
  hypFault.twoStage = true;
  hypFault.gpa = 0n;
  hypFault.indirect = false;
  let gpa: bigint;
  if (mode === 0) {
    gpa = va;
  } else {
    vsOpts.priv = priv;
    vsOpts.sum = mmuIdx === MmuIdx.VS_SUM;
    vsOpts.mxr = vsMxr(env) || hsMxr(env);
    vsOpts.hlvx = hlvx;
    stageEnv(env, vsOpts, true);
    // Page-table reads are implicit loads for the G stage.
    walkStage(env, va, mode, vsatp & 0xfffffffffffn, kind, vsOpts, (pteGpa) => {
      const ok = gStage(env, pteGpa, TlbKind.LOAD, false);
      if (!ok) hypFault.indirect = true;
      return ok;
    });
    if (res.fault !== Fault.NONE) return fail(env, va, kind);
    gpa = res.pa;
  }
  if (!gStage(env, gpa, kind, hlvx)) return fail(env, va, kind);
  const hpa = res.pa;
  if (hpa > MAX_PA) { res.fault = Fault.ACCESS; return fail(env, va, kind); }
  const pa = Number(hpa);
  const pmp = pmpCheck(env, pa, size, kind, priv);
  if (!(pmp & PmpResult.ALLOWED)) { res.fault = Fault.ACCESS; return fail(env, va, kind); }
  hypFault.twoStage = false;
  const write = kind === TlbKind.STORE;
  const host = env.as.ramHostOffset(pa, size, write);
  if (host < 0) {
    mmioResult.mmioPa = pa;
    return mmioResult;
  }
  const pageOff = Number(va & 0xfffn);
  if (!hlvx && (pmp & PmpResult.PAGE_UNIFORM) && env.as.ramHostOffset(pa - pageOff, 4096, write) >= 0) {
    tlbSet(env, mmuIdx, kind, BigInt.asUintN(64, va) - BigInt(pageOff), host - pageOff, 0);
  }
  hostResult.hostOffset = host;
  return hostResult;
}

function fail(env: CPURISCVState, va: bigint, kind: TlbKind): null {
  let cause: number;
  if (res.fault === Fault.GUEST) {
    cause = GUEST_FAULT[kind];
    hypFault.gpa = res.gpa >> 2n;
  } else {
    cause = res.fault === Fault.ACCESS ? ACCESS_FAULT[kind] : PAGE_FAULT[kind];
    hypFault.gpa = 0n;
  }
  hypFault.twoStage = true;
  riscvRaiseException(env, cause, va);
  return null;
}


/** A side-effect-free walk for the debugger (no A/D, no PMP, no permission checks): the
 * physical address of va, or -1. `g`: G stage (wider root index, zero-extended address). */
function debugWalk(env: CPURISCVState, va: bigint, mode: number, rootPpn: bigint, g: boolean,
  gstage: ((gpa: bigint) => bigint) | null): bigint {
  if (mode === 0) return va;
  if (mode < 8 || mode > 10) return -1n;
  const levels = mode - 5;
  const vaBits = 12 + 9 * levels + (g ? 2 : 0);
  if (g && va >> BigInt(vaBits)) return -1n;
  let base = rootPpn << 12n;
  for (let level = levels - 1; level >= 0; level--) {
    const shift = 12 + 9 * level;
    const idxBits = level === levels - 1 && g ? 11 : 9;
    let pteAddr = base + ((va >> BigInt(shift)) & BigInt((1 << idxBits) - 1)) * 8n;
    if (gstage) pteAddr = gstage(pteAddr);
    if (pteAddr < 0n || pteAddr > MAX_PA) return -1n;
    const pte = readPte(env, Number(pteAddr));
    if (pte === undefined || !(pte & 1n)) return -1n;
    const ppn = (pte >> 10n) & 0xfffffffffffn;
    if (!(pte & 0xen)) { base = ppn << 12n; continue; }
    const mask = (1n << BigInt(shift)) - 1n;
    return ((ppn << 12n) & ~mask) | (va & mask);
  }
  return -1n;
}

/** The debugger's translation while V=1 (mmu-debug.ts): both stages, -1 if unmapped. */
export function hypPhysDebug(env: CPURISCVState, va: bigint): number {
  const hgatp = env.get64('hgatp');
  const g = (gpa: bigint) => debugWalk(env, gpa, Number(hgatp >> 60n), hgatp & 0xfffffffffffn, true, null);
  const vsatp = env.get64('satp'); // V=1: the live satp is the guest's
  const gpa = debugWalk(env, va, Number(vsatp >> 60n), vsatp & 0xfffffffffffn, false, g);
  const pa = gpa < 0n ? -1n : g(gpa);
  return pa < 0n || pa > MAX_PA ? -1 : Number(pa);
}

riscvHypTlb.fill = (env, va, kind, size, mmuIdx) => hypTranslate(env, va, kind, size, mmuIdx);
riscvHypTlb.physDebug = hypPhysDebug;
