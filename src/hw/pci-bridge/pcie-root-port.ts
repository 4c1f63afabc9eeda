// pcie-root-port (QEMU's hw/pci-bridge/pcie_root_port.c + gen_pcie_root_port.c): Red Hat's
// generic PCIe root port 1b36:000c, a PCI-to-PCI bridge (pci-bridge.ts) whose secondary bus is
// a PCIe link with one slot (device 0). Its configuration space is QEMU's byte for byte:
//   0x40 bridge subsystem ID (SSVID), 0x48 MSI-X (one vector, table and PBA in the 4 KiB BAR0),
//   0x54 PCI Express v2 capability (root port, port=N, slot with chassis/slot, link 16 GT/s x32
//        advertised, x1 2.5 GT/s trained when a device is present),
//   0x100 AER, 0x148 ACS (extended space).
// Hot-plug is not implemented: the slot reports hot-plug capability as QEMU's, but device_add
// onto a port is refused by the monitor (system-hotplug.ts).
import type { AddressSpace } from '../../exec/memory.js';
import { PCIBridge, PCIBridgeConfig } from '../pci/pci-bridge.js';
import { MSIXState } from '../pci/msix.js';
import { PCI_VENDOR_ID_REDHAT } from '../pci/pci.js';

export const PCI_DEVICE_ID_REDHAT_PCIE_RP = 0x000c;
const PCI_CLASS_BRIDGE_PCI = 0x060400;
const PCI_CAP_ID_SSVID = 0x0d;
const PCI_CAP_ID_EXP = 0x10;
const SSVID_OFFSET = 0x40, MSIX_OFFSET = 0x48, EXP_OFFSET = 0x54, AER_OFFSET = 0x100, ACS_OFFSET = 0x148;
const EXP_SIZEOF = 0x3c;

// Offsets in the PCI Express capability.
const enum Exp { FLAGS = 2, DEVCAP = 4, DEVCTL = 8, LNKCAP = 0x0c, LNKCTL = 0x10, LNKSTA = 0x12, SLTCAP = 0x14, SLTCTL = 0x18,
  SLTSTA = 0x1a, RTCTL = 0x1c, DEVCAP2 = 0x24, DEVCTL2 = 0x28, LNKCAP2 = 0x2c, LNKCTL2 = 0x30 }

/** The chassis/slot pairs in use (QEMU's pcie_chassis list), per machine. */
export type ChassisSlots = Set<string>;

export interface PCIERootPortProps {
  port: number;
  chassis: number;
  slot: number;
  multifunction: boolean;
}

export class PCIERootPort extends PCIBridge {
  readonly msix: MSIXState;

  constructor(as: AddressSpace, secBusName: string, readonly p: PCIERootPortProps) {
    super('pcie-root-port', {
      vendorId: PCI_VENDOR_ID_REDHAT, deviceId: PCI_DEVICE_ID_REDHAT_PCIE_RP, classCode: PCI_CLASS_BRIDGE_PCI,
      interruptPin: 1, express: true,
    }, secBusName);
    if (p.multifunction) this.config[0x0e] |= 0x80;
    // pci_bridge_ssvid_init
    const ss = this.addCapability(PCI_CAP_ID_SSVID, 8, SSVID_OFFSET);
    this.setWord(ss + 4, PCI_VENDOR_ID_REDHAT);
    this.setWord(ss + 6, 0);
    this.msix = new MSIXState(this, as, 1, 0, MSIX_OFFSET);
    const e = this.addCapability(PCI_CAP_ID_EXP, EXP_SIZEOF, EXP_OFFSET);
    const w = (off: number, v: number) => this.setWord(e + off, v);
    const l = (off: number, v: number) => this.setLong(e + off, v);
    const wm = (off: number, v: number) => { this.wmask[e + off] = v & 0xff; this.wmask[e + off + 1] = (v >> 8) & 0xff; };
    w(Exp.FLAGS, 0x0142); // version 2, root port, slot implemented
    l(Exp.DEVCAP, 0x00008000); // role-based error reporting
    l(Exp.LNKCAP, ((p.port & 0xff) << 24) | 0x00300604); // port, DLLLARC | LBNC, ASPM L0s, x32, 16 GT/s
    l(Exp.SLTCAP, ((p.slot & 0x1fff) << 19) | 0x0002007b); // ABP PCP AIP PIP HPS HPC, EIP
    l(Exp.DEVCAP2, 0x00300020); // ARI forwarding, EFF, EETLPP
    l(Exp.LNKCAP2, 0x1e); // 2.5 - 16 GT/s
    w(Exp.LNKCTL2, 0x4);
    wm(Exp.DEVCTL, 0x000f); // error reporting enables (pcie_cap_deverr_init)
    wm(Exp.LNKCTL, 0x0043); // ASPM, RCB
    wm(Exp.SLTCTL, 0x17ff); // hot-plug controls and indicators
    this.setWordMask1c(e + Exp.SLTSTA, 0x011f); // W1C: ABP PFD MRLSC PDC CC DLLSC
    wm(Exp.RTCTL, 0x001f);
    wm(Exp.DEVCTL2, 0x8020); // EETLPPB, ARI
    wm(Exp.LNKCTL2, 0x003f);
    this.linkDown();
    this.disableBaseLimit();
    // Extended capabilities: AER v2 then ACS, as QEMU's pcie_aer_init / pcie_acs_init.
    this.setLong(AER_OFFSET, 0x01 | (2 << 16) | (ACS_OFFSET << 20));
    this.setLong(AER_OFFSET + 0x0c, 0x00462030); // uncorrectable error severity
    this.setLong(AER_OFFSET + 0x14, 0x0000e000); // correctable error mask
    this.setLong(AER_OFFSET + 0x18, 0x000002a0); // ECRC capable, generation/check
    this.wmask.fill(0xff, AER_OFFSET + 0x08, AER_OFFSET + 0x10); // mask, severity
    this.wmask.fill(0xff, AER_OFFSET + 0x14, AER_OFFSET + 0x18);
    this.w1cmask.fill(0xff, AER_OFFSET + 0x04, AER_OFFSET + 0x08);
    this.w1cmask.fill(0xff, AER_OFFSET + 0x10, AER_OFFSET + 0x14);
    this.setLong(ACS_OFFSET, 0x0d | (1 << 16));
    this.setWord(ACS_OFFSET + 4, 0x005f);
    this.wmask[ACS_OFFSET + 6] = 0x5f;
  }

  private setWordMask1c(off: number, v: number): void { this.w1cmask[off] = v & 0xff; this.w1cmask[off + 1] = v >> 8; }

  private linkDown(): void {
    const e = EXP_OFFSET;
    this.setWord(e + Exp.LNKSTA, 0x0204); // the advertised speed and width, no link
    this.setWord(e + Exp.SLTCTL, 0x07c0); // indicators off, power off
    this.setWord(e + Exp.SLTSTA, 0);
  }

  /** A device was plugged into the slot at start-up: link trained (x1, 2.5 GT/s), present, powered. */
  linkUp(): void {
    const e = EXP_OFFSET;
    this.setWord(e + Exp.LNKSTA, 0x2011);
    this.setWord(e + Exp.SLTCTL, 0x01c0);
    this.setWord(e + Exp.SLTSTA, 0x0040);
  }

  /** pci_bridge_disable_base_limit (rp_reset): every window closed (base above limit). */
  private disableBaseLimit(): void {
    const c = this.config;
    c[PCIBridgeConfig.IO_BASE] |= 0xf0;
    c[PCIBridgeConfig.IO_LIMIT] &= 0x0f;
    this.setWord(PCIBridgeConfig.MEMORY_BASE, this.getWord(PCIBridgeConfig.MEMORY_BASE) | 0xfff0);
    this.setWord(PCIBridgeConfig.MEMORY_LIMIT, this.getWord(PCIBridgeConfig.MEMORY_LIMIT) & 0x000f);
    this.setWord(PCIBridgeConfig.PREF_MEMORY_BASE, this.getWord(PCIBridgeConfig.PREF_MEMORY_BASE) | 0xfff0);
    this.setWord(PCIBridgeConfig.PREF_MEMORY_LIMIT, this.getWord(PCIBridgeConfig.PREF_MEMORY_LIMIT) & 0x000f);
    this.setLong(PCIBridgeConfig.PREF_BASE_UPPER32, 0);
    this.setLong(PCIBridgeConfig.PREF_LIMIT_UPPER32, 0);
  }

  override reset(): void {
    super.reset();
    this.disableBaseLimit();
    this.msix.reset();
  }
}
