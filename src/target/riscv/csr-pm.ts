// The pointer masking CSR fields (pointer-masking.ts): PMM in menvcfg (Smnpm), senvcfg and
// henvcfg (Ssnpm), mseccfg (Smmpm, which makes mseccfg exist), HUPMM in hstatus (Ssnpm); a
// write of the reserved 01 leaves the field as it was (QEMU's "valid according to Zjpm v1.0"
// rule). Each write of these and of the CSRs the transformation depends on (satp, vsatp,
// vsstatus; mstatus goes through riscvUpdateMmuIdx) recomputes it. The rows are wrapped when
// the first hart resets (riscvPmUpdate), once every module has defined its own: importing
// csr-h.ts or csr-zkr.ts here would change the order other modules wrap shared rows in.
import { riscvCpuHas } from './cpu-cfg.js';
import { type CsrDef, riscvCsrDefine, riscvCsrLookup } from './csr.js';
import { PMM_RESERVED, riscvPmSetCsrInstaller, riscvPmUpdate } from './pointer-masking.js';

// --- CSRs -----------------------------------------------------------------------------------
/** v with its PMM bits (at `shift`) set to what a write of `written` leaves: the written value
 * unless it is the reserved 01 (then the old one). */
function warlPmm(v: bigint, old: bigint, written: bigint, shift: bigint): bigint {
  const m = 3n << shift;
  const p = (written >> shift) & 3n;
  return (v & ~m) | (p === BigInt(PMM_RESERVED) ? old & m : written & m);
}

/** Wrap row `csrno` so its PMM field (bits 33:32, or `shift`) follows the WARL rule when `ext`
 * is on, and every write recomputes the transformation. */
function wrapPmm(csrno: number, field: string, ext: string, shift = 32n): void {
  const base = riscvCsrLookup(csrno);
  if (!base?.write) return;
  const write = base.write;
  riscvCsrDefine(csrno, {
    ...base,
    write: (env, n, v, m) => {
      const old = env.get64(field);
      const r = write(env, n, v, m);
      if (riscvCpuHas(ext)) env.set64(field, warlPmm(env.get64(field), old, v, shift));
      riscvPmUpdate(env);
      return r;
    },
  });
}

/** Wrap row `csrno` so a write recomputes the transformation (satp, vsatp, vsstatus). */
function wrapUpdate(csrno: number): void {
  const base = riscvCsrLookup(csrno);
  if (!base?.write) return;
  const write = base.write;
  riscvCsrDefine(csrno, { ...base, write: (env, n, v, m) => { const r = write(env, n, v, m); riscvPmUpdate(env); return r; } });
}

function install(): void {
  wrapPmm(0x30a, 'menvcfg', 'smnpm');
  wrapPmm(0x10a, 'senvcfg', 'ssnpm');
  wrapPmm(0x60a, 'henvcfg', 'ssnpm');
  wrapPmm(0x600, 'hstatus', 'ssnpm', 48n);
  for (const csrno of [0x180, 0x280, 0x200]) wrapUpdate(csrno);

  // mseccfg: Smmpm makes it exist (as Zkr does) and adds PMM to its USEED/SSEED.
  const CSR_MSECCFG = 0x747;
  const mseccfg: CsrDef | undefined = riscvCsrLookup(CSR_MSECCFG);
  riscvCsrDefine(CSR_MSECCFG, {
    pred: (env, n, w) => riscvCpuHas('smmpm') || (mseccfg?.pred?.(env, n, w) ?? false),
    read: (env) => env.get64('mseccfg'),
    write: (env, n, v, m) => {
      const old = env.get64('mseccfg');
      // Without Zkr the base row's bits (USEED/SSEED) do not exist.
      if (mseccfg?.write && riscvCpuHas('zkr')) mseccfg.write(env, n, v, m);
      else env.set64('mseccfg', 0n);
      if (riscvCpuHas('smmpm')) env.set64('mseccfg', warlPmm(env.get64('mseccfg'), old, v, 32n));
      riscvPmUpdate(env);
      return 0;
    },
  });
}
riscvPmSetCsrInstaller(install);
