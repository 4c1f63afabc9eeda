// The -cpu models of QEMU 10.2's riscv64 (rv64, max, any, sifive-u54 and the profile CPUs
// rva22u64/rva22s64/rva23u64/rva23s64) and their properties, with QEMU's dependency checks and
// error texts. The result is the process's RISCVCPUConfig (cpu-cfg.ts). Only extensions that
// are implemented here (registered by their modules) are ever turned on: a model or property
// that needs another one is refused with a message that names it. No host access here.
import { QemuError } from '../../qemu/error.js';
import { parseBool, parseQemuOpts } from '../../qemu/option.js';
import { type RISCVCPUConfig, riscvExtensionInfo, riscvRegisteredExtensions, setRiscvCpuCfg, setRiscvDefaultCpuCfgFactory } from './cpu-cfg.js';
import { IMPLIED, QEMU_MULTI_EXT_DEFAULTS } from './cpu-isa.js';
import './extensions.js';

/** Errors QEMU reports without the option's location ("prog: message"). */
export class CpuModelError extends QemuError {}

/** The base every model here has: rv64imafdc + s/u (misa letters, always on). */
const BASE_LETTERS = new Set(['i', 'm', 'a', 'f', 'd', 'c', 's', 'u']);
/** Multi-letter extensions the core always implements (not registered: they cannot be off). */
const BASE_MULTI = new Set(['zicsr', 'zifencei', 'zihintpause', 'zmmul', 'zaamo', 'zalrsc']);
/** Other QEMU properties (set either way: refused unless it is what the model already is). */
const OTHER_PROPS = new Set(['debug', 'priv_spec', 'vext_spec', 'mvendorid', 'marchid', 'mimpid', 'pmu-mask', 'pmu-num',
  'rvv_ta_all_1s', 'rvv_ma_all_1s', 'rvv_vl_half_avl', 'resetvec', 'rnmi-interrupt-vector', 'rnmi-exception-vector',
  'start-powered-off', 'hartid', 'short-isa-string', 'x-misa-w', 'x-svukte', 'xtheadba', 'xtheadbb', 'xtheadbs',
  'xtheadcmo', 'xtheadcondmov', 'xtheadfmemidx', 'xtheadfmv', 'xtheadmac', 'xtheadmemidx', 'xtheadmempair',
  'xtheadsync', 'xventanacondops', 'e', 'g', 'mmu', 'pmp']);
/** Boolean ones among OTHER_PROPS (their value is checked as QEMU's bool parser does). */
const OTHER_BOOL = new Set(['debug', 'rvv_ta_all_1s', 'rvv_ma_all_1s', 'rvv_vl_half_avl', 'start-powered-off',
  'short-isa-string', 'x-misa-w', 'x-svukte', 'e', 'g', 'mmu', 'pmp']);

type ModelKind = 'dynamic' | 'vendor' | 'profile';

/** RISCVCPUProfile: misa letters and multi-letter extensions a profile mandates (with parents). */
interface Profile { readonly parent?: string; readonly sParent?: string; readonly letters: string; readonly ext: readonly string[]; readonly satpMax?: number }
const PROFILES: Readonly<Record<string, Profile>> = {
  rva22u64: { letters: 'imafdcbu', ext: ['zicsr', 'zihintpause', 'zba', 'zbb', 'zbs', 'zfhmin', 'zkt', 'zicntr', 'zihpm', 'zicbom', 'zicbop', 'zicboz'] },
  rva22s64: { parent: 'rva22u64', letters: 's', ext: ['zifencei', 'svpbmt', 'svinval', 'svade'], satpMax: 8 },
  rva23u64: { parent: 'rva22u64', letters: 'v', ext: ['zvfhmin', 'zvbb', 'zvkt', 'zihintntl', 'zicond', 'zimop', 'zcmop', 'zcb', 'zfa', 'zawrs', 'supm'] },
  rva23s64: { parent: 'rva23u64', sParent: 'rva22s64', letters: 's', ext: ['svnapot', 'sstc', 'sscofpmf', 'ssnpm', 'h', 'smstateen'], satpMax: 8 },
};

/** The models `-cpu help` lists, QEMU 10.2's names (the ones tsqemu has). */
export const RISCV_CPU_MODELS: Readonly<Record<string, ModelKind>> = {
  any: 'dynamic', max: 'dynamic', rv64: 'dynamic', rva22s64: 'profile', rva22u64: 'profile', rva23s64: 'profile',
  rva23u64: 'profile', 'sifive-u54': 'vendor',
};

/** QEMU 10.2 has no `any` for riscv64 any more (its type list ends with max, rv64, the vendor,
 * bare and profile CPUs); tsqemu still takes it, as an alias of rv64, but does not list it. */
export function riscvCpuHelp(): string {
  return `Available CPUs:\n${Object.keys(RISCV_CPU_MODELS).filter((m) => m !== 'any').sort().map((m) => `  ${m}\n`).join('')}`;
}

const implemented = (e: string): boolean => BASE_LETTERS.has(e) || BASE_MULTI.has(e) || riscvExtensionInfo(e) !== undefined ||
  (e === 'b' && ['zba', 'zbb', 'zbs'].every((x) => riscvExtensionInfo(x) !== undefined));

/** A profile's mandatory extensions, its parents' included. */
function profileExtensions(name: string): Set<string> {
  const out = new Set<string>();
  const add = (n: string | undefined): void => {
    if (!n) return;
    const p = PROFILES[n];
    add(p.parent);
    add(p.sParent);
    for (const l of p.letters) out.add(l);
    for (const e of p.ext) out.add(e);
  };
  add(name);
  return out;
}

/** Turn on a profile's extensions; refuse naming every mandatory one tsqemu lacks. */
function enableProfile(cfg: RISCVCPUConfig, name: string): void {
  const want = profileExtensions(name);
  const missing = [...want].filter((e) => !implemented(e) && e !== 'u').sort();
  if (missing.length) {
    throw new QemuError(`CPU profile '${name}' needs ${missing.length > 1 ? 'the extensions' : 'the extension'} ${missing.join(', ')}, not implemented by tsqemu`);
  }
  // The implied ones follow in riscvParseCpu (riscv_cpu_enable_implied_rules).
  for (const e of want) if (!BASE_LETTERS.has(e) && !BASE_MULTI.has(e)) cfg.ext.add(e);
  if (PROFILES[name].satpMax !== undefined || PROFILES[name].sParent) cfg.satpMax = 8;
}

function newCfg(model: string): RISCVCPUConfig {
  return { model, ext: new Set(), vlen: 128, elen: 64, cbomBlocksize: 64, cbozBlocksize: 64, cbopBlocksize: 64 };
}

/** A model's configuration before any property. */
export function riscvModelCpuCfg(model: string): RISCVCPUConfig {
  const kind = RISCV_CPU_MODELS[model];
  if (!kind) throw new CpuModelError(`unable to find CPU model '${model}'`);
  const cfg = newCfg(model);
  const regs = riscvRegisteredExtensions();
  if (model === 'rv64' || model === 'any') {
    // Generic CPUs: QEMU's defaults (misa H on, V off), among what is implemented here.
    for (const e of regs) {
      const def = e.name === 'h' ? true : e.name === 'v' ? false : QEMU_MULTI_EXT_DEFAULTS[e.name] ?? e.defaultOn ?? false;
      if (def) cfg.ext.add(e.name);
    }
  } else if (model === 'max') {
    // Everything, minus what conflicts with F/D/C (QEMU's riscv_init_max_cpu_extensions).
    const conflicts = new Set(['zfinx', 'zdinx', 'zhinx', 'zhinxmin', 'zce', 'zcmp', 'zcmt', 'zcf', 'svade']);
    for (const e of regs) if (!conflicts.has(e.name)) cfg.ext.add(e.name);
    if (cfg.ext.has('zba') && cfg.ext.has('zbb') && cfg.ext.has('zbs')) cfg.ext.add('b');
  } else if (model === 'sifive-u54') {
    // riscv_cpu_init gives every non-bare CPU the counters (Zicntr, Zihpm).
    for (const e of ['zicntr', 'zihpm']) if (riscvExtensionInfo(e)) cfg.ext.add(e);
    cfg.privSpec = '1.10.0';
    cfg.satpMax = 8;
    cfg.noZihintpause = true;
  } else {
    enableProfile(cfg, model);
  }
  // C and D give Zca and Zcd (their 16-bit encodings; riscv_cpu_validate_set_extensions).
  for (const e of ['zca', 'zcd']) if (riscvExtensionInfo(e)) cfg.ext.add(e);
  applyImplied(cfg, new Map());
  return cfg;
}

setRiscvDefaultCpuCfgFactory(() => riscvModelCpuCfg('rv64'));

const upper = (e: string): string => e.charAt(0).toUpperCase() + e.slice(1);

/**
 * -cpu MODEL[,prop=value...] (QEMU 10.2's riscv64 models and properties). Sets the process's
 * RISCVCPUConfig and returns it. Throws QemuError (with the option's location) for what tsqemu
 * does not implement, CpuModelError (without) for QEMU's own errors.
 */
export function riscvParseCpu(text: string): RISCVCPUConfig {
  const o = parseQemuOpts(text, 'model');
  const model = o.get('model') ?? '';
  const cfg = riscvModelCpuCfg(model);
  const kind = RISCV_CPU_MODELS[model];
  const cls = `${model}-riscv-cpu`;
  const cantApply = (k: string, v: string, why: string) => new CpuModelError(`can't apply global ${cls}.${k}=${v}: ${why}`);
  /** Properties the user set (QEMU's cpu_cfg_ext_is_user_set: implied rules leave them alone). */
  const userSet = new Map<string, boolean>();
  const refused: string[] = [];
  for (const [k, v] of o) {
    if (k === 'model') continue;
    const isExt = BASE_LETTERS.has(k) || k === 'h' || k === 'v' || k === 'b' || k in QEMU_MULTI_EXT_DEFAULTS || riscvExtensionInfo(k) !== undefined;
    const isProfile = k in PROFILES;
    if (!isExt && !isProfile && !OTHER_PROPS.has(k) && !['vlen', 'elen', 'cbom_blocksize', 'cbop_blocksize', 'cboz_blocksize'].includes(k)) {
      throw cantApply(k, v, `Property '${cls}.${k}' not found`);
    }
    if (['vlen', 'elen', 'cbom_blocksize', 'cbop_blocksize', 'cboz_blocksize'].includes(k)) { setNumber(cfg, k, v, cantApply); continue; }
    if (k === 'pmu-mask') { cfg.pmuMask = parsePmuMask(v, cantApply); continue; }
    let on = false;
    if (isExt || isProfile || OTHER_BOOL.has(k)) {
      try { on = parseBool(k, v); } catch { throw cantApply(k, v, `Parameter '${k}' expects 'on' or 'off'`); }
    }
    if (isProfile) {
      if (kind !== 'dynamic') throw cantApply(k, v, `Property '${cls}.${k}' not found`);
      if (on) enableProfile(cfg, k);
      continue;
    }
    if (!isExt) {
      // mmu/pmp/debug are on here (and g= is only a shorthand for what is always on).
      if (k === 'debug') { cfg.debug = on; continue; }
      if (['mmu', 'pmp', 'g'].includes(k) && on) continue;
      if (['e', 'x-misa-w', 'x-svukte', 'short-isa-string', 'rvv_ta_all_1s', 'rvv_ma_all_1s', 'rvv_vl_half_avl', 'start-powered-off', 'g'].includes(k) && !on) continue;
      if (k === 'e' && on) { userSet.set('e', true); continue; } // QEMU's check below reports it
      throw new QemuError(`CPU property '${k}=${v}' is not supported by tsqemu`);
    }
    const wasOn = BASE_LETTERS.has(k) || BASE_MULTI.has(k) || cfg.ext.has(k);
    if (on && !wasOn && kind === 'vendor') throw cantApply(k, v, `'${model}' CPU does not allow enabling extensions`);
    userSet.set(k, on);
    if (k === 'c' && !on) { cfg.noC = true; continue; } // kept only with Zca (below)
    if (BASE_LETTERS.has(k) || BASE_MULTI.has(k)) { if (!on) refused.push(k); continue; }
    if (k === 'b') {
      if (on) for (const e of ['zba', 'zbb', 'zbs']) if (!userSet.has(e)) cfg.ext.add(e);
      if (on) cfg.ext.add('b'); else cfg.ext.delete('b');
      continue;
    }
    if (on) cfg.ext.add(k); else cfg.ext.delete(k);
  }
  if (cfg.noC) {
    // Without C, Zca and Zcd only as set (or implied: Zcmp, Zcmt, Zcb give Zca).
    for (const e of ['zca', 'zcd']) if (userSet.get(e) !== true) cfg.ext.delete(e);
  } else {
    for (const e of ['zca', 'zcd']) if (userSet.get(e) === false) refused.push(e);
  }
  applyImplied(cfg, userSet);
  validate(cfg, userSet);
  // tsqemu's harts always decode Zca's encodings (IALIGN 16).
  if (cfg.noC && !cfg.ext.has('zca')) refused.push('c');
  // What QEMU would accept but tsqemu cannot give: a base letter off, an extension it lacks.
  if (refused.length) {
    throw new QemuError(refused[0] === 'c'
      ? "CPU property 'c=off' is not supported by tsqemu without zca=on (its harts always decode Zca's 16-bit encodings)"
      : `CPU property '${refused[0]}=off' is not supported by tsqemu (its harts always have rv64imafdc_zicsr_zifencei with S and U modes)`);
  }
  for (const e of [...cfg.ext].sort()) {
    if (e === 'b') continue;
    if (!riscvExtensionInfo(e)) throw new QemuError(`CPU extension '${e}' is not supported by tsqemu`);
  }
  setRiscvCpuCfg(cfg);
  return cfg;
}

/** Implied extensions (riscv_cpu_enable_implied_rules), not over a user's explicit off. */
function applyImplied(cfg: RISCVCPUConfig, userSet: ReadonlyMap<string, boolean>): void {
  for (let changed = true; changed;) {
    changed = false;
    for (const e of [...cfg.ext]) {
      for (const i of IMPLIED[e] ?? []) {
        if (BASE_LETTERS.has(i) || BASE_MULTI.has(i) || cfg.ext.has(i) || userSet.get(i) === false) continue;
        // One an implementation covers without registering it (V's Zve*) stays implicit: the
        // ISA strings (cpu-isa.ts) still name it, as QEMU does.
        if (!riscvExtensionInfo(i)) continue;
        cfg.ext.add(i);
        changed = true;
      }
    }
  }
}

/** QEMU's realize-time checks (riscv_cpu_validate_misa_priv, riscv_cpu_validate_set_extensions)
 * with their texts, for the letters and extensions that can be set here. */
function validate(cfg: RISCVCPUConfig, userSet: Map<string, boolean>): void {
  const has = (e: string): boolean => (BASE_LETTERS.has(e) || BASE_MULTI.has(e)) ? userSet.get(e) !== false : cfg.ext.has(e);
  const fail = (msg: string): never => { throw new CpuModelError(msg); };
  if (has('i') && userSet.get('e')) fail('I and E extensions are incompatible');
  if (!has('i') && !userSet.get('e')) fail('Either I or E extension must be set');
  if (has('s') && !has('u')) fail('Setting S extension without U extension is illegal');
  if (has('h') && !has('i')) fail('H depends on an I base integer ISA with 32 x registers');
  if (has('h') && !has('s')) fail('H extension implicitly requires S-mode');
  if (has('d') && !has('f')) fail('D extension requires F extension');
  if ((has('zfh') || has('zfhmin')) && !has('f')) fail('Zfh/Zfhmin extensions require F extension');
  if (has('zfbfmin') && !has('f')) fail('Zfbfmin extension depends on F extension');
  if (has('zfa') && !has('f')) fail('Zfa extension requires F extension');
  if (has('zawrs') && !has('a')) fail('Zawrs extension requires A extension');
  if ((has('zve32f') || has('zve64f')) && !has('f')) fail('Zve32f/Zve64f extensions require F extension');
  if (has('zve64d') && !has('d')) fail('Zve64d/V extensions require D extension');
  if (has('zvfhmin') && !has('zve32f')) fail('Zvfh/Zvfhmin extensions require Zve32f extension');
  if (has('zvfbfmin') && !has('zve32f')) fail('Zvfbfmin extension depends on Zve32f extension');
  if (has('zvfbfwma') && !has('zvfbfmin')) fail('Zvfbfwma extension depends on Zvfbfmin extension');
  if (has('zvfh') && !has('zfhmin')) fail('Zvfh extensions requires Zfhmin extension');
  if (has('zcf')) fail('Zcf extension is only relevant to RV32');
  if (['zcf', 'zcd', 'zcb', 'zcmp', 'zcmt'].some(has) && !has('zca')) fail('Zcf/Zcd/Zcb/Zcmp/Zcmt extensions require Zca extension');
  if ((has('zcmp') || has('zcmt')) && has('zcd')) fail('Zcmp/Zcmt extensions are incompatible with Zcd extension');
  if ((has('zfinx') || has('zdinx') || has('zhinx') || has('zhinxmin')) && has('f')) fail('Zfinx cannot be supported together with F extension');
  const zve32x = has('zve32x') || has('v');
  if ((has('zvbc') || has('zvknhb') || has('zvksc') || has('zvknc')) && !(has('zve64x') || has('v'))) fail('Zvbc and Zvknhb extensions require V or Zve64x extensions');
  if (['zvkb', 'zvkg', 'zvkned', 'zvknha', 'zvksed', 'zvksh', 'zvbb', 'zvkt'].some(has) && !zve32x) fail('Vector crypto extensions require V or Zve* extensions');
  if (has('v')) {
    if (cfg.elen < 8 || cfg.elen > 64) fail('Vector extension implementation only supports ELEN in the range [8, 64]');
    if (cfg.vlen < 128 || cfg.vlen > 65536) fail('Vector extension implementation only supports VLEN in the range [128, 65536]');
    if (cfg.vlen > 1024) throw new QemuError(`vlen=${cfg.vlen} is not supported by tsqemu (128 to 1024)`);
    if (cfg.elen !== 64 && cfg.elen !== 32) throw new QemuError(`elen=${cfg.elen} is not supported by tsqemu (32 or 64)`);
  }
  // The implementations' own dependencies (registerRiscvExtension's requires).
  for (const e of cfg.ext) {
    for (const r of riscvExtensionInfo(e)?.requires ?? []) {
      if (!has(r)) fail(`${upper(e)} extension requires ${upper(r)} extension`);
    }
  }
}

/** pmu-mask: a uint32 (decimal or 0x hex, as QEMU's string visitor), checked as riscv_pmu_init. */
function parsePmuMask(v: string, cantApply: (k: string, v: string, why: string) => Error): number {
  const ok = /^(0x[0-9a-f]+|0[0-7]*|[1-9]\d*)$/i.test(v);
  const n = ok ? Number(/^0[0-7]+$/.test(v) ? Number.parseInt(v, 8) : v) : Number.NaN;
  if (!Number.isSafeInteger(n)) throw cantApply('pmu-mask', v, "Parameter 'pmu-mask' expects uint64");
  if (n > 0xffffffff) throw cantApply('pmu-mask', v, "Parameter 'pmu-mask' expects uint32");
  if (n & 7) throw new CpuModelError('"pmu-mask" contains invalid bits (0-2) set');
  return n;
}

/** vlen/elen/cb*_blocksize: uint16 properties with QEMU's set-time checks. */
function setNumber(cfg: RISCVCPUConfig, k: string, v: string, cantApply: (k: string, v: string, why: string) => Error): void {
  // QEMU's string input visitor reads a uint64, the property then wants a uint16.
  if (!/^\d+$/.test(v)) throw cantApply(k, v, `Parameter '${k}' expects uint64`);
  if (Number(v) > 65535) throw cantApply(k, v, `Parameter '${k}' expects uint16`);
  const n = Number(v);
  const pow2 = n > 0 && (n & (n - 1)) === 0;
  if (k === 'vlen') {
    if (!pow2) throw new CpuModelError('Vector extension VLEN must be power of 2');
    cfg.vlen = n;
  } else if (k === 'elen') {
    if (!pow2) throw new CpuModelError('Vector extension ELEN must be power of 2');
    cfg.elen = n;
  } else {
    if (n !== 64) throw new QemuError(`${k}=${v} is not supported by tsqemu (64 only)`);
  }
}
