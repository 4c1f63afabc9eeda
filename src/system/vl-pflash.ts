// -drive if=pflash (QEMU's drive_new for IF_PFLASH on the virt board): unit numbering, the
// default ids pflash0/pflash1, and QEMU's errors. -machine pflash0=/pflash1= name -blockdev nodes.
import { QemuError, optError } from '../qemu/error.js';
import type { SystemConfig } from './vl.js';

/** Keys a pflash -drive takes beyond the common ones. */
export const PFLASH_DRIVE_KEYS = ['unit', 'bus'];
/** Flash banks of the virt board. */
export const PFLASH_UNITS = 2;

/** Give each if=pflash drive its unit (index=, unit=, or the first free one) and its id. */
export function assignPflashUnits(cfg: SystemConfig): void {
  const taken = new Set<number>();
  for (const d of cfg.drives) {
    if (d.if !== 'pflash') continue;
    const fail = (m: string) => optError('-drive', d.text, m);
    const num = (k: string) => {
      const v = d.opts.get(k);
      if (v === undefined) return undefined;
      if (!/^\d+$/.test(v)) throw fail(`Parameter '${k}' expects a number`);
      return Number(v);
    };
    const index = num('index'), unit0 = num('unit'), bus = num('bus');
    if (index !== undefined && (unit0 !== undefined || bus !== undefined)) throw fail('index cannot be used with bus and unit');
    if (bus !== undefined && bus !== 0) throw fail(`machine type does not support if=pflash,bus=${bus},unit=${unit0 ?? 0}`);
    let unit = index ?? unit0;
    if (unit === undefined) { unit = 0; while (taken.has(unit)) unit++; }
    if (taken.has(unit)) throw fail(`drive with bus=0, unit=${unit} (index=${index ?? -1}) exists`);
    if (unit >= PFLASH_UNITS) throw fail(`machine type does not support if=pflash,bus=0,unit=${unit}`);
    taken.add(unit);
    d.opts.set('unit', String(unit));
    if (!d.opts.has('id')) d.id = `pflash${unit}`;
  }
}

/** The unit of a pflash drive (after assignPflashUnits). */
export function pflashUnit(opts: ReadonlyMap<string, string>): number {
  const u = Number(opts.get('unit'));
  if (!(u >= 0 && u < PFLASH_UNITS)) throw new QemuError('pflash drive without a unit');
  return u;
}
