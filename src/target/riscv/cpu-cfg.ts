// RISCVCPUConfig (QEMU's cpu_cfg.h): which extensions the hart has. One per process (thread),
// fixed before the first hart is created: -cpu parsing sets it in system mode, the user-mode
// front end takes the model's defaults. The interpreter and the block compiler read it when
// they generate code, so a disabled extension's encodings stay illegal instructions.
//
// Extensions are known by QEMU's property names, lower case ('zba', 'v', 'h', 'sstc').
// Each extension's implementation registers itself (registerRiscvExtension) from its own
// module; -cpu accepts `name=on|off` only for registered extensions, and refuses the others
// with a clear message, so no property is ever accepted and then ignored.

export interface RISCVExtensionInfo {
  /** QEMU's property name. */
  readonly name: string;
  /** On in the rv64 model by default (QEMU 10.2's default when implemented here). */
  readonly defaultOn?: boolean;
  /** Extensions this one needs (QEMU's dependency checks); enabling it without them is refused. */
  readonly requires?: readonly string[];
}

export interface RISCVCPUConfig {
  /** -cpu model name ('rv64', 'max', ...). */
  model: string;
  /** Enabled extensions beyond the base rv64imafdc_zicsr_zifencei_zihintpause. */
  readonly ext: Set<string>;
  /** V: VLEN and ELEN in bits. */
  vlen: number;
  elen: number;
  /** Zicbom/Zicboz/Zicbop cache block sizes in bytes. */
  cbomBlocksize: number;
  cbozBlocksize: number;
  cbopBlocksize: number;
  /** priv_spec ('1.13.0' unless the model says otherwise; sifive-u54 is '1.10.0'). */
  privSpec?: string;
  /** The largest satp mode accepted (8 Sv39, 9 Sv48, 10 Sv57; default 10). */
  satpMax?: number;
  /** A vendor model without Zihintpause in its ISA string (pause still executes as a hint). */
  noZihintpause?: boolean;
  /** misa.C off (`c=false`; only with Zca, whose 16-bit encodings stay: trans_rvzce.ts). */
  noC?: boolean;
  /** pmu-mask: the programmable counters mhpmcounter3..31 present (absent: QEMU's 0x7fff8). */
  pmuMask?: number;
  /** debug=false: no Sdtrig trigger module (absent: on, as QEMU's). */
  debug?: boolean;
}

const registry = new Map<string, RISCVExtensionInfo>();

/** Called once at module load by each extension's implementation. */
export function registerRiscvExtension(info: RISCVExtensionInfo): void {
  registry.set(info.name, info);
}

export function riscvExtensionInfo(name: string): RISCVExtensionInfo | undefined {
  return registry.get(name);
}

export function riscvRegisteredExtensions(): RISCVExtensionInfo[] {
  return [...registry.values()];
}

function defaults(): RISCVCPUConfig {
  return { model: 'rv64', ext: new Set(), vlen: 128, elen: 64, cbomBlocksize: 64, cbozBlocksize: 64, cbopBlocksize: 64 };
}

let current: RISCVCPUConfig | null = null;

/** The process's configuration: the one -cpu set, else the rv64 defaults (taken on first use,
 * after every extension module has registered). */
export function riscvCpuCfg(): RISCVCPUConfig {
  return (current ??= defaultFactory ? defaultFactory() : riscvDefaultCpuCfg());
}

let defaultFactory: (() => RISCVCPUConfig) | null = null;
/** The model layer (cpu-models.ts) supplies the configuration used when no -cpu was given. */
export function setRiscvDefaultCpuCfgFactory(f: () => RISCVCPUConfig): void {
  defaultFactory = f;
}

/** Replace the configuration: only before any hart or generated module exists. */
export function setRiscvCpuCfg(cfg: RISCVCPUConfig): void {
  current = cfg;
}

/** A fresh configuration for `model` with the registered extensions that are on by default. */
export function riscvDefaultCpuCfg(model = 'rv64'): RISCVCPUConfig {
  const c = defaults();
  c.model = model;
  for (const e of registry.values()) if (e.defaultOn) c.ext.add(e.name);
  return c;
}

export function riscvCpuHas(ext: string): boolean {
  return riscvCpuCfg().ext.has(ext);
}

/** A key that changes whenever generated code would differ (caches of generated modules). */
export function riscvCpuCfgKey(c: RISCVCPUConfig = riscvCpuCfg()): string {
  return `${[...c.ext].sort().join('_')}/${c.vlen}/${c.elen}${c.noC ? '/noc' : ''}`;
}
