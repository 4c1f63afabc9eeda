// The system emulator's network: the parsed -netdev/-nic/-net options become clients on Node's
// sockets, and each NIC becomes a virtio-net device for the board to plug (virtio-net-pci, QEMU's
// NIC on this board, or virtio-net-device on virtio-mmio).
import type { SystemConfig } from '../system/vl.js';
import type { VirtDevice } from '../hw/riscv/virt.js';
import { NetStack } from '../net/net-init.js';
import { nodeNetHost } from '../host/node/net-host.js';
import { VirtIONet } from '../hw/virtio/virtio-net.js';
import { plugVirtioPci } from '../hw/core/qdev-devices.js';
import type { QDevRealizer } from './system-fsdev.js';

export async function createNetwork(cfg: SystemConfig): Promise<{ stack: NetStack; devices: VirtDevice[]; pci: QDevRealizer[] }> {
  const stack = await NetStack.create(cfg.net, nodeNetHost);
  // QEMU's virtio-net-pci: class 0x0200 (Ethernet), 3 MSI-X vectors (one queue pair + config),
  // config up to the status field (MAC and STATUS offered: QEMU's virtio_net_set_config_size).
  const pci: QDevRealizer[] = stack.nics.filter((p) => p.model === 'virtio-net-pci').map((plan) => ({ seq: plan.seq, realize: (ctx) => {
    const d = new VirtIONet(ctx.as, plan);
    stack.nicCreated(d.nc);
    plugVirtioPci(ctx, 'virtio-net-pci', plan.pciProps ?? new Map(), d, { classCode: 0x020000, configSize: 8, vectors: 3 });
  } }));
  const devices: VirtDevice[] = stack.nics.filter((p) => p.model === 'virtio-net-device').map((plan) => ({
    type: 'virtio-net-device',
    place: plan.place,
    create: (as) => {
      const d = new VirtIONet(as, plan);
      stack.nicCreated(d.nc);
      return d;
    },
  }));
  return { stack, devices, pci };
}
