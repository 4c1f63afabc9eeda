// sdhci-pci (QEMU's hw/sd/sdhci-pci.c): the SD host controller as PCI function 1b36:0007,
// class 08:05 prog-if 01 (SD host with DMA), registers in a 256-byte memory BAR 0, INTA#.
// DMA is allowed only while the guest has bus mastering enabled.
import type { AddressSpace } from '../../exec/memory.js';
import { PCIBarType, PCIDevice, PCI_VENDOR_ID_REDHAT } from '../pci/pci.js';
import { SDBus } from './sd-bus.js';
import { SDHCIState, SDHC_CAPAB_REG_DEFAULT } from './sdhci.js';

export const PCI_DEVICE_ID_REDHAT_SDHCI = 0x0007;
const PCI_CLASS_SYSTEM_SDHCI = 0x080501;

export class SDHCIPCIState extends PCIDevice {
  readonly sdhci: SDHCIState;
  readonly sdbus = new SDBus('sd-bus');

  constructor(as: AddressSpace, o: { specVersion?: number; capareg?: bigint } = {}) {
    super('sdhci-pci', { vendorId: PCI_VENDOR_ID_REDHAT, deviceId: PCI_DEVICE_ID_REDHAT_SDHCI, classCode: PCI_CLASS_SYSTEM_SDHCI, interruptPin: 1 });
    this.sdhci = new SDHCIState('sdhci-pci', as, this.sdbus, (level) => this.setIrq(level), {
      specVersion: o.specVersion ?? 2, capareg: o.capareg ?? SDHC_CAPAB_REG_DEFAULT, canDma: () => this.busMaster,
    });
    this.registerBar(0, 256, PCIBarType.MEM32, this.sdhci, 'sdhci');
  }

  override reset(): void {
    super.reset();
    this.sdhci.reset();
    this.sdbus.card?.reset();
  }
}
