// Device-tree nodes of the virt board's AIA and ACLINT interrupt controllers (QEMU's
// create_fdt_socket_aplic / create_fdt_imsic / create_fdt_socket_aclint), in the order and with
// the phandles QEMU 7.2's dumpdtb has. virt-fdt.ts calls these for aia= and aclint=.
import { type DeviceTree, cells, hiLo } from '../../system/device_tree.js';
import { IRQ_BIT } from '../../target/riscv/hart.js';
import { ACLINT_MSWI_SIZE, ACLINT_MTIMER_SIZE } from '../intc/riscv_aclint.js';
import { IMSIC_NUM_IDS } from '../intc/riscv_imsic.js';
import { AIA_MEMMAP as A, type VirtIrqchipConfig, imsicHartSize, imsicNumBits } from './virt-aia.js';
import { PLIC_NUM_SOURCES, VIRT_MEMMAP as M } from './virt-memmap.js';

const reg64 = (base: number, size: number) => cells(...hiLo(base), ...hiLo(size));
const hex = (n: number) => n.toString(16);
/** IRQ_TYPE_LEVEL_HIGH: the APLIC's second interrupt cell. */
const LEVEL_HIGH = 4;

export interface IrqchipPhandles {
  /** What the platform devices name as interrupt-parent: the PLIC, or the S-level APLIC. */
  parent: number;
  aplicM?: number;
  imsicM?: number;
  imsicS?: number;
}

/** Allocate in QEMU's order (after the harts): IMSIC M, IMSIC S, APLIC M, APLIC S, or the PLIC. */
export function allocIrqchipPhandles(t: DeviceTree, cfg: VirtIrqchipConfig | undefined): IrqchipPhandles {
  if (!cfg || cfg.aia === 'none') return { parent: t.allocPhandle() };
  const p: IrqchipPhandles = { parent: 0 };
  if (cfg.aia === 'aplic-imsic') {
    p.imsicM = t.allocPhandle();
    p.imsicS = t.allocPhandle();
  }
  p.aplicM = t.allocPhandle();
  p.parent = t.allocPhandle();
  return p;
}

/** A device's `interrupts`: the APLIC takes a trigger-type cell. */
export function irqCells(cfg: VirtIrqchipConfig | undefined, irq: number): number[] {
  return cfg && cfg.aia !== 'none' ? [irq, LEVEL_HIGH] : [irq];
}

/** The riscv,isa suffix the IMSICs add (they turn Smaia/Ssaia on), unless `isa` (built from the
 * CPU configuration) names them already. */
export function aiaIsaSuffix(cfg: VirtIrqchipConfig | undefined, isa: string): string {
  return cfg?.aia === 'aplic-imsic' && !/_smaia(_|$)/.test(isa) ? '_smaia_ssaia' : '';
}

/** The APLIC and IMSIC nodes, where the PLIC's would be. */
export function addAiaNodes(t: DeviceTree, cfg: VirtIrqchipConfig, intcPh: number[], p: IrqchipPhandles): void {
  const msi = cfg.aia === 'aplic-imsic';
  const aplic = (base: number, ph: number, m: boolean) => {
    const n = `/soc/aplic@${hex(base)}`;
    t.addNode(n);
    t.setCells(n, 'phandle', ph);
    if (m) {
      t.setCells(n, 'riscv,delegate', p.parent, 1, PLIC_NUM_SOURCES);
      t.setCells(n, 'riscv,children', p.parent);
    }
    t.setCells(n, 'riscv,num-sources', PLIC_NUM_SOURCES);
    t.setProp(n, 'reg', reg64(base, A.aplicM.size));
    if (msi) t.setCells(n, 'msi-parent', (m ? p.imsicM : p.imsicS) ?? 0);
    else t.setCells(n, 'interrupts-extended', ...intcPh.flatMap((ph) => [ph, m ? IRQ_BIT.M_EXT : IRQ_BIT.S_EXT]));
    t.setProp(n, 'interrupt-controller');
    t.setCells(n, '#interrupt-cells', 2);
    t.setString(n, 'compatible', 'riscv,aplic');
  };
  aplic(A.aplicS.base, p.parent, false);
  aplic(A.aplicM.base, p.aplicM ?? 0, true);
  if (!msi) return;
  const imsic = (base: number, ph: number, m: boolean) => {
    const guestBits = m ? 0 : imsicNumBits(cfg.aiaGuests + 1);
    const n = `/soc/imsics@${hex(base)}`;
    t.addNode(n);
    t.setCells(n, 'phandle', ph);
    if (guestBits) t.setCells(n, 'riscv,guest-index-bits', guestBits);
    t.setCells(n, 'riscv,ipi-id', 1);
    t.setCells(n, 'riscv,num-ids', IMSIC_NUM_IDS);
    t.setProp(n, 'reg', reg64(base, imsicHartSize(guestBits) * intcPh.length));
    t.setCells(n, 'interrupts-extended', ...intcPh.flatMap((ph) => [ph, m ? IRQ_BIT.M_EXT : IRQ_BIT.S_EXT]));
    t.setProp(n, 'msi-controller');
    t.setProp(n, 'interrupt-controller');
    t.setCells(n, '#interrupt-cells', 0);
    t.setString(n, 'compatible', 'riscv,imsics');
  };
  imsic(A.imsicS.base, p.imsicS ?? 0, false);
  imsic(A.imsicM.base, p.imsicM ?? 0, true);
}

/** aclint=on: SSWI, MTIMER and MSWI nodes (only the MTIMER with an IMSIC), for the CLINT's. */
export function addAclintNodes(t: DeviceTree, cfg: VirtIrqchipConfig, intcPh: number[]): void {
  const ext = (bit: number) => intcPh.flatMap((ph) => [ph, bit]);
  const imsic = cfg.aia === 'aplic-imsic';
  if (!imsic) {
    const n = `/soc/sswi@${hex(A.aclintSswi.base)}`;
    t.addNode(n);
    t.setCells(n, '#interrupt-cells', 0);
    t.setProp(n, 'interrupt-controller');
    t.setCells(n, 'interrupts-extended', ...ext(IRQ_BIT.S_SOFT));
    t.setProp(n, 'reg', reg64(A.aclintSswi.base, A.aclintSswi.size));
    t.setString(n, 'compatible', 'riscv,aclint-sswi');
  }
  const base = imsic ? M.clint.base : M.clint.base + ACLINT_MSWI_SIZE;
  const size = imsic ? ACLINT_MTIMER_SIZE : M.clint.size - ACLINT_MSWI_SIZE;
  const mtime = ACLINT_MTIMER_SIZE - 8;
  const n = `/soc/mtimer@${hex(base)}`;
  t.addNode(n);
  t.setCells(n, 'interrupts-extended', ...ext(IRQ_BIT.M_TIMER));
  t.setCells(n, 'reg', ...hiLo(base + mtime), ...hiLo(size - mtime), ...hiLo(base), ...hiLo(mtime));
  t.setString(n, 'compatible', 'riscv,aclint-mtimer');
  if (imsic) return;
  const w = `/soc/mswi@${hex(M.clint.base)}`;
  t.addNode(w);
  t.setCells(w, '#interrupt-cells', 0);
  t.setProp(w, 'interrupt-controller');
  t.setCells(w, 'interrupts-extended', ...ext(IRQ_BIT.M_SOFT));
  t.setProp(w, 'reg', reg64(M.clint.base, ACLINT_MSWI_SIZE));
  t.setString(w, 'compatible', 'riscv,aclint-mswi');
}
