// Which virtio-mmio transport each -device virtio-*-device plugs into, as QEMU's qdev does:
// devices in command-line order (blk, rng, balloon, net and 9p alike), `bus=virtio-mmio-bus.N`
// takes transport N, a device without bus= takes the highest free one (QEMU finds the newest
// child bus first). The errors are QEMU's, on the -device that caused them.
import { QemuError, optError } from '../../qemu/error.js';

/** Where a virtio-mmio device came from on the command line. */
export interface MmioPlace {
  /** Position among the -device options (orders devices parsed by different modules). */
  seq: number;
  driver: string;
  text: string;
  bus?: string;
}

/** Check a bus= value a virtio-mmio device got (the PCIe bus is refused as QEMU's). */
export function mmioBusIndex(bus: string, driver: string, count: number): number {
  if (bus === 'pcie.0') throw new QemuError(`Device '${driver}' can't go on PCIE bus`);
  const m = /^virtio-mmio-bus\.(\d+)$/.exec(bus);
  if (!m || Number(m[1]) >= count) throw new QemuError(`Bus '${bus}' not found`);
  return Number(m[1]);
}

/**
 * Order `devs` as the command line had them and give each its transport (`slot`). Devices without
 * a place (none today) keep their order after the placed ones.
 */
export function assignMmioSlots<T extends { place?: MmioPlace; slot?: number }>(devs: T[], count: number): T[] {
  const order = devs.map((d, i) => ({ d, k: d.place?.seq ?? Number.MAX_SAFE_INTEGER, i }))
    .sort((a, b) => a.k - b.k || a.i - b.i).map((x) => x.d);
  const used = new Array<boolean>(count).fill(false);
  for (const d of order) {
    const p = d.place;
    let slot: number;
    if (p?.bus !== undefined) {
      try {
        slot = mmioBusIndex(p.bus, p.driver, count);
      } catch (e) {
        throw optError('-device', p.text, (e as Error).message);
      }
      if (used[slot]) throw optError('-device', p.text, `Bus '${p.bus}' is full`);
    } else {
      slot = used.lastIndexOf(false);
      if (slot < 0) {
        const msg = `No 'virtio-bus' bus found for device '${p?.driver ?? 'virtio-device'}'`;
        throw p ? optError('-device', p.text, msg) : new QemuError(msg);
      }
    }
    used[slot] = true;
    d.slot = slot;
  }
  return order;
}
