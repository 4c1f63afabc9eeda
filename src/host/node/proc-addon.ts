// One function of the optional native addon native/tsqemu_proc.c (built at npm install when a C
// compiler is there): null when TSQEMU_NO_NATIVE is set, the addon is missing, or it is an older
// build without that function, so every caller keeps a portable path.
import { createRequire } from 'node:module';
import { nativeAddonPath } from './dist-path.js';

export function procAddonFunction<F extends (...args: never[]) => unknown>(name: string): F | null {
  if (process.env.TSQEMU_NO_NATIVE) return null;
  try {
    const proc = createRequire(import.meta.url)(nativeAddonPath('tsqemu_proc')) as Record<string, unknown>;
    const f = proc[name];
    return typeof f === 'function' ? (f as F) : null;
  } catch { return null; }
}
