// A hart's ISA in the device tree as QEMU 10.2 writes it (riscv_isa_write_fdt and the cpu node
// of create_fdt_socket_cpus): mmu-type from the largest satp mode, riscv,isa, riscv,isa-base,
// riscv,isa-extensions, and the Zicbo* block sizes. Properties are set in the reverse of QEMU's
// order, as the rest of virt-fdt.ts does, so dtc prints them in QEMU's order.
import type { DeviceTree } from '../../system/device_tree.js';
import type { RISCVCPUConfig } from '../../target/riscv/cpu-cfg.js';
import { isaExtensionsList, isaString } from '../../target/riscv/cpu-isa.js';

export function riscvFdtCpuIsa(t: DeviceTree, cpu: string, cfg: RISCVCPUConfig): void {
  if (cfg.ext.has('zicbop')) t.setCells(cpu, 'riscv,cbop-block-size', cfg.cbopBlocksize);
  if (cfg.ext.has('zicboz')) t.setCells(cpu, 'riscv,cboz-block-size', cfg.cbozBlocksize);
  if (cfg.ext.has('zicbom')) t.setCells(cpu, 'riscv,cbom-block-size', cfg.cbomBlocksize);
  t.setString(cpu, 'riscv,isa-extensions', ...isaExtensionsList(cfg));
  t.setString(cpu, 'riscv,isa-base', 'rv64i');
  t.setString(cpu, 'riscv,isa', isaString(cfg));
  t.setString(cpu, 'mmu-type', `riscv,sv${[39, 48, 57][(cfg.satpMax ?? 10) - 8]}`);
}
