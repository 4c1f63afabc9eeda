// The virt board's device tree (QEMU's create_fdt and friends in hw/riscv/virt.c). Nodes and
// properties are written in the order `dtc -I dtb -O dts` shows for QEMU's own dumpdtb, and
// phandles are allocated in QEMU's order (harts from the last down, then PLIC, then test), so
// the decoded trees are identical apart from the random rng-seed.
import { DeviceTree, cells, hiLo } from '../../system/device_tree.js';
import {
  PLIC_NUM_SOURCES, TIMEBASE_FREQ, UART_CLOCK, VIRTIO_COUNT, VIRT_MEMMAP as M, virtHighPcieMmio,
  VirtIRQ,
} from './virt-memmap.js';
import { IRQ_BIT } from '../../target/riscv/hart.js';
import { riscvFdtCpuIsa } from './riscv-isa-fdt.js';
import { riscvCpuCfg } from '../../target/riscv/cpu-cfg.js';
import type { VirtIrqchipConfig } from './virt-aia.js';
import { type IrqchipPhandles, addAclintNodes, addAiaNodes, allocIrqchipPhandles, irqCells } from './virt-aia-fdt.js';
import { riscvPmuMask } from '../../target/riscv/pmu.js';

export interface VirtFdtConfig {
  smp: number;
  ramSize: number;
  isa: string;
  /** -append; omitted from /chosen when undefined. */
  bootargs?: string;
  /** Guest-physical [start, end) of the initrd. */
  initrd?: { start: number; end: number };
  /** 32 random bytes for /chosen/rng-seed. */
  rngSeed: Uint8Array;
  /** aia=/aclint= (absent: PLIC and CLINT). */
  irqchip?: VirtIrqchipConfig;
}

const reg64 = (base: number, size: number) => cells(...hiLo(base), ...hiLo(size));
const hex = (n: number) => n.toString(16);

/** QEMU's riscv,event-to-mhpmcounters table for its default 16 programmable counters. */
function pmuEventMap(): number[] {
  const cmask = riscvPmuMask(); // -cpu pmu-mask (default counters 3..18)
  return [
    0x00001, 0x00001, cmask | 1, // HW_CPU_CYCLES: mcycle or programmable
    0x00002, 0x00002, cmask | 4, // HW_INSTRUCTIONS: minstret or programmable
    0x10019, 0x10019, cmask, // DTLB read miss
    0x1001b, 0x1001b, cmask, // DTLB write miss
    0x10021, 0x10021, cmask, // ITLB read miss
    0, 0, 0, 0, 0,
  ];
}

export function createVirtFdt(c: VirtFdtConfig): DeviceTree {
  const t = new DeviceTree();
  // Phandles in QEMU's allocation order.
  const cpuPh: number[] = [];
  const intcPh: number[] = [];
  for (let h = c.smp - 1; h >= 0; h--) {
    cpuPh[h] = t.allocPhandle();
    intcPh[h] = t.allocPhandle();
  }
  const ic = allocIrqchipPhandles(t, c.irqchip);
  const plicPh = ic.parent;
  const testPh = t.allocPhandle();

  t.setCells('/', '#address-cells', 2);
  t.setCells('/', '#size-cells', 2);
  t.setString('/', 'compatible', 'riscv-virtio');
  t.setString('/', 'model', 'riscv-virtio,qemu');

  if (riscvPmuMask()) { // QEMU's virt makes the node only with counters
    t.addNode('/pmu');
    t.setCells('/pmu', 'riscv,event-to-mhpmcounters', ...pmuEventMap());
    t.setString('/pmu', 'compatible', 'riscv,pmu');
  }

  const fwcfg = `/fw-cfg@${hex(M.fwCfg.base)}`;
  t.addNode(fwcfg);
  t.setProp(fwcfg, 'dma-coherent');
  t.setProp(fwcfg, 'reg', reg64(M.fwCfg.base, M.fwCfg.size));
  t.setString(fwcfg, 'compatible', 'qemu,fw-cfg-mmio');

  const flash = `/flash@${hex(M.flash.base)}`;
  const bank = M.flash.size / 2;
  t.addNode(flash);
  t.setCells(flash, 'bank-width', 4);
  t.setCells(flash, 'reg', ...hiLo(M.flash.base), ...hiLo(bank), ...hiLo(M.flash.base + bank), ...hiLo(bank));
  t.setString(flash, 'compatible', 'cfi-flash');

  addChosen(t, c);

  for (const [name, value] of [['poweroff', 0x5555], ['reboot', 0x7777]] as const) {
    t.addNode(`/${name}`);
    t.setCells(`/${name}`, 'value', value);
    t.setCells(`/${name}`, 'offset', 0);
    t.setCells(`/${name}`, 'regmap', testPh);
    t.setString(`/${name}`, 'compatible', `syscon-${name}`);
  }

  const pbus = `/platform-bus@${hex(M.platformBus.base)}`;
  t.addNode(pbus);
  t.setCells(pbus, 'interrupt-parent', plicPh);
  t.setCells(pbus, 'ranges', 0, 0, M.platformBus.base, M.platformBus.size);
  t.setCells(pbus, '#address-cells', 1);
  t.setCells(pbus, '#size-cells', 1);
  t.setString(pbus, 'compatible', 'qemu,platform', 'simple-bus');

  const mem = `/memory@${hex(M.dram.base)}`;
  t.addNode(mem);
  t.setString(mem, 'device_type', 'memory');
  t.setProp(mem, 'reg', reg64(M.dram.base, c.ramSize));

  addCpus(t, c, cpuPh, intcPh);
  addSoc(t, intcPh, plicPh, testPh, c.irqchip, ic, c.ramSize);
  return t;
}

function addChosen(t: DeviceTree, c: VirtFdtConfig): void {
  t.addNode('/chosen');
  if (c.initrd) {
    t.setCells('/chosen', 'linux,initrd-end', c.initrd.end);
    t.setCells('/chosen', 'linux,initrd-start', c.initrd.start);
  }
  t.setProp('/chosen', 'rng-seed', c.rngSeed);
  if (c.bootargs !== undefined) t.setString('/chosen', 'bootargs', c.bootargs);
  t.setString('/chosen', 'stdout-path', `/soc/serial@${hex(M.uart0.base)}`);
}

function addCpus(t: DeviceTree, c: VirtFdtConfig, cpuPh: number[], intcPh: number[]): void {
  t.addNode('/cpus');
  t.setCells('/cpus', '#address-cells', 1);
  t.setCells('/cpus', '#size-cells', 0);
  t.setCells('/cpus', 'timebase-frequency', TIMEBASE_FREQ);
  for (let h = 0; h < c.smp; h++) {
    const cpu = `/cpus/cpu@${h}`;
    t.addNode(cpu);
    t.setCells(cpu, 'phandle', cpuPh[h]);
    t.setString(cpu, 'device_type', 'cpu');
    t.setCells(cpu, 'reg', h);
    t.setString(cpu, 'status', 'okay');
    t.setString(cpu, 'compatible', 'riscv');
    riscvFdtCpuIsa(t, cpu, riscvCpuCfg());
    const intc = `${cpu}/interrupt-controller`;
    t.addNode(intc);
    t.setCells(intc, '#interrupt-cells', 1);
    t.setProp(intc, 'interrupt-controller');
    t.setString(intc, 'compatible', 'riscv,cpu-intc');
    t.setCells(intc, 'phandle', intcPh[h]);
  }
  t.addNode('/cpus/cpu-map');
  t.addNode('/cpus/cpu-map/cluster0');
  for (let h = 0; h < c.smp; h++) {
    t.addNode(`/cpus/cpu-map/cluster0/core${h}`);
    t.setCells(`/cpus/cpu-map/cluster0/core${h}`, 'cpu', cpuPh[h]);
  }
}

function addSoc(t: DeviceTree, intcPh: number[], plicPh: number, testPh: number, irqchip: VirtIrqchipConfig | undefined, ic: IrqchipPhandles, ramSize: number): void {
  t.addNode('/soc');
  t.setCells('/soc', '#address-cells', 2);
  t.setCells('/soc', '#size-cells', 2);
  t.setString('/soc', 'compatible', 'simple-bus');
  t.setProp('/soc', 'ranges');

  const rtc = `/soc/rtc@${hex(M.rtc.base)}`;
  t.addNode(rtc);
  t.setCells(rtc, 'interrupts', ...irqCells(irqchip, VirtIRQ.RTC));
  t.setCells(rtc, 'interrupt-parent', plicPh);
  t.setProp(rtc, 'reg', reg64(M.rtc.base, M.rtc.size));
  t.setString(rtc, 'compatible', 'google,goldfish-rtc');

  const uart = `/soc/serial@${hex(M.uart0.base)}`;
  t.addNode(uart);
  t.setCells(uart, 'interrupts', ...irqCells(irqchip, VirtIRQ.UART0));
  t.setCells(uart, 'interrupt-parent', plicPh);
  t.setCells(uart, 'clock-frequency', UART_CLOCK);
  t.setProp(uart, 'reg', reg64(M.uart0.base, M.uart0.size));
  t.setString(uart, 'compatible', 'ns16550a');

  const test = `/soc/test@${hex(M.test.base)}`;
  t.addNode(test);
  t.setCells(test, 'phandle', testPh);
  t.setProp(test, 'reg', reg64(M.test.base, M.test.size));
  t.setString(test, 'compatible', 'sifive,test1', 'sifive,test0', 'syscon');

  addPcie(t, plicPh, irqchip, ic, ramSize);

  // Written from the highest slot down: Linux probes in tree order, so the first device QEMU
  // plugs (into the highest slot) becomes vda.
  for (let i = VIRTIO_COUNT - 1; i >= 0; i--) {
    const base = M.virtio.base + i * M.virtio.size;
    const n = `/soc/virtio_mmio@${hex(base)}`;
    t.addNode(n);
    t.setCells(n, 'interrupts', ...irqCells(irqchip, VirtIRQ.VIRTIO + i));
    t.setCells(n, 'interrupt-parent', plicPh);
    t.setProp(n, 'reg', reg64(base, M.virtio.size));
    t.setString(n, 'compatible', 'virtio,mmio');
  }

  if (irqchip && irqchip.aia !== 'none') addAiaNodes(t, irqchip, intcPh, ic);
  else addPlic(t, intcPh, plicPh);
  if (irqchip?.aclint) { addAclintNodes(t, irqchip, intcPh); return; }
  const clint = `/soc/clint@${hex(M.clint.base)}`;
  t.addNode(clint);
  t.setCells(clint, 'interrupts-extended', ...intcPh.flatMap((p) => [p, IRQ_BIT.M_SOFT, p, IRQ_BIT.M_TIMER]));
  t.setProp(clint, 'reg', reg64(M.clint.base, M.clint.size));
  t.setString(clint, 'compatible', 'sifive,clint0', 'riscv,clint0');
}

function addPlic(t: DeviceTree, intcPh: number[], plicPh: number): void {
  const plic = `/soc/plic@${hex(M.plic.base)}`;
  t.addNode(plic);
  t.setCells(plic, 'phandle', plicPh);
  t.setCells(plic, 'riscv,ndev', PLIC_NUM_SOURCES);
  t.setProp(plic, 'reg', reg64(M.plic.base, M.plic.size));
  t.setCells(plic, 'interrupts-extended', ...intcPh.flatMap((p) => [p, IRQ_BIT.M_EXT, p, IRQ_BIT.S_EXT]));
  t.setProp(plic, 'interrupt-controller');
  t.setString(plic, 'compatible', 'sifive,plic-1.0.0', 'riscv,plic0');
  t.setCells(plic, '#address-cells', 0);
  t.setCells(plic, '#interrupt-cells', 1);
}

/** The generic PCIe host node (ECAM; hw/pci-host/gpex.ts); PCI devices need no nodes of their own. */
function addPcie(t: DeviceTree, plicPh: number, irqchip: VirtIrqchipConfig | undefined, ic: IrqchipPhandles, ramSize: number): void {
  const VIRT_HIGH_PCIE_MMIO = virtHighPcieMmio(ramSize);
  const n = `/soc/pci@${hex(M.pcieEcam.base)}`;
  t.addNode(n);
  t.setCells(n, 'interrupt-map-mask', 0x1800, 0, 0, 7);
  const map: number[] = [];
  for (let slot = 0; slot < 4; slot++) {
    for (let pin = 0; pin < 4; pin++) {
      map.push(slot << 11, 0, 0, pin + 1, plicPh, ...irqCells(irqchip, VirtIRQ.PCIE + ((pin + slot) % 4)));
    }
  }
  t.setCells(n, 'interrupt-map', ...map);
  t.setCells(n, 'ranges',
    0x1000000, 0, 0, ...hiLo(M.pcieRam.base), ...hiLo(M.pcieRam.size),
    0x2000000, ...hiLo(M.pcieMmio.base), ...hiLo(M.pcieMmio.base), ...hiLo(M.pcieMmio.size),
    0x3000000, ...hiLo(VIRT_HIGH_PCIE_MMIO.base), ...hiLo(VIRT_HIGH_PCIE_MMIO.base), ...hiLo(VIRT_HIGH_PCIE_MMIO.size));
  t.setProp(n, 'reg', reg64(M.pcieEcam.base, M.pcieEcam.size));
  if (ic.imsicS !== undefined) t.setCells(n, 'msi-parent', ic.imsicS); // MSIs go to the S-level IMSICs
  t.setProp(n, 'dma-coherent');
  t.setCells(n, 'bus-range', 0, M.pcieEcam.size / 0x100000 - 1);
  t.setCells(n, 'linux,pci-domain', 0);
  t.setString(n, 'device_type', 'pci');
  t.setString(n, 'compatible', 'pci-host-ecam-generic');
  t.setCells(n, '#size-cells', 2);
  t.setCells(n, '#interrupt-cells', 1);
  t.setCells(n, '#address-cells', 3);
}
