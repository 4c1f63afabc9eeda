// -device virtio-balloon-device[,id=][,deflate-on-oom=][,free-page-reporting=] (libvirt adds one
// to every domain unless <memballoon model='none'/>): parsing only; hw/virtio/virtio-balloon.ts.
import { QemuError } from '../qemu/error.js';
import { type QemuOptsDict, parseBool } from '../qemu/option.js';

export function parseBalloonDevice(text: string, o: QemuOptsDict): { text: string; driver: 'virtio-balloon-device' } {
  for (const [k, v] of o) {
    if (k === 'driver' || k === 'id' || k === 'bus') continue;
    // The guest-visible features QEMU would offer: not modelled, so only their default is taken.
    if (k === 'deflate-on-oom' || k === 'free-page-reporting' || k === 'free-page-hint') {
      if (parseBool(k, v)) throw new QemuError(`virtio-balloon-device.${k}=on is not supported by tsqemu`);
      continue;
    }
    throw new QemuError(`Property 'virtio-balloon-device.${k}' not found`);
  }
  return { text, driver: 'virtio-balloon-device' };
}
