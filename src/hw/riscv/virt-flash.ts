// The virt board's two CFI flash banks (virt_flash_create/virt_flash_map in QEMU's virt.c):
// cfi.pflash01, 32 MiB each at 0x20000000 and 0x22000000, 256 KiB sectors, a 4-byte bank of
// two x16 chips. Bank 0 with a drive is the boot flash (see bootFromFlash).
import { PFlashCFI01 } from '../block/pflash_cfi01.js';
import type { AddressSpace } from '../../exec/memory.js';
import { VIRT_MEMMAP as M } from './virt-memmap.js';

export const VIRT_FLASH_SECTOR_SIZE = 256 * 1024;
const BANK_SIZE = M.flash.size / 2;

export function createVirtFlash(): PFlashCFI01[] {
  return [0, 1].map((i) => new PFlashCFI01({
    name: `virt.flash${i}`, sectorLen: VIRT_FLASH_SECTOR_SIZE, numBlocks: BANK_SIZE / VIRT_FLASH_SECTOR_SIZE, width: 4, deviceWidth: 2,
  }));
}

export function mapVirtFlash(as: AddressSpace, flash: readonly PFlashCFI01[]): void {
  flash.forEach((f, i) => as.addMmio(`virt.flash${i}`, M.flash.base + i * BANK_SIZE, BANK_SIZE, f));
}

/**
 * virt_machine_done: with a drive on pflash0 and -bios none the harts jump to the flash; with a
 * firmware the flash holds its next stage (an S-mode payload) instead of -kernel.
 */
export function flashBoot(flash: readonly PFlashCFI01[], hasBios: boolean): { startAddr?: number; kernelEntry?: number } {
  if (!flash[0]?.hasDrive) return {};
  return hasBios ? { kernelEntry: M.flash.base } : { startAddr: M.flash.base };
}
