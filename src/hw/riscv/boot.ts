// RISC-V boot helpers (QEMU's hw/riscv/boot.c): firmware and kernel loaders (ELF or raw at
// QEMU's addresses), initrd and DTB placement, and the MROM reset vector with
// fw_dynamic_info for OpenSBI's fw_dynamic.
import { QemuError } from '../../qemu/error.js';

const MiB = 1024 * 1024;
export const FW_DYNAMIC_INFO_MAGIC = 0x4942534f; // "OSBI"
export const FW_DYNAMIC_INFO_VERSION = 2;
export const FW_DYNAMIC_INFO_NEXT_MODE_S = 1;

/** One blob to place in guest memory (kept so a system reset can copy it again, as QEMU's ROMs). */
export interface BootBlob { addr: number; data: Uint8Array; what: string }

/** A loaded ELF: its entry point and the blobs of its PT_LOAD segments. */
export interface LoadedImage { entry: number; end: number; blobs: BootBlob[] }

const EM_RISCV = 243;
const PT_LOAD = 1;

/** Load an ELF64 little-endian RISC-V executable by physical address; null if not an ELF. */
export function loadElf(image: Uint8Array, what: string): LoadedImage | null {
  if (image.length < 64 || image[0] !== 0x7f || image[1] !== 0x45 || image[2] !== 0x4c || image[3] !== 0x46) return null;
  const bad = (why: string) => new QemuError(`could not load ${what}: ${why}`);
  const dv = new DataView(image.buffer, image.byteOffset, image.byteLength);
  if (image[4] !== 2 || image[5] !== 1) throw bad('not a 64-bit little-endian ELF');
  if (dv.getUint16(18, true) !== EM_RISCV) throw bad('not a RISC-V ELF');
  const entry = Number(dv.getBigUint64(24, true));
  const phoff = Number(dv.getBigUint64(32, true));
  const phentsize = dv.getUint16(54, true);
  const phnum = dv.getUint16(56, true);
  if (phentsize < 56 || phoff + phnum * phentsize > image.length) throw bad('program headers out of the file');
  const blobs: BootBlob[] = [];
  let end = 0;
  for (let i = 0; i < phnum; i++) {
    const p = phoff + i * phentsize;
    if (dv.getUint32(p, true) !== PT_LOAD) continue;
    const offset = Number(dv.getBigUint64(p + 8, true));
    const paddr = Number(dv.getBigUint64(p + 24, true));
    const filesz = Number(dv.getBigUint64(p + 32, true));
    const memsz = Number(dv.getBigUint64(p + 40, true));
    if (offset + filesz > image.length || filesz > memsz || memsz > 4 * 1024 * MiB) throw bad('segment out of the file');
    const data = new Uint8Array(memsz); // the bss part stays zero
    data.set(image.subarray(offset, offset + filesz));
    blobs.push({ addr: paddr, data, what });
    end = Math.max(end, paddr + memsz);
  }
  return { entry, end, blobs };
}

/** riscv_load_firmware: an ELF, or a raw binary at `addr`. Returns the end address. */
export function loadFirmware(image: Uint8Array, addr: number): LoadedImage {
  const elf = loadElf(image, 'firmware');
  if (elf) return elf;
  return { entry: addr, end: addr + image.length, blobs: [{ addr, data: image, what: 'firmware' }] };
}

/** riscv_calc_kernel_start_addr: the first 2 MiB boundary after the firmware (RV64). */
export function kernelStartAddr(firmwareEnd: number | undefined, dramBase: number): number {
  if (firmwareEnd === undefined) return dramBase;
  return Math.ceil(firmwareEnd / (2 * MiB)) * 2 * MiB;
}

/** riscv_load_kernel: an ELF at its physical addresses, else a raw Image at `start`. */
export function loadKernel(image: Uint8Array, start: number): LoadedImage {
  const elf = loadElf(image, 'kernel');
  if (elf) return elf;
  return { entry: start, end: start + image.length, blobs: [{ addr: start, data: image, what: 'kernel' }] };
}

/** riscv_load_initrd: half of RAM past the kernel, at most 128 MiB past it. */
export function placeInitrd(initrdSize: number, kernelEntry: number, dramBase: number, ramSize: number): { start: number; end: number } {
  const start = kernelEntry + Math.min(ramSize / 2, 128 * MiB);
  const end = start + initrdSize;
  if (end > dramBase + ramSize) throw new QemuError('could not load initial ram disk: it does not fit in RAM');
  return { start, end };
}

/** riscv_compute_fdt_addr: 2 MiB aligned, as high as possible below min(end of RAM, 3 GiB). */
export function fdtAddr(dramBase: number, ramSize: number, fdtSize: number): number {
  const dramEnd = dramBase + ramSize;
  const top = dramBase < 3072 * MiB ? Math.min(dramEnd, 3072 * MiB) : dramEnd;
  return Math.floor((top - fdtSize) / (2 * MiB)) * 2 * MiB;
}

/**
 * The MROM reset vector (riscv_setup_rom_reset_vec) followed by fw_dynamic_info:
 *   auipc t0, 0          ; t0 = 0x1000
 *   addi  a2, t0, 40     ; a2 = &fw_dynamic_info
 *   csrr  a0, mhartid
 *   ld    a1, 32(t0)     ; a1 = fdt address
 *   ld    t0, 24(t0)     ; t0 = start address
 *   jr    t0
 *   .dword start, fdt
 *   fw_dynamic_info { magic, version, next_addr, next_mode, options, boot_hart }
 */
export function resetVector(startAddr: number, fdtLoadAddr: number, kernelEntry: number): Uint8Array {
  const code = [0x00000297, 0x02828613, 0xf1402573, 0x0202b583, 0x0182b283, 0x00028067];
  const out = new Uint8Array(24 + 16 + 48);
  const dv = new DataView(out.buffer);
  code.forEach((insn, i) => dv.setUint32(i * 4, insn, true));
  dv.setBigUint64(24, BigInt(startAddr), true);
  dv.setBigUint64(32, BigInt(fdtLoadAddr), true);
  const info = [FW_DYNAMIC_INFO_MAGIC, FW_DYNAMIC_INFO_VERSION, kernelEntry, FW_DYNAMIC_INFO_NEXT_MODE_S, 0, 0];
  info.forEach((v, i) => dv.setBigUint64(40 + i * 8, BigInt(v), true));
  return out;
}
