// Guest RAM on transparent huge pages, as QEMU advises its RAM blocks (qemu_madvise
// QEMU_MADV_HUGEPAGE). V8 maps the WebAssembly.Memory with 4 KiB pages; with the host's THP in
// `madvise` mode (Debian's default) each 2 MiB the guest touches is then one page fault instead
// of up to 512. A Linux boot touches ~18 MiB of RAM packed into ~14 huge pages: ~4.7k faults of
// ~14 us each on a paravirtualised host (README, "Where a boot's CPU goes", round 7).
// TSQEMU_HUGEPAGES=0 (or no native addon) leaves the memory as V8 made it.
import { procAddonFunction } from './proc-addon.js';

type HugePages = (view: Uint8Array) => number;

function nativeHugePages(): HugePages | null {
  return process.env.TSQEMU_HUGEPAGES === '0' ? null : procAddonFunction<HugePages>('hugePages');
}

/** Advise huge pages for the whole 2 MiB pages of `bytes`; false when that was not possible
 * (no addon, an older addon, or the host refused: nothing changes then). */
export function adviseHugePages(bytes: Uint8Array): boolean {
  const advise = nativeHugePages();
  return advise !== null && advise(bytes) === 0;
}
