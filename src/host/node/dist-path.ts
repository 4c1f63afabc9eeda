// Where the emulator's files are, found from the running code itself. The same module runs as
// tsc's output (dist/host/node/dist-path.js) and inside a bundle (dist/cli/riscv64.js,
// dist/host/node/user-worker.js...: scripts/build-bundle.js), where import.meta.url is the
// bundle's: so paths are taken from the enclosing `dist` directory, never relative to this file.
import { dirname, join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

function findDist(): string {
  const here = fileURLToPath(import.meta.url);
  const i = here.lastIndexOf(`${sep}dist${sep}`);
  // Not under dist/ (run from elsewhere): the layout of tsc's output.
  return i >= 0 ? here.slice(0, i + 5) : join(dirname(here), '..', '..');
}

/** The package's dist/ directory. */
export const DIST_DIR = findDist();
/** The package's root (package.json, native/, pc-bios/, images/). */
export const PACKAGE_ROOT = dirname(DIST_DIR);

/** A file of dist/ (e.g. 'cli/riscv64.js'). */
export function distFile(rel: string): string {
  return join(DIST_DIR, rel);
}

/** A native addon's path (native/build/Release/NAME.node). */
export function nativeAddonPath(name: string): string {
  return join(PACKAGE_ROOT, 'native', 'build', 'Release', `${name}.node`);
}
