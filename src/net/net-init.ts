// Builds the machine's network from the parsed command line (QEMU's net_init_clients): the
// -netdev back ends, hubs for -net and hubport, the peers of the NICs, filter-dump objects; and
// `info network` (hmp_info_network's layout). The host comes in as a NetHost.
import { QemuError, optError } from '../qemu/error.js';
import { type NetClientState, connectPeers, defaultMac } from './net.js';
import type { NetHost } from './net-host.js';
import { NetHubPort, NetHubs } from './hub.js';
import type { NetConfig, NicSpec } from './net-opts.js';
import { Slirp } from './slirp/slirp.js';
import { NetSocketState } from './socket.js';
import { FilterDump } from './filter-dump.js';
import { ipToString } from './slirp/ip.js';

export interface NicPlan {
  name: string;
  model: string;
  mac: Uint8Array;
  peer?: NetClientState;
  /** virtio-net-pci's -device properties (id, bus, addr). */
  pciProps?: ReadonlyMap<string, string>;
  /** -device virtio-net-device's place among the virtio-mmio devices. */
  place?: NicSpec['place'];
  seq?: number;
}

export class NetStack {
  /** Every client in creation order (back ends, hub ports, then NICs as they plug). */
  readonly clients: NetClientState[] = [];
  readonly hubs = new NetHubs();
  readonly nics: NicPlan[] = [];
  readonly filters: FilterDump[] = [];
  private readonly byId = new Map<string, NetClientState>();

  private constructor(private readonly host: NetHost) {}

  static async create(cfg: NetConfig, host: NetHost): Promise<NetStack> {
    const st = new NetStack(host);
    await st.build(cfg);
    return st;
  }

  private async build(cfg: NetConfig): Promise<void> {
    for (const d of cfg.netdevs) {
      let c: NetClientState;
      if (d.user) c = new Slirp(d.id, d.user, this.host);
      else if (d.socket) c = new NetSocketState(d.id, d.type as 'socket' | 'stream' | 'dgram', d.socket, this.host);
      else c = this.hubs.get(d.hubid ?? 0).addPort(d.id);
      this.byId.set(d.id, c);
      this.clients.push(c);
      if (d.legacyHub !== undefined) this.hubPort(d.legacyHub, c);
    }
    for (const d of cfg.netdevs) {
      if (d.hubNetdev !== undefined) connectPeers(this.byId.get(d.id) as NetClientState, this.byId.get(d.hubNetdev) as NetClientState);
    }
    for (const f of cfg.filters) {
      const nc = this.byId.get(f.netdev) as NetClientState;
      let out;
      try {
        out = this.host.openOutputFile(f.file);
      } catch (e) {
        throw optError('-object', f.text, `Failed to open dump file '${f.file}': ${(e as Error).message}`);
      }
      const fd = new FilterDump(f.id, f.netdev, f.file, out, f.maxlen, this.host.now);
      nc.filters.push(fd);
      this.filters.push(fd);
    }
    cfg.nics.forEach((n, i) => this.planNic(n, i));
    for (const d of cfg.netdevs) {
      const c = this.byId.get(d.id);
      try {
        if (c instanceof Slirp || c instanceof NetSocketState) await c.start();
      } catch (e) {
        const msg = (e as Error).message;
        const what = c instanceof Slirp && !msg.includes('guest forwarding device') ? `Could not set up host forwarding rule: ${msg}` : msg;
        const opt = d.id.startsWith('__org.qemu.nic') ? '-nic' : d.legacyHub !== undefined ? '-net' : '-netdev';
        // Several lines (a guestfwd chardev: the connect error, then QEMU's own): each prefixed.
        throw new QemuError(what.split('\n').map((l) => optError(opt, d.text, l).message).join(`\n${'tsqemu-system-riscv64: '}`));
      }
    }
  }

  private hubPort(hubId: number, peer?: NetClientState): NetHubPort {
    const p = this.hubs.get(hubId).addPort();
    this.clients.push(p);
    if (peer) connectPeers(p, peer);
    return p;
  }

  private planNic(n: NicSpec, index: number): void {
    const sameModel = this.nics.filter((x) => x.model === n.model).length;
    const name = n.id ?? `${n.model}.${sameModel}`;
    let peer: NetClientState | undefined;
    if (n.netdev !== undefined) peer = this.byId.get(n.netdev);
    else if (n.hub !== undefined) peer = this.hubPort(n.hub);
    this.nics.push({ name, model: n.model, mac: n.mac ?? defaultMac(index), peer, pciProps: n.pciProps, place: n.place, seq: n.seq });
  }

  /** A NIC was created for a plan: it joins the client list (info network order). */
  nicCreated(nc: NetClientState): void {
    this.clients.push(nc);
  }

  /** HMP/QMP set_link (qmp_set_link): a NIC's peer follows it, a back end's NIC follows it. */
  setLink(name: string, up: boolean): string | undefined {
    const nc = this.clients.find((c) => c.name === name);
    if (!nc) return `Device '${name}' not found`;
    nc.linkDown = !up;
    nc.linkStatusChanged();
    if (nc.peer) {
      if (nc.peer.type === 'nic') nc.peer.linkDown = !up;
      nc.peer.linkStatusChanged();
    }
    return undefined;
  }

  /** HMP `info network`. */
  infoNetwork(): string {
    let out = '';
    const line = (nc: NetClientState): string => {
      let s = `${nc.name}: index=${nc.queueIndex},type=${nc.type},${nc.infoStr()}\n`;
      if (nc.filters.length > 0) s += 'filters:\n' + nc.filters.map((f) => `  - ${f.info()}\n`).join('');
      return s;
    };
    for (const hub of this.hubs.hubs.values()) {
      out += `hub ${hub.id}\n`;
      for (const p of hub.ports) out += ` \\ ${p.name}` + (p.peer ? `: ${line(p.peer)}` : '\n');
    }
    for (const nc of this.clients) {
      const onHub = nc instanceof NetHubPort || nc.peer instanceof NetHubPort;
      if (onHub) continue;
      if (!nc.peer || nc.type === 'nic') out += line(nc);
      if (nc.peer && nc.type === 'nic') out += ` \\ ${line(nc.peer)}`;
    }
    return out;
  }

  /** HMP `info usernet`: the user-mode stacks and their connections. */
  infoUsernet(): string {
    let out = '';
    for (const c of this.clients) {
      if (!(c instanceof Slirp)) continue;
      // Not QEMU's table (it lists libslirp's sockets): one line per TCP connection of ours.
      out += `${c.name}: net=${ipToString(c.cfg.net)}, ${c.connections} TCP connections, ${c.stats.badFrames} bad frames dropped\n`;
      for (const l of c.describeConnections()) out += `  ${l}\n`;
    }
    return out;
  }

  cleanup(): void {
    for (const c of this.clients) c.cleanup();
    for (const f of this.filters) f.close();
  }
}
