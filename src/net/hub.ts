// QEMU's net/hub.c: a hub repeats every frame one port receives to every other port's peer
// (the legacy "-net" VLANs and -netdev hubport). A port can receive only when every other
// port's peer can, so a slow member slows the hub instead of growing a queue in it.
import { NetClientState } from './net.js';

export class NetHub {
  readonly ports: NetHubPort[] = [];
  constructor(readonly id: number) {}

  addPort(name?: string): NetHubPort {
    const p = new NetHubPort(name ?? `hub${this.id}port${this.ports.length}`, this);
    this.ports.push(p);
    return p;
  }
}

export class NetHubPort extends NetClientState {
  readonly type = 'hubport';

  constructor(name: string, readonly hub: NetHub) {
    super(name);
  }

  /** A frame from our peer goes out of every other port. */
  receive(frame: Uint8Array): boolean {
    for (const p of this.hub.ports) if (p !== this) p.send(frame);
    return true;
  }

  override canReceive(): boolean {
    for (const p of this.hub.ports) {
      if (p !== this && p.peer && !p.peer.linkDown && (p.peer.queueLength > 0 || !p.peer.canReceive())) return false;
    }
    return true;
  }

  /** Another port's peer emptied its queue: our peer may send again. */
  override onSendCompleted(): void {
    for (const p of this.hub.ports) if (p !== this) p.flushQueuedPackets();
  }

  infoStr(): string {
    return `hub ${this.hub.id}`;
  }
}

/** The hubs of a machine, by id (-net ...,vlan=N is gone; legacy -net uses hub 0). */
export class NetHubs {
  readonly hubs = new Map<number, NetHub>();

  get(id: number): NetHub {
    let h = this.hubs.get(id);
    if (!h) {
      h = new NetHub(id);
      this.hubs.set(id, h);
    }
    return h;
  }
}
