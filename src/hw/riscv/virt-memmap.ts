// QEMU's RISC-V virt board: physical memory map and PLIC interrupt numbers (hw/riscv/virt.c).

export const enum VirtIRQ {
  VIRTIO = 1, // VIRTIO_IRQ .. VIRTIO_IRQ + VIRTIO_COUNT - 1
  UART0 = 10,
  RTC = 11,
  PCIE = 0x20, // PCIE_IRQ .. +3 (INTA..INTD)
}

export const VIRTIO_COUNT = 8;
/** PLIC interrupt sources (riscv,ndev), VIRT_IRQCHIP_NUM_SOURCES. */
export const PLIC_NUM_SOURCES = 96;
export const PLIC_NUM_PRIORITIES = 7;
/** mtime ticks per second (CLINT timebase, RISCV_ACLINT_DEFAULT_TIMEBASE_FREQ). */
export const TIMEBASE_FREQ = 10_000_000;
/** ns16550a input clock (3.6864 MHz). */
export const UART_CLOCK = 3686400;
export const VIRT_CPUS_MAX = 512;

export const VIRT_MEMMAP = {
  debug: { base: 0x0, size: 0x100 },
  mrom: { base: 0x1000, size: 0xf000 },
  test: { base: 0x100000, size: 0x1000 },
  rtc: { base: 0x101000, size: 0x1000 },
  clint: { base: 0x2000000, size: 0x10000 },
  pcieRam: { base: 0x3000000, size: 0x10000 }, // PCI I/O port window
  platformBus: { base: 0x4000000, size: 0x2000000 },
  plic: { base: 0xc000000, size: 0x200000 + VIRT_CPUS_MAX * 2 * 0x1000 },
  uart0: { base: 0x10000000, size: 0x100 },
  virtio: { base: 0x10001000, size: 0x1000 },
  fwCfg: { base: 0x10100000, size: 0x18 },
  flash: { base: 0x20000000, size: 0x4000000 },
  pcieEcam: { base: 0x30000000, size: 0x10000000 },
  pcieMmio: { base: 0x40000000, size: 0x40000000 },
  dram: { base: 0x80000000, size: 0 },
} as const;

/** The 64-bit PCIe MMIO window above RAM (virt_high_pcie_memmap for RAM below 16 GiB). */
export const VIRT_HIGH_PCIE_MMIO = { base: 0x4_0000_0000, size: 0x4_0000_0000 };

/** virt_high_pcie_memmap for any RAM size: 16 GiB, at the first 16 GiB boundary above DRAM. */
export function virtHighPcieMmio(ramSize: number): { base: number; size: number } {
  const size = VIRT_HIGH_PCIE_MMIO.size;
  return { base: Math.ceil((VIRT_MEMMAP.dram.base + ramSize) / size) * size, size };
}

/** The ISA string our CPU model advertises (the extensions target/riscv implements). */
export const VIRT_DEFAULT_ISA = 'rv64imafdc_zicsr_zifencei_zihintpause';
