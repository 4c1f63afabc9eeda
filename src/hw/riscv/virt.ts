// QEMU's RISC-V "virt" board (hw/riscv/virt.c): memory map, devices, boot images and the
// device tree. Harts are attached after construction (realizeHarts), so the board (and its
// dumpdtb) can be built and tested without a CPU.
import { AddressSpace, type MemoryRegionOps, addSplitRam, allocateGuestMemory } from '../../exec/memory.js';
import type { Chardev } from '../../chardev/char.js';
import type { BlockBackend } from '../../block/block-backend.js';
import { HostClock, type QEMUClock, TimerList, VirtualClock } from '../../main-loop/timer.js';
import type { RISCVHart } from '../../target/riscv/hart.js';
import { riscvCpuStateBytes } from '../../target/riscv/cpu-state.js';
import { QemuError } from '../../qemu/error.js';
import { LogMask, qemuLogMask } from '../../qemu/log.js';
import { DeviceTree } from '../../system/device_tree.js';
import { RISCVAclint } from '../intc/riscv_aclint.js';
import { riscvStimerService } from './riscv-stimer.js';
import { SiFivePLIC } from '../intc/sifive_plic.js';
import { SerialState } from '../char/serial.js';
import { GoldfishRTC } from '../rtc/goldfish_rtc.js';
import { SiFiveTest } from '../misc/sifive_test.js';
import { VirtIOMMIOProxy } from '../virtio/virtio-mmio.js';
import type { MmioPlace } from './virt-mmio-slots.js';
import { VirtIOBlock, type BlockdevOnError } from '../virtio/virtio-blk.js';
import { type EntropySource, VirtIORNG } from '../virtio/virtio-rng.js';
import type { VirtIODevice } from '../virtio/virtio.js';
import { GPEXHost } from '../pci-host/gpex.js';
import { VirtIO9P } from '../virtio/virtio-9p.js';
import type { V9fsState } from '../../9pfs/9p.js';
import {
  type BootBlob, fdtAddr, kernelStartAddr, loadFirmware, loadKernel, placeInitrd, resetVector,
} from './boot.js';
import { createVirtFdt } from './virt-fdt.js';
import type { PFlashCFI01 } from '../block/pflash_cfi01.js';
import { createVirtFlash, flashBoot, mapVirtFlash } from './virt-flash.js';
import { riscvSetEntropySource } from '../../target/riscv/csr-zkr.js';
import { DEFAULT_IRQCHIP, VirtIrqchip, type VirtIrqchipConfig } from './virt-aia.js';
import {
  TIMEBASE_FREQ, VIRTIO_COUNT, VIRT_CPUS_MAX, VIRT_DEFAULT_ISA, VIRT_MEMMAP as M,
  VirtIRQ, virtHighPcieMmio,
} from './virt-memmap.js';

export type VirtDevice = (
  | { type: 'virtio-blk-device'; blk: BlockBackend; serial?: string; werror?: BlockdevOnError; rerror?: BlockdevOnError; eventIdx?: boolean }
  | { type: 'virtio-rng-device' }
  /** A device built by its owner over our address space (virtio-net: the net stack wires its peer). */
  | { type: 'virtio-net-device'; create(as: AddressSpace): VirtIODevice }
  | { type: 'virtio-balloon-device'; create(as: AddressSpace): VirtIODevice }
  | { type: 'virtio-serial-device'; create(as: AddressSpace): VirtIODevice }
  | { type: 'virtio-9p-device'; server: V9fsState; mountTag: string }
) & {
  /** Its -device option (virt-mmio-slots.ts orders and places devices by it). */
  place?: MmioPlace;
  /** The transport (virtio-mmio-bus.N); without it, the highest free one. */
  slot?: number;
};

export interface VirtMachineOptions {
  ramSize: number;
  smp: number;
  /** The host's say over the guest memory's bytes before anything is written to them (node:
   * huge pages, host/node/ram-hugepages.ts). */
  prepareMemory?: (bytes: Uint8Array) => void;
  /** Firmware image; undefined = -bios none. */
  bios?: Uint8Array;
  kernel?: Uint8Array;
  initrd?: Uint8Array;
  append?: string;
  /** -dtb: the user's blob replaces ours (bootargs and initrd are still set in /chosen). */
  dtb?: Uint8Array;
  serial?: Chardev;
  /** virtio-mmio devices, in plug order (the first goes to the highest slot). */
  devices: VirtDevice[];
  entropy: EntropySource;
  /** Host time of day in ns (goldfish RTC). */
  wallNs?: () => bigint;
  hostClock?: QEMUClock;
  /** sifive_test: the guest powered off (code) or asked for a reset. */
  onShutdown(code: number): void;
  onReset(): void;
  /** A disk request failed with werror/rerror=stop: pause the VM (io-error). */
  onIoErrorStop?(): void;
  /** A virtio-blk reset found requests in flight: hold the vCPUs until `drained` resolves. */
  onBlockResetInFlight?(drained: Promise<void>): void;
  /** -M virt,aia=,aia-guests=,aclint= (default: PLIC + CLINT). */
  irqchip?: VirtIrqchipConfig;
  /** Realize the -device types of the registry (PCI, SD) once the buses exist. */
  realizeDevices?(m: RISCVVirtMachine): void;
  /** The two flash banks (virt-flash.ts), drives attached; blank ones when absent. */
  flash?: PFlashCFI01[];
  /** -global virtio-mmio.force-legacy (QEMU's default: true, version 1 transports). */
  virtioMmioLegacy?: boolean;
}

/** A hart's interrupt inputs before (and after) its CPU exists; also reports every change. */
export class HartIrqProxy {
  hart: RISCVHart | undefined;
  mip = 0;
  constructor(private readonly onChange: () => void) {}
  setMip(mask: number, level: boolean): void {
    this.mip = level ? this.mip | mask : this.mip & ~mask;
    this.hart?.setMip(mask, level);
    this.onChange();
  }
}

/** Reads as zero, writes ignored, logged under -d unimp (create_unimplemented_device). */
function unimplemented(name: string): MemoryRegionOps {
  return {
    read(offset, size) {
      qemuLogMask(LogMask.LOG_UNIMP, `${name}: unimplemented device read (size ${size}, offset 0x${offset.toString(16)})\n`);
      return 0;
    },
    write(offset, size, value) {
      qemuLogMask(LogMask.LOG_UNIMP, `${name}: unimplemented device write (size ${size}, offset 0x${offset.toString(16)}, value 0x${(value >>> 0).toString(16)})\n`);
    },
  };
}

export class RISCVVirtMachine {
  readonly as: AddressSpace;
  readonly cpuStateOffset: number;
  readonly clock: VirtualClock;
  readonly timers: TimerList;
  readonly irqs: HartIrqProxy[];
  readonly aclint: RISCVAclint;
  readonly plic?: SiFivePLIC;
  readonly irqchip: VirtIrqchip;
  readonly uart: SerialState;
  readonly rtc: GoldfishRTC;
  readonly test: SiFiveTest;
  readonly virtio: VirtIOMMIOProxy[] = [];
  readonly vdevs: VirtIODevice[] = [];
  readonly pci: GPEXHost;
  readonly flash: PFlashCFI01[];
  fdt!: DeviceTree;
  fdtBlob!: Uint8Array;
  harts: RISCVHart[] = [];
  /** Called whenever an interrupt line of a hart changes (the scheduler wakes on it). */
  onIrq: () => void = () => {};
  private readonly blobs: BootBlob[] = [];

  constructor(readonly opts: VirtMachineOptions) {
    riscvSetEntropySource(opts.entropy); // Zkr's seed CSR
    if (opts.smp < 1 || opts.smp > VIRT_CPUS_MAX) throw new QemuError(`Invalid SMP CPUs ${opts.smp}. The max CPUs supported by machine 'virt' is ${VIRT_CPUS_MAX}`);
    const layout = allocateGuestMemory(riscvCpuStateBytes(opts.smp), M.mrom.size, opts.ramSize);
    opts.prepareMemory?.(new Uint8Array(layout.memory.buffer));
    this.as = new AddressSpace(layout.memory);
    this.cpuStateOffset = layout.cpuStateOffset;
    this.as.addRam('riscv.spike.mrom', M.mrom.base, M.mrom.size, layout.romHostOffset, true);
    addSplitRam(this.as, 'riscv_virt_board.ram', M.dram.base, opts.ramSize, layout);
    this.clock = new VirtualClock(opts.hostClock ?? new HostClock());
    this.timers = new TimerList(this.clock);
    this.irqs = Array.from({ length: opts.smp }, () => new HartIrqProxy(() => this.onIrq()));

    const ic = (this.irqchip = new VirtIrqchip(this.as, this.irqs, this.clock, this.timers, opts.irqchip ?? DEFAULT_IRQCHIP));
    this.aclint = ic.aclint;
    this.plic = ic.plic;
    this.uart = new SerialState(opts.serial, ic.irqs[VirtIRQ.UART0]);
    this.as.addMmio('serial', M.uart0.base, M.uart0.size, this.uart);
    const wallNs = opts.wallNs ?? (() => BigInt(Date.now()) * 1_000_000n);
    this.rtc = new GoldfishRTC(ic.irqs[VirtIRQ.RTC], wallNs, this.clock, this.timers);
    this.as.addMmio('goldfish_rtc', M.rtc.base, M.rtc.size, this.rtc);
    this.test = new SiFiveTest({ shutdown: (c) => opts.onShutdown(c), reset: () => opts.onReset() });
    this.as.addMmio('riscv.sifive.test', M.test.base, M.test.size, this.test);
    for (let i = 0; i < VIRTIO_COUNT; i++) {
      const p = new VirtIOMMIOProxy(`virtio-mmio@${(M.virtio.base + i * M.virtio.size).toString(16)}`, ic.irqs[VirtIRQ.VIRTIO + i], opts.virtioMmioLegacy ?? true);
      this.virtio.push(p);
      this.as.addMmio('virtio-mmio', M.virtio.base + i * M.virtio.size, M.virtio.size, p);
    }
    this.addUnimplemented();
    this.flash = opts.flash ?? createVirtFlash();
    mapVirtFlash(this.as, this.flash);
    this.pci = new GPEXHost(this.as, { ecam: M.pcieEcam, pio: M.pcieRam, mmio32: M.pcieMmio, mmio64: virtHighPcieMmio(opts.ramSize) },
      [0, 1, 2, 3].map((i) => ic.irqs[VirtIRQ.PCIE + i]));
    for (const d of opts.devices) this.plug(d);
    opts.realizeDevices?.(this);
    this.loadImages();
  }

  /** Regions the device tree describes but we do not model: reads 0. */
  private addUnimplemented(): void {
    this.as.addMmio('fwcfg', M.fwCfg.base, M.fwCfg.size, unimplemented('fw_cfg'));
  }

  /** Plug a device into the highest free virtio-mmio slot, as QEMU's bus does. */
  private plug(d: VirtDevice): void {
    const slot = d.slot !== undefined ? this.virtio[d.slot] : [...this.virtio].reverse().find((p) => p.vdev === undefined);
    if (!slot) throw new QemuError(`No 'virtio-bus' bus found for device '${d.type}'`);
    const vdev = d.type === 'virtio-net-device' || d.type === 'virtio-balloon-device' || d.type === 'virtio-serial-device' ? d.create(this.as) : d.type === 'virtio-9p-device' ? new VirtIO9P(this.as, d.server, d.mountTag) : d.type === 'virtio-blk-device'
      ? new VirtIOBlock(this.as, d.blk, { serial: d.serial, werror: d.werror, rerror: d.rerror, eventIdx: d.eventIdx, onIoErrorStop: this.opts.onIoErrorStop,
        onResetInFlight: (p) => this.opts.onBlockResetInFlight?.(p) })
      : new VirtIORNG(this.as, this.opts.entropy);
    slot.plug(vdev);
    this.vdevs.push(vdev);
  }

  private loadImages(): void {
    const o = this.opts;
    const dram = M.dram.base;
    let startAddr: number = dram;
    let firmwareEnd: number | undefined;
    if (o.bios) {
      const fw = loadFirmware(o.bios, dram);
      firmwareEnd = fw.end;
      startAddr = fw.entry;
      this.blobs.push(...fw.blobs);
    }
    let kernelEntry = 0;
    let initrd: { start: number; end: number } | undefined;
    const fb = flashBoot(this.flash, o.bios !== undefined);
    if (fb.startAddr !== undefined) startAddr = fb.startAddr;
    if (fb.kernelEntry !== undefined) kernelEntry = fb.kernelEntry;
    if (o.kernel && !kernelEntry) {
      const k = loadKernel(o.kernel, kernelStartAddr(firmwareEnd, dram));
      kernelEntry = k.entry;
      this.blobs.push(...k.blobs);
      if (!o.bios) startAddr = kernelEntry;
      if (o.initrd) {
        initrd = placeInitrd(o.initrd.length, kernelEntry, dram, o.ramSize);
        this.blobs.push({ addr: initrd.start, data: o.initrd, what: 'initrd' });
      }
    } else if (o.initrd) {
      throw new QemuError('-initrd: initrd requires a kernel (-kernel)');
    }
    this.fdt = o.dtb ? DeviceTree.fromBlob(o.dtb) : createVirtFdt({
      smp: o.smp, ramSize: o.ramSize, isa: VIRT_DEFAULT_ISA, irqchip: o.irqchip, bootargs: o.append, initrd, rngSeed: this.rngSeed(),
    });
    if (o.dtb) this.patchUserDtb(initrd);
    this.fdtBlob = this.fdt.toBlob();
    const fdtLoad = fdtAddr(dram, o.ramSize, this.fdtBlob.length);
    this.blobs.push({ addr: fdtLoad, data: this.fdtBlob, what: 'dtb' });
    this.blobs.push({ addr: M.mrom.base, data: resetVector(startAddr, fdtLoad, kernelEntry), what: 'mrom.reset' });
    for (const b of this.blobs) this.checkBlob(b);
    this.copyBlobs();
  }

  private rngSeed(): Uint8Array {
    const seed = new Uint8Array(32);
    this.opts.entropy(seed);
    return seed;
  }

  private patchUserDtb(initrd: { start: number; end: number } | undefined): void {
    const t = this.fdt;
    t.addNode('/chosen');
    if (this.opts.append !== undefined) t.setString('/chosen', 'bootargs', this.opts.append);
    if (initrd) {
      t.setCells('/chosen', 'linux,initrd-start', initrd.start);
      t.setCells('/chosen', 'linux,initrd-end', initrd.end);
    }
  }

  private checkBlob(b: BootBlob): void {
    if (!this.as.isRam(b.addr, b.data.length)) {
      throw new QemuError(`could not load ${b.what}: ${b.data.length} bytes at 0x${b.addr.toString(16)} do not fit in memory`);
    }
  }

  /** Write every boot image into memory (at start and on each system reset, like QEMU's ROMs). */
  private copyBlobs(): void {
    for (const b of this.blobs) {
      if (this.as.findRam(b.addr)) this.as.loadBlob(b.addr, b.data, b.what);
    }
    this.as.onRamWrite(M.dram.base, this.opts.ramSize);
  }

  /** Attach the CPUs (built by the caller's factory over our address space). */
  realizeHarts(create: (as: AddressSpace, cpuStateOffset: number, nharts: number, rdtime: () => bigint) => RISCVHart[]): void {
    this.harts = create(this.as, this.cpuStateOffset, this.opts.smp, () => this.aclint.mtime());
    this.harts.forEach((h, i) => {
      this.irqs[i].hart = h;
      h.setTimerService?.(riscvStimerService(this, i, TIMEBASE_FREQ));
      h.reset(BigInt(M.mrom.base));
      h.setMip(this.irqs[i].mip, true);
    });
    this.irqchip.attachHarts(this.harts);
  }

  /** qemu_system_reset: devices, boot images and harts back to power-on state. */
  reset(): void {
    this.copyBlobs();
    this.irqchip.reset();
    this.uart.reset();
    for (const p of this.virtio) p.reset(); // the transport registers; the devices next
    for (const d of this.vdevs) d.reset();
    this.pci.reset();
    for (const f of this.flash) f.reset();
    for (const h of this.harts) h.reset(BigInt(M.mrom.base));
  }

  /** The VM resumes (`cont`): disks retry the requests an error action stopped on. */
  restartIo(): void {
    for (const d of this.vdevs) if (d instanceof VirtIOBlock) d.restart();
  }

  /** virtio-blk notification/request counters summed over the disks (batching statistics). */
  blockStats(): { notifies: number; requests: number; inflight: number; depthSum: number; completed: number; decisions: number; irqs: number; suppressed: number } {
    const t = { notifies: 0, requests: 0, inflight: 0, depthSum: 0, completed: 0, decisions: 0, irqs: 0, suppressed: 0 };
    for (const d of this.vdevs) {
      if (d instanceof VirtIOBlock) {
        t.notifies += d.stats.notifies; t.requests += d.stats.requests; t.inflight += d.inflight;
        t.depthSum += d.stats.depthSum; t.completed += d.stats.completed; t.decisions += d.stats.decisions;
        for (const q of d.vqs) { t.irqs += q.irqStats.raised; t.suppressed += q.irqStats.suppressed; }
      }
    }
    return t;
  }

  /** The guest RAM bytes inside the WebAssembly.Memory (one view: io_uring registers it as a
   * fixed buffer; RAM in host buffers beyond it takes plain reads/writes). */
  ramView(): Uint8Array {
    const r = this.as.findRam(M.dram.base)!;
    return this.as.bytes.subarray(r.hostOffset, r.hostOffset + r.size);
  }

  /** Wait for in-flight disk requests (before closing drives at exit). */
  async drain(): Promise<void> {
    for (const d of this.vdevs) if (d instanceof VirtIOBlock) await d.drain();
    for (const f of this.flash) await f.drain();
  }
}
