// -global on the devices the board makes from other options: -drive if=virtio's virtio-blk-pci.
import { optError, QemuError } from '../qemu/error.js';
import { parseQemuOpts } from '../qemu/option.js';
import { checkDeviceProps, findDevice } from '../hw/core/qdev.js';
import type { DriveSpec, SystemConfig } from '../system/vl.js';
import { withGlobals } from '../system/vl-global.js';

/** The properties of the virtio-blk-pci a -drive if=virtio creates: drive=, then the globals (checked). */
export function driveDeviceProps(cfg: SystemConfig, d: DriveSpec): Map<string, string> {
  const dc = findDevice('virtio-blk-pci');
  try {
    return withGlobals(cfg.extras.globals, `virtio-blk-pci,drive=${d.id.replace(/,/g, ',,')}`, (text) => {
      const o = parseQemuOpts(text, 'driver');
      if (dc) checkDeviceProps(dc, o.keys());
      o.delete('driver');
      return o;
    });
  } catch (e) {
    if (e instanceof QemuError) throw optError('-drive', d.text, e.message);
    throw e;
  }
}
