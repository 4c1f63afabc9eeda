// QEMU 10.2's view of a RISC-V CPU's extensions as data (target/riscv/cpu.c, tcg-cpu.c): the
// multi-letter properties with their defaults, the canonical order of the ISA string
// (isa_edata_arr), the implied-extension rules, the named features, and the strings built from
// an enabled set (riscv,isa, riscv,isa-extensions, misa). No behaviour here, only tables.
import type { RISCVCPUConfig } from './cpu-cfg.js';

/** riscv_cpu_extensions[]: every multi-letter property and its default on generic CPUs (rv64). */
export const QEMU_MULTI_EXT_DEFAULTS: Readonly<Record<string, boolean>> = {
  sscofpmf: false, smcntrpmf: false, smcsrind: false, smcdeleg: false, sscsrind: false, ssccfg: false, smctr: false,
  ssctr: false, zifencei: true, zicfilp: false, zicfiss: false, zicsr: true, zihintntl: true, zihintpause: true,
  zimop: false, zcmop: false, zacas: false, zama16b: false, zabha: false, zaamo: false, zalrsc: false, zawrs: true,
  zfa: true, zfbfmin: false, zfh: false, zfhmin: false, zve32f: false, zve32x: false, zve64f: false, zve64d: false,
  zve64x: false, zvfbfmin: false, zvfbfwma: false, zvfh: false, zvfhmin: false, sstc: true, ssnpm: false, sspm: false,
  supm: false, smaia: false, smdbltrp: false, smepmp: false, smrnmi: false, smmpm: false, smnpm: false,
  smstateen: false, ssaia: false, ssdbltrp: false, svade: false, svadu: true, svinval: false, svnapot: false,
  svpbmt: false, svvptc: true, zicntr: true, zihpm: true, zba: true, zbb: true, zbc: true, zbkb: false, zbkc: false,
  zbkx: false, zbs: true, zk: false, zkn: false, zknd: false, zkne: false, zknh: false, zkr: false, zks: false,
  zksed: false, zksh: false, zkt: false, ztso: false, zdinx: false, zfinx: false, zhinx: false, zhinxmin: false,
  zicbom: true, zicbop: true, zicboz: true, zmmul: false, zca: false, zcb: false, zcd: false, zce: false, zcf: false,
  zcmp: false, zcmt: false, zicond: false, zvbb: false, zvbc: false, zvkb: false, zvkg: false, zvkned: false,
  zvknha: false, zvknhb: false, zvksed: false, zvksh: false, zvkt: false, zvkn: false, zvknc: false, zvkng: false,
  zvks: false, zvksc: false, zvksg: false,
};

/** isa_edata_arr: the order extensions appear in riscv,isa and riscv,isa-extensions. */
export const ISA_EDATA_ORDER: readonly string[] = [
  'zic64b', 'zicbom', 'zicbop', 'zicboz', 'ziccamoa', 'ziccif', 'zicclsm', 'ziccrse', 'zicfilp', 'zicfiss', 'zicond',
  'zicntr', 'zicsr', 'zifencei', 'zihintntl', 'zihintpause', 'zihpm', 'zimop', 'zmmul', 'za64rs', 'zaamo', 'zabha',
  'zacas', 'zama16b', 'zalrsc', 'zawrs', 'zfa', 'zfbfmin', 'zfh', 'zfhmin', 'zfinx', 'zdinx', 'zca', 'zcb', 'zcf',
  'zcd', 'zce', 'zcmop', 'zcmp', 'zcmt', 'zba', 'zbb', 'zbc', 'zbkb', 'zbkc', 'zbkx', 'zbs', 'zk', 'zkn', 'zknd',
  'zkne', 'zknh', 'zkr', 'zks', 'zksed', 'zksh', 'zkt', 'ztso', 'zvbb', 'zvbc', 'zve32f', 'zve32x', 'zve64f', 'zve64d',
  'zve64x', 'zvfbfmin', 'zvfbfwma', 'zvfh', 'zvfhmin', 'zvkb', 'zvkg', 'zvkn', 'zvknc', 'zvkned', 'zvkng', 'zvknha',
  'zvknhb', 'zvks', 'zvksc', 'zvksed', 'zvksg', 'zvksh', 'zvkt', 'zhinx', 'zhinxmin', 'sdtrig', 'shcounterenw', 'sha', 'shgatpa',
  'shtvala', 'shvsatpa', 'shvstvala', 'shvstvecd', 'smaia', 'smcdeleg', 'smcntrpmf', 'smcsrind', 'smdbltrp', 'smepmp',
  'smrnmi', 'smmpm', 'smnpm', 'smstateen', 'ssaia', 'ssccfg', 'ssccptr', 'sscofpmf', 'sscounterenw', 'sscsrind',
  'ssdbltrp', 'ssnpm', 'sspm', 'ssstateen', 'sstc', 'sstvala', 'sstvecd', 'ssu64xl', 'supm', 'svade', 'smctr', 'ssctr',
  'svadu', 'svinval', 'svnapot', 'svpbmt', 'svukte', 'svvptc',
];

/** riscv_single_letter_exts: the misa letters riscv,isa spells, in this order. */
export const SINGLE_LETTERS = 'iemafdqcbpvh';

/** Named features QEMU sets from the privileged spec version (has_priv_1_11 / has_priv_1_12). */
const NAMED_PRIV_1_11 = ['ziccamoa', 'ziccif', 'zicclsm', 'ssccptr', 'ziccrse'];
const NAMED_PRIV_1_12_S = ['sscounterenw', 'sstvala', 'sstvecd', 'ssu64xl'];
const NAMED_PRIV_1_12_H = ['shcounterenw', 'shgatpa', 'shtvala', 'shvsatpa', 'shvstvala', 'shvstvecd'];

/** riscv_multi_ext_implied_rules / riscv_misa_ext_implied_rules (misa letters as names). */
export const IMPLIED: Readonly<Record<string, readonly string[]>> = {
  a: ['zaamo', 'zalrsc'], d: ['f'], f: ['zicsr'], m: ['zmmul'], v: ['zve64d'], b: ['zba', 'zbb', 'zbs'],
  zcb: ['zca'], zcd: ['d', 'zca'], zce: ['zcb', 'zcmp', 'zcmt'], zcf: ['f', 'zca'], zcmp: ['zca'], zcmt: ['zca', 'zicsr'],
  zdinx: ['zfinx'], zfa: ['f'], zfbfmin: ['f'], zfh: ['zfhmin'], zfhmin: ['f'], zfinx: ['zicsr'], zhinx: ['zhinxmin'],
  zhinxmin: ['zfinx'], zicntr: ['zicsr'], zihpm: ['zicsr'], zk: ['zkn', 'zkr', 'zkt'],
  zkn: ['zbkb', 'zbkc', 'zbkx', 'zkne', 'zknd', 'zknh'], zks: ['zbkb', 'zbkc', 'zbkx', 'zksed', 'zksh'], zvbb: ['zvkb'],
  zve32f: ['f', 'zve32x'], zve32x: ['zicsr'], zve64d: ['d', 'zve64f'], zve64f: ['f', 'zve32f', 'zve64x'],
  zve64x: ['zve32x'], zvfbfmin: ['zve32f'], zvfbfwma: ['zvfbfmin', 'zfbfmin'], zvfh: ['zvfhmin', 'zfhmin'],
  zvfhmin: ['zve32f'], zvkn: ['zvkned', 'zvknhb', 'zvkb', 'zvkt'], zvknc: ['zvkn', 'zvbc'], zvkng: ['zvkn', 'zvkg'],
  zvknhb: ['zve64x'], zvks: ['zvksed', 'zvksh', 'zvkb', 'zvkt'], zvksc: ['zvks', 'zvbc'], zvksg: ['zvks', 'zvkg'],
  ssccfg: ['smcsrind', 'sscsrind', 'smcdeleg'], supm: ['ssnpm', 'smnpm'], sspm: ['smnpm'], smctr: ['s', 'sscsrind'],
  ssctr: ['s', 'sscsrind'],
};

/** Privileged-spec version per extension (isa_edata_arr's min_version): QEMU turns off the ones
 * newer than the CPU's priv_spec (sifive-u54 is 1.10.0). */
const MIN_PRIV_1_12 = new Set(ISA_EDATA_ORDER.filter((e) => !['zicsr', 'zifencei', 'zihintntl', 'zihintpause', 'zve32f',
  'zve32x', 'zve64f', 'zve64d', 'zve64x', 'zfh', 'zfhmin', 'svade', ...NAMED_PRIV_1_11,
  // riscv_cpu_disable_priv_spec_isa_exts keeps these two: QEMU had the counters before the ISA named them.
  'zicntr', 'zihpm'].includes(e)));

/** The misa letters of a configuration: the base (imafdc, and s/u), plus h, v, b when on. */
export function misaLetters(cfg: RISCVCPUConfig): string {
  let s = cfg.noC ? 'imafd' : 'imafdc';
  for (const l of ['b', 'v', 'h']) if (cfg.ext.has(l)) s += l;
  return s + 'su';
}

/** misa's value: MXL = 2 (RV64) and one bit per letter. */
export function misaValue(cfg: RISCVCPUConfig): bigint {
  let v = 2n << 62n;
  for (const l of misaLetters(cfg)) v |= 1n << BigInt(l.charCodeAt(0) - 97);
  return v;
}

/** Apply the implied rules to a closed set (in place). */
export function addImplied(exts: Set<string>): void {
  let changed = true;
  while (changed) {
    changed = false;
    for (const e of [...exts]) {
      for (const i of IMPLIED[e] ?? []) if (!exts.has(i)) { exts.add(i); changed = true; }
    }
  }
}

/** Every multi-letter extension riscv,isa names for `cfg`, in QEMU's order: the enabled ones,
 * the ones the base implies (zmmul, zaamo, zalrsc, zca, zcd with C and D, as QEMU 10.2 for a
 * priv 1.12+ CPU), and the named features that hold for this implementation. */
export function isaExtensions(cfg: RISCVCPUConfig): string[] {
  const priv = cfg.privSpec ?? '1.13.0';
  const on = new Set(cfg.ext);
  for (const b of ['zicsr', 'zifencei']) on.add(b);
  if (!cfg.noZihintpause) on.add('zihintpause');
  for (const l of misaLetters(cfg)) on.add(l);
  addImplied(on);
  if (on.has('c')) { on.add('zca'); if (on.has('d')) on.add('zcd'); }
  if (priv !== '1.10.0') for (const n of NAMED_PRIV_1_11) on.add(n);
  if (priv === '1.12.0' || priv === '1.13.0') {
    for (const n of ['za64rs', ...NAMED_PRIV_1_12_S]) on.add(n);
    if (on.has('h')) for (const n of NAMED_PRIV_1_12_H) on.add(n);
  }
  if (cfg.cbomBlocksize === 64 && cfg.cbopBlocksize === 64 && cfg.cbozBlocksize === 64 && priv !== '1.10.0') on.add('zic64b');
  if (cfg.debug !== false) on.add('sdtrig'); // ISA_EXT_DATA_ENTRY(sdtrig, ..., debug)
  if (on.has('smstateen')) on.add('ssstateen');
  if (on.has('h') && on.has('ssstateen')) on.add('sha');
  return ISA_EDATA_ORDER.filter((e) => on.has(e) && (priv !== '1.10.0' || !MIN_PRIV_1_12.has(e)));
}

/** riscv,isa (riscv_isa_string): rv64 + the single letters + _ext for each extension. */
export function isaString(cfg: RISCVCPUConfig): string {
  const m = misaLetters(cfg);
  const letters = [...SINGLE_LETTERS].filter((l) => m.includes(l)).join('');
  return ['rv64' + letters, ...isaExtensions(cfg)].join('_');
}

/** riscv,isa-extensions (riscv_isa_extensions_list): the single letters, then the rest. */
export function isaExtensionsList(cfg: RISCVCPUConfig): string[] {
  const m = misaLetters(cfg);
  return [...[...SINGLE_LETTERS].filter((l) => m.includes(l)), ...isaExtensions(cfg)];
}
