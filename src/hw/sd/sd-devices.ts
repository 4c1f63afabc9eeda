// sdhci-pci, sd-card and emmc as -device types.
import type { QDevContext } from '../core/qdev.js';
import type { PCIDevice } from '../pci/pci.js';

export function registerSDDevices(_plugPci: (ctx: QDevContext, name: string, props: ReadonlyMap<string, string>, dev: PCIDevice) => void): void {}
