// The system emulator's network: the parsed -netdev/-nic/-net options become clients on Node's
// sockets, and each NIC becomes a virtio-net device for the board to plug (virtio-mmio for now;
// virtio-net-pci, QEMU's default NIC on riscv virt, once the PCI bus exists).
import type { SystemConfig } from '../system/vl.js';
import type { VirtDevice } from '../hw/riscv/virt.js';
import { NetStack } from '../net/net-init.js';
import { nodeNetHost } from '../host/node/net-host.js';
import { VirtIONet } from '../hw/virtio/virtio-net.js';

export async function createNetwork(cfg: SystemConfig): Promise<{ stack: NetStack; devices: VirtDevice[] }> {
  const stack = await NetStack.create(cfg.net, nodeNetHost);
  const devices: VirtDevice[] = stack.nics.map((plan) => ({
    type: 'virtio-net-device',
    create: (as) => {
      const d = new VirtIONet(as, plan);
      stack.nicCreated(d.nc);
      return d;
    },
  }));
  return { stack, devices };
}
