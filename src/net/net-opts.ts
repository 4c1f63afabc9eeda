// The network command line: -netdev, -nic, -net (legacy), -device virtio-net-*, and -object
// filter-dump. Parsing is pure (no host access): it checks every option and builds the specs the
// binary turns into clients (src/cli/system-net.ts). Errors carry QEMU's wording.
import { QemuError } from '../qemu/error.js';
import type { MmioPlace } from '../hw/riscv/virt-mmio-slots.js';
import { encodeDnsSearch } from './slirp/dhcp.js';
import { type QemuOptsDict, parseBool, parseQemuOpts } from '../qemu/option.js';
import { parseMac } from './net.js';
import { type GuestFwd, type HostFwd, type SlirpConfig } from './slirp/slirp.js';
import { parseIp } from './slirp/ip.js';
import { ip6InNet, parseIp6 } from './slirp/ip6.js';
import type { Ip6Config } from './slirp/ndp.js';
import type { NetSocketMode } from './socket.js';
import type { StreamAddress } from './net-host.js';

export type NetdevType = 'user' | 'socket' | 'stream' | 'dgram' | 'hubport';

export interface NetdevSpec {
  id: string;
  type: NetdevType;
  text: string;
  user?: SlirpConfig;
  socket?: NetSocketMode;
  /** hubport: the hub, and optionally the netdev plugged into this port. */
  hubid?: number;
  hubNetdev?: string;
  /** Legacy -net back end: it sits on hub 0. */
  legacyHub?: number;
}

export type NicModel = 'virtio-net-device' | 'virtio-net-pci';

export interface NicSpec {
  id?: string;
  /** virtio-net-pci: QEMU's NIC on this board (-nic/-net nic default); virtio-net-device: virtio-mmio. */
  model: NicModel;
  /** -device virtio-net-pci's bus= and addr=. */
  pciProps?: ReadonlyMap<string, string>;
  mac?: Uint8Array;
  netdev?: string;
  /** Legacy -net nic: on hub 0. */
  hub?: number;
  opt: string;
  text: string;
  /** -device virtio-net-device: its place among the virtio-mmio devices (virt-mmio-slots.ts). */
  place?: MmioPlace;
  /** -device virtio-net-pci: its position among the -device options (QEMU's realize order). */
  seq?: number;
}

export interface FilterDumpSpec {
  id: string;
  netdev: string;
  file: string;
  maxlen: number;
  text: string;
}

export interface NetConfig {
  netdevs: NetdevSpec[];
  nics: NicSpec[];
  filters: FilterDumpSpec[];
  /** -nic none / -net none seen. */
  none: boolean;
  nicCount: number;
  /** Legacy -net back ends per type, for their default names (user.0, socket.1...). */
  legacyCounts: Record<string, number>;
}

export function newNetConfig(): NetConfig {
  return { netdevs: [], nics: [], filters: [], none: false, nicCount: 0, legacyCounts: {} };
}

const NETDEV_TYPES = ['user', 'socket', 'stream', 'dgram', 'hubport'];
const UNSUPPORTED_TYPES = ['tap', 'bridge', 'l2tpv3', 'vde', 'netmap', 'af-xdp', 'vhost-user', 'vhost-vdpa', 'passt'];
const NIC_MODELS = 'Supported NIC models:\nvirtio-net-device\nvirtio-net-pci\n';

/** Split at single commas, keeping every occurrence (hostfwd= may repeat). */
function allValues(text: string, key: string): string[] {
  const out: string[] = [];
  let cur = '';
  const flush = () => { if (cur.startsWith(`${key}=`)) out.push(cur.slice(key.length + 1)); cur = ''; };
  for (let i = 0; i < text.length; i++) {
    if (text[i] === ',') {
      if (text[i + 1] === ',') { cur += ','; i++; continue; }
      flush();
    } else {
      cur += text[i];
    }
  }
  flush();
  return out;
}

function checkKeys(o: QemuOptsDict, known: string[], type: string): void {
  for (const k of o.keys()) if (!known.includes(k)) throw new QemuError(`Invalid parameter '${k}'${type ? ` for netdev type '${type}'` : ''}`);
}

function ipOpt(o: QemuOptsDict, key: string, dflt: number): number {
  const v = o.get(key);
  if (v === undefined) return dflt;
  const ip = parseIp(v);
  if (ip === undefined) throw new QemuError(`Parameter '${key}' expects an IPv4 address`);
  return ip;
}

const USER_KEYS = ['type', 'id', 'net', 'host', 'dhcpstart', 'dns', 'hostname', 'restrict', 'hostfwd', 'ipv4', 'ipv6',
  'tftp', 'bootfile', 'tftp-server-name', 'domainname', 'dnssearch', 'guestfwd', 'ipv6-net', 'ipv6-host', 'ipv6-dns',
  'ipv6-prefix', 'ipv6-prefixlen'];
const USER_UNSUPPORTED = ['smb', 'smbserver', 'vlan', 'name'];

/** ipv4=/ipv6= as net_init_slirp reads them: naming only one family turns the other off. */
function userFamilies(o: QemuOptsDict): { ipv4: boolean; ipv6: boolean } {
  const v4 = o.has('ipv4') ? parseBool('ipv4', o.get('ipv4') as string) : undefined;
  const v6 = o.has('ipv6') ? parseBool('ipv6', o.get('ipv6') as string) : undefined;
  return {
    ipv4: !((v6 === true && v4 === undefined) || v4 === false),
    ipv6: !((v4 === true && v6 === undefined) || v6 === false),
  };
}

/** ipv6-net= (net_client_init splits it into ipv6-prefix and ipv6-prefixlen) and ipv6-prefixlen=. */
function ipv6PrefixText(o: QemuOptsDict): { prefix?: string; len?: number } {
  const n = o.get('ipv6-net');
  if (n !== undefined) {
    const i = n.indexOf('/');
    const lenText = i < 0 ? undefined : n.slice(i + 1);
    if (lenText !== undefined && !/^[-+]?[0-9]+$/.test(lenText)) throw new QemuError("Parameter 'ipv6-prefixlen' expects a number");
    return { prefix: i < 0 ? n : n.slice(0, i), len: lenText === undefined ? 64 : Number(lenText) };
  }
  const l = o.get('ipv6-prefixlen');
  if (l !== undefined && !/^[-+]?[0-9]+$/.test(l)) throw new QemuError("Parameter 'ipv6-prefixlen' expects an int64 value");
  return { prefix: o.get('ipv6-prefix'), len: l === undefined ? undefined : Number(l) };
}

/** net_slirp_init's IPv6 part (QEMU's wording). */
function parseUser6(o: QemuOptsDict, p: { prefix?: string; len?: number }, restrict: boolean): Ip6Config {
  const prefix = parseIp6(p.prefix ?? 'fec0::');
  if (!prefix) throw new QemuError('Failed to parse IPv6 prefix');
  const prefixLen = p.len === undefined || p.len === 0 ? 64 : p.len;
  if (prefixLen < 0 || prefixLen > 126) throw new QemuError('Invalid IPv6 prefix provided (IPv6 prefix length must be between 0 and 126)');
  const withLast = (b: number) => { const a = prefix.slice(); a[15] |= b; return a; };
  const hostText = o.get('ipv6-host');
  let host: Uint8Array = withLast(2);
  if (hostText !== undefined) {
    const h = parseIp6(hostText);
    if (!h) throw new QemuError('Failed to parse IPv6 host');
    if (!ip6InNet(h, prefix, prefixLen)) throw new QemuError("IPv6 Host doesn't belong to network");
    host = h;
  }
  const dnsText = o.get('ipv6-dns');
  let dns: Uint8Array = withLast(3);
  if (dnsText !== undefined) {
    const d = parseIp6(dnsText);
    if (!d) throw new QemuError('Failed to parse IPv6 DNS');
    if (restrict && !ip6InNet(d, prefix, prefixLen)) throw new QemuError("IPv6 DNS doesn't belong to network");
    dns = d;
  }
  return { prefix, prefixLen, host, dns };
}

function parseUser(o: QemuOptsDict, text: string): SlirpConfig {
  for (const k of o.keys()) if (USER_UNSUPPORTED.includes(k)) throw new QemuError(`user-mode network option '${k}' is not supported by tsqemu`);
  checkKeys(o, USER_KEYS, 'user');
  const p6 = ipv6PrefixText(o);
  const fam = userFamilies(o);
  if (!fam.ipv4 && (o.has('net') || o.has('host') || o.has('dns'))) throw new QemuError('IPv4 disabled but netmask/host/dns provided');
  if (!fam.ipv6 && (p6.prefix !== undefined || o.has('ipv6-host') || o.has('ipv6-dns'))) {
    throw new QemuError('IPv6 disabled but prefix/host6/dns6 provided');
  }
  if (!fam.ipv4 && !fam.ipv6) throw new QemuError('IPv4 and IPv6 disabled');
  if (!fam.ipv4) {
    throw new QemuError(`IPv4 is required: ${o.has('ipv4') ? 'ipv4=off' : 'ipv6=on without ipv4=on (which turns IPv4 off, as in QEMU)'} is not supported by tsqemu`);
  }
  let net = parseIp('10.0.2.0') as number;
  let bits = 24;
  const netText = o.get('net');
  if (netText !== undefined) {
    const m = /^([0-9.]+)(?:\/([0-9]+|[0-9.]+))?$/.exec(netText);
    const a = m ? parseIp(m[1]) : undefined;
    if (!m || a === undefined) throw new QemuError(`Invalid network address '${netText}'`);
    if (m[2] !== undefined) {
      if (m[2].includes('.')) {
        const mk = parseIp(m[2]);
        if (mk === undefined || ((~mk >>> 0) & ((~mk >>> 0) + 1)) !== 0) throw new QemuError(`Invalid netmask '${m[2]}'`);
        bits = 32 - Math.log2((~mk >>> 0) + 1);
      } else {
        bits = Number(m[2]);
      }
      if (bits < 1 || bits > 30) throw new QemuError(`Invalid netmask length '${m[2]}'`);
    } else {
      bits = 24;
    }
    net = a;
  }
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  net = (net & mask) >>> 0;
  const host = ipOpt(o, 'host', (net | 2) >>> 0);
  const dns = ipOpt(o, 'dns', (net | 3) >>> 0);
  const dhcpStart = ipOpt(o, 'dhcpstart', (net | 15) >>> 0);
  for (const [k, v] of [['host', host], ['dns', dns], ['dhcpstart', dhcpStart]] as const) {
    if (((v ^ net) & mask) !== 0) throw new QemuError(`Parameter '${k}' must be in the guest network (net=)`);
  }
  const hostfwd = allValues(text, 'hostfwd').map((r) => parseHostFwd(r, dhcpStart));
  const guestfwd = allValues(text, 'guestfwd').map((r) => parseGuestFwd(r, net, mask, host, dns));
  for (let i = 0; i < guestfwd.length; i++) {
    if (guestfwd.slice(0, i).some((g) => g.addr === guestfwd[i].addr && g.port === guestfwd[i].port)) {
      throw new QemuError(`Conflicting/invalid host:port in guest forwarding rule '${guestfwd[i].rule}'`);
    }
  }
  const restrictText = o.get('restrict');
  // net_slirp_init's checks (QEMU's wording).
  const domainname = o.get('domainname');
  if (domainname !== undefined && domainname === '') throw new QemuError("'domainname' parameter cannot be empty");
  for (const k of ['hostname', 'domainname', 'tftp-server-name']) {
    if ((o.get(k)?.length ?? 0) > 255) throw new QemuError(`'${k === 'hostname' ? 'vhostname' : k}' parameter cannot exceed 255 bytes`);
  }
  const bootfile = o.get('bootfile');
  if (bootfile !== undefined && bootfile.length >= 128) throw new QemuError("'bootfile' parameter cannot exceed 127 bytes");
  const search = allValues(text, 'dnssearch');
  const dnssearch = search.length > 0 ? encodeDnsSearch(search) : undefined;
  if (search.length > 0 && !dnssearch) throw new QemuError(`Invalid dnssearch domain name in '${search.join(',')}'`);
  const tftp = o.get('tftp');
  const restrict = restrictText === undefined ? false : parseBool('restrict', restrictText);
  const ipv6 = parseUser6(o, p6, restrict);
  return {
    ipv6: fam.ipv6 ? ipv6 : undefined,
    net, mask, host, dns, dhcpStart, hostname: o.get('hostname'), hostfwd, guestfwd,
    restrict: restrictText === undefined ? false : parseBool('restrict', restrictText),
    tftp: tftp === undefined ? undefined : tftp.replace(/\/+$/, '') || '/',
    bootfile, tftpServerName: o.get('tftp-server-name'), domainname, dnssearch,
  };
}

/** guestfwd=[tcp]:[server]:port-cmd:COMMAND | -CHARDEV (QEMU's slirp_guestfwd). */
export function parseGuestFwd(rule: string, net: number, mask: number, host: number, dns: number): GuestFwd {
  const bad = () => new QemuError(`Invalid guest forwarding rule '${rule}'`);
  const m = /^(tcp|):([^:]*):([^-]*)-(.*)$/s.exec(rule);
  if (!m) throw bad();
  let addr = m[2] === '' ? 0 : parseIp(m[2]);
  if (addr === undefined || !/^[0-9]+$/.test(m[3])) throw bad();
  const port = Number(m[3]);
  if (port < 1 || port > 65535) throw bad();
  if (addr === 0) addr = (net | (0x0204 & ~mask)) >>> 0; // libslirp's default: 10.0.2.4
  if (((addr ^ net) & mask) !== 0 || addr === host || addr === dns) {
    throw new QemuError(`Conflicting/invalid host:port in guest forwarding rule '${rule}'`);
  }
  const target = m[4];
  if (target.startsWith('cmd:')) return { rule, addr, port, cmd: target.slice(4) };
  // A chardev in the legacy syntax; the client socket kinds are what a user-mode link can use.
  const name = `guestfwd.tcp.${port}`;
  const t = /^tcp:([^:,]*):([0-9]+)(,.*)?$/.exec(target);
  const u = /^unix:([^,]+)(,.*)?$/.exec(target);
  const extra = t?.[3] ?? u?.[2];
  if ((!t && !u) || (extra !== undefined && extra !== '')) {
    throw new QemuError(`Could not open guest forwarding device '${name}': chardev '${target}' is not supported by tsqemu (tcp:HOST:PORT, unix:PATH or cmd:)`);
  }
  const chardev: StreamAddress = t
    ? { type: 'inet', host: t[1] === '' || t[1] === 'localhost' ? '127.0.0.1' : t[1], port: Number(t[2]) }
    : { type: 'unix', path: (u as RegExpExecArray)[1] };
  return { rule, addr, port, chardev, name };
}

/** hostfwd=[tcp|udp]:[hostaddr]:hostport-[guestaddr]:guestport */
export function parseHostFwd(rule: string, dhcpStart: number): HostFwd {
  const bad = (why: string) => new QemuError(`Invalid host forwarding rule '${rule}' (${why})`);
  const m = /^(tcp|udp|)?:([^:]*):([0-9]*)-([^:]*):([0-9]*)$/.exec(rule);
  if (!m) {
    if (/^[a-z]+:/.test(rule) && !/^(tcp|udp):/.test(rule)) throw bad('Bad protocol name');
    throw bad('Bad host address');
  }
  const hostAddr = m[2] === '' ? '0.0.0.0' : m[2];
  if (parseIp(hostAddr) === undefined) throw bad('Bad host address');
  const hostPort = Number(m[3]);
  if (m[3] === '' || hostPort > 65535) throw bad('Bad host port');
  const guestAddr = m[4] === '' ? dhcpStart : parseIp(m[4]);
  if (guestAddr === undefined) throw bad('Bad guest address');
  const guestPort = Number(m[5]);
  if (m[5] === '' || guestPort < 1 || guestPort > 65535) throw bad('Bad guest port');
  return { proto: (m[1] || 'tcp') as 'tcp' | 'udp', hostAddr, hostPort, guestAddr, guestPort };
}

function hostPort(text: string, what: string, allowEmptyHost: boolean): { host: string; port: number } {
  const m = /^([^:]*):([0-9]+)$/.exec(text);
  if (!m || Number(m[2]) > 65535 || (!allowEmptyHost && m[1] === '')) throw new QemuError(`${what}: invalid address '${text}'`);
  return { host: m[1] === '' ? '0.0.0.0' : m[1] === 'localhost' ? '127.0.0.1' : m[1], port: Number(m[2]) };
}

/** addr.type=inet,addr.host=,addr.port= | addr.type=unix,addr.path= (the QAPI flat form). */
function socketAddress(o: QemuOptsDict, prefix: string, required: boolean): StreamAddress | undefined {
  const type = o.get(`${prefix}.type`);
  if (type === undefined) {
    if (required) throw new QemuError(`Parameter '${prefix}.type' is missing`);
    return undefined;
  }
  if (type === 'inet') {
    const host = o.get(`${prefix}.host`);
    const port = o.get(`${prefix}.port`);
    if (host === undefined) throw new QemuError(`Parameter '${prefix}.host' is missing`);
    if (port === undefined) throw new QemuError(`Parameter '${prefix}.port' is missing`);
    if (!/^[0-9]+$/.test(port) || Number(port) > 65535) throw new QemuError(`Parameter '${prefix}.port' expects a port number`);
    return { type: 'inet', host: host === 'localhost' ? '127.0.0.1' : host, port: Number(port) };
  }
  if (type === 'unix') {
    const path = o.get(`${prefix}.path`);
    if (path === undefined) throw new QemuError(`Parameter '${prefix}.path' is missing`);
    return { type: 'unix', path };
  }
  if (type === 'fd' || type === 'vsock') throw new QemuError(`${prefix}.type=${type} is not supported by tsqemu`);
  throw new QemuError(`Parameter '${prefix}.type' does not accept value '${type}'`);
}

function parseStream(o: QemuOptsDict): NetSocketMode {
  for (const k of o.keys()) {
    if (!['type', 'id', 'server', 'reconnect', 'reconnect-ms'].includes(k) && !/^addr\.(type|host|port|path|ipv4|ipv6|numeric)$/.test(k)) {
      throw new QemuError(`Invalid parameter '${k}'`);
    }
  }
  const addr = socketAddress(o, 'addr', true) as StreamAddress;
  const server = o.has('server') ? parseBool('server', o.get('server') as string) : false;
  const rs = o.get('reconnect');
  const rms = o.get('reconnect-ms');
  const reconnectMs = rms !== undefined ? Number(rms) : rs !== undefined ? Number(rs) * 1000 : undefined;
  if (reconnectMs !== undefined && !(reconnectMs >= 0)) throw new QemuError(`Parameter 'reconnect-ms' expects uint64`);
  if (server && reconnectMs) throw new QemuError(`'reconnect-ms' option is incompatible with 'server' option`);
  return { kind: 'stream', server, addr, reconnectMs };
}

function parseDgram(o: QemuOptsDict): NetSocketMode {
  for (const k of o.keys()) {
    if (!['type', 'id'].includes(k) && !/^(local|remote)\.(type|host|port|path)$/.test(k)) throw new QemuError(`Invalid parameter '${k}'`);
  }
  const remote = socketAddress(o, 'remote', false);
  const local = socketAddress(o, 'local', false);
  if (remote?.type === 'unix' || local?.type === 'unix') throw new QemuError('-netdev dgram with unix sockets is not supported by tsqemu');
  if (!remote && !local) throw new QemuError(`dgram requires one of 'remote' and 'local' parameters`);
  const r = remote as { host: string; port: number } | undefined;
  const l = local as { host: string; port: number } | undefined;
  const mc = r && isMulticast(r.host);
  if (mc) return { kind: 'dgram', mcast: r.host, local: { host: l?.host ?? '0.0.0.0', port: r.port } };
  if (!r) throw new QemuError(`dgram requires 'remote' parameter when 'local' is not multicast`);
  if (!l) throw new QemuError(`dgram requires 'local' parameter when 'remote' is not multicast`);
  return { kind: 'dgram', remote: r, local: l };
}

function isMulticast(host: string): boolean {
  const ip = parseIp(host);
  return ip !== undefined && ip >>> 28 === 14;
}

function parseSocket(o: QemuOptsDict): NetSocketMode {
  checkKeys(o, ['type', 'id', 'listen', 'connect', 'mcast', 'udp', 'localaddr', 'fd'], 'socket');
  if (o.has('fd')) throw new QemuError(`socket fd= is not supported by tsqemu`);
  const modes = ['listen', 'connect', 'mcast', 'udp'].filter((k) => o.has(k));
  if (modes.length !== 1) throw new QemuError('exactly one of listen=, connect=, mcast= or udp= is required');
  const v = o.get(modes[0]) as string;
  const local = o.get('localaddr');
  if (local !== undefined && modes[0] !== 'mcast' && modes[0] !== 'udp') throw new QemuError('localaddr= is only valid with mcast= or udp=');
  switch (modes[0]) {
    case 'listen': {
      const a = hostPort(v, 'listen', true);
      return { kind: 'stream', server: true, addr: { type: 'inet', ...a } };
    }
    case 'connect':
      return { kind: 'stream', server: false, addr: { type: 'inet', ...hostPort(v, 'connect', false) } };
    case 'mcast': {
      const a = hostPort(v, 'mcast', false);
      if (!isMulticast(a.host)) throw new QemuError(`specified mcastaddr "${a.host}" (0x${(parseIp(a.host) ?? 0).toString(16)}) does not contain a multicast address`);
      return { kind: 'dgram', mcast: a.host, local: { host: local ?? '0.0.0.0', port: a.port } };
    }
    default: {
      if (local === undefined) throw new QemuError('localaddr= is mandatory with udp=');
      return { kind: 'dgram', remote: hostPort(v, 'udp', false), local: hostPort(local, 'localaddr', true) };
    }
  }
}

function parseHubport(o: QemuOptsDict, spec: NetdevSpec): void {
  checkKeys(o, ['type', 'id', 'hubid', 'netdev'], 'hubport');
  const h = o.get('hubid');
  if (h === undefined) throw new QemuError(`Parameter 'hubid' is missing`);
  if (!/^[0-9]+$/.test(h)) throw new QemuError(`Parameter 'hubid' expects int32`);
  spec.hubid = Number(h);
  spec.hubNetdev = o.get('netdev');
}

/** One back end from its options (shared by -netdev, -nic and -net). */
function parseBackend(o: QemuOptsDict, text: string, id: string): NetdevSpec {
  const type = o.get('type') ?? '';
  if (UNSUPPORTED_TYPES.includes(type)) throw new QemuError(`network backend '${type}' is not supported by tsqemu`);
  if (!NETDEV_TYPES.includes(type)) {
    if (type === '') throw new QemuError(`Parameter 'type' is missing`);
    throw new QemuError(`Parameter 'type' does not accept value '${type}'`);
  }
  const spec: NetdevSpec = { id, type: type as NetdevType, text };
  switch (type) {
    case 'user': spec.user = parseUser(o, text); break;
    case 'socket': spec.socket = parseSocket(o); break;
    case 'stream': spec.socket = parseStream(o); break;
    case 'dgram': spec.socket = parseDgram(o); break;
    case 'hubport': parseHubport(o, spec); break;
  }
  return spec;
}

function addNetdev(cfg: NetConfig, spec: NetdevSpec): void {
  if (cfg.netdevs.some((n) => n.id === spec.id)) throw new QemuError(`Duplicate ID '${spec.id}' for netdev`);
  cfg.netdevs.push(spec);
}

/** QEMU 10.2's virt: the default NIC model and the `virtio` alias are virtio-net-pci. */
function nicModel(model: string | undefined): NicModel {
  if (model === undefined || model === 'virtio' || model === 'virtio-net-pci' || model === 'virtio-net') return 'virtio-net-pci';
  if (model === 'virtio-net-device') return 'virtio-net-device';
  // QEMU 10.2 (net_check_clients): the models this board's NICs may take, sorted, on stdout, exit 0.
  if (model === 'help' || model === '?') throw new QemuError('Available NIC models for this configuration:\nvirtio-net-device\nvirtio-net-pci (aka virtio)');
  throw new QemuError(`unsupported NIC model '${model}'\n${NIC_MODELS.trimEnd()}`);
}

function macOpt(v: string | undefined, prop: string): Uint8Array | undefined {
  if (v === undefined) return undefined;
  const mac = parseMac(v);
  if (!mac) throw new QemuError(`Property '${prop}' doesn't take value '${v}'`);
  if (mac[0] & 1) throw new QemuError(`Property '${prop}' doesn't take value '${v}' (multicast address)`);
  return mac;
}

/** -netdev TYPE,id=ID,... */
export function parseNetdevOption(cfg: NetConfig, text: string): void {
  const o = parseQemuOpts(text, 'type');
  const type = o.get('type');
  if (type === 'help') throw new QemuError(`Available netdev backend types:\n${NETDEV_TYPES.join('\n')}`);
  const id = o.get('id');
  if (id === undefined) throw new QemuError(`Parameter 'id' is missing`);
  if (!/^[A-Za-z][A-Za-z0-9_.-]*$/.test(id)) throw new QemuError(`Parameter 'id' expects an identifier`);
  addNetdev(cfg, parseBackend(o, text, id));
}

/** -nic TYPE[,mac=][,model=][,backend options] (none: no NIC). */
export function parseNicOption(cfg: NetConfig, text: string): void {
  const o = parseQemuOpts(text, 'type');
  if (o.get('type') === 'none') { cfg.none = true; return; }
  const model = nicModel(o.get('model'));
  const mac = macOpt(o.get('mac'), `${model}.mac`);
  o.delete('model');
  o.delete('mac');
  const idx = cfg.nicCount++;
  const id = `__org.qemu.nic${idx}`;
  const spec = parseBackend(o, text.replace(/(^|,)(model|mac)=[^,]*/g, ''), id);
  addNetdev(cfg, spec);
  cfg.nics.push({ model, mac, netdev: id, opt: '-nic', text });
}

/** -net nic[,...] | -net TYPE[,...] | -net none: the legacy form, everything on hub 0. */
export function parseNetOption(cfg: NetConfig, text: string): void {
  const o = parseQemuOpts(text, 'type');
  const type = o.get('type');
  if (type === 'none') { cfg.none = true; return; }
  if (type === 'nic') {
    checkKeys(o, ['type', 'model', 'macaddr', 'netdev', 'id', 'name', 'vectors'], '');
    const model = nicModel(o.get('model'));
    const mac = macOpt(o.get('macaddr'), `${model}.mac`);
    cfg.nicCount++;
    const netdev = o.get('netdev');
    cfg.nics.push({ model, mac, netdev, hub: netdev === undefined ? 0 : undefined, id: o.get('id') ?? o.get('name'), opt: '-net', text });
    return;
  }
  if (type === 'hubport' || type === 'dgram' || type === 'stream') throw new QemuError(`Parameter 'type' does not accept value '${type}'`);
  const n = cfg.legacyCounts[type ?? ''] ?? 0;
  cfg.legacyCounts[type ?? ''] = n + 1;
  const name = o.get('id') ?? o.get('name') ?? `${type}.${n}`;
  o.delete('name');
  if (!o.has('id')) o.set('id', name);
  const spec = parseBackend(o, text, name);
  spec.legacyHub = 0;
  addNetdev(cfg, spec);
}

/** -device virtio-net-device,netdev=ID[,mac=][,id=]; false when the driver is not a NIC. */
export function parseNetDevice(cfg: NetConfig, text: string): boolean {
  const o = parseQemuOpts(text, 'driver');
  const driver = o.get('driver') ?? '';
  if (!['virtio-net-device', 'virtio-net', 'virtio-net-pci'].includes(driver)) return false;
  const model = nicModel(driver);
  const keys = model === 'virtio-net-pci' ? ['driver', 'netdev', 'mac', 'id', 'bus', 'addr', 'romfile', 'rombar', 'queue_reset'] : ['driver', 'netdev', 'mac', 'id', 'bus'];
  for (const k of o.keys()) {
    if (!keys.includes(k)) throw new QemuError(`Property '${model}.${k}' not found`);
  }
  cfg.nicCount++;
  const pciProps = new Map([...o].filter(([k]) => ['id', 'bus', 'addr', 'romfile', 'rombar', 'queue_reset'].includes(k)));
  cfg.nics.push({ model, mac: macOpt(o.get('mac'), `${model}.mac`), netdev: o.get('netdev'), id: o.get('id'), opt: '-device', text, pciProps });
  return true;
}

/** -object filter-dump,id=,netdev=,file=[,maxlen=]; false when the object is another type. */
export function parseNetObject(cfg: NetConfig, text: string): boolean {
  const o = parseQemuOpts(text, 'qom-type');
  if (o.get('qom-type') !== 'filter-dump') return false;
  checkKeys(o, ['qom-type', 'id', 'netdev', 'file', 'maxlen', 'queue', 'status', 'position', 'insert'], '');
  const id = o.get('id');
  if (id === undefined) throw new QemuError(`Parameter 'id' is missing`);
  const netdev = o.get('netdev');
  if (netdev === undefined) throw new QemuError(`Parameter 'netdev' cannot be empty`);
  const file = o.get('file');
  if (file === undefined) throw new QemuError(`Parameter 'file' is missing`);
  const q = o.get('queue');
  if (q !== undefined && q !== 'all') throw new QemuError(`filter-dump queue=${q} is not supported by tsqemu (only queue=all)`);
  const ml = o.get('maxlen') ?? '65536';
  if (!/^[0-9]+$/.test(ml) || Number(ml) === 0 || Number(ml) > 2 ** 31) throw new QemuError(`Parameter 'maxlen' expects uint32`);
  cfg.filters.push({ id, netdev, file, maxlen: Number(ml), text });
  return true;
}

/** After the whole command line: every reference resolves (NetRefError names the option). */
export function checkNetConfig(cfg: NetConfig): void {
  const has = (id: string) => cfg.netdevs.some((n) => n.id === id);
  const used = new Set<string>();
  for (const n of cfg.nics) {
    if (n.netdev === undefined) continue;
    if (!has(n.netdev)) throw new NetRefError(n.opt, n.text, `Property '${n.model}.netdev' can't find value '${n.netdev}'`);
    if (used.has(n.netdev)) throw new NetRefError(n.opt, n.text, `Property '${n.model}.netdev' can't take value '${n.netdev}', it's in use`);
    used.add(n.netdev);
  }
  for (const d of cfg.netdevs) {
    if (d.hubNetdev !== undefined) {
      if (!has(d.hubNetdev)) throw new NetRefError('-netdev', d.text, `netdev '${d.hubNetdev}' not found`);
      if (used.has(d.hubNetdev)) throw new NetRefError('-netdev', d.text, `netdev '${d.hubNetdev}' is already in use`);
      used.add(d.hubNetdev);
    }
  }
  for (const f of cfg.filters) {
    if (!has(f.netdev)) throw new NetRefError('-object', f.text, `Property 'filter-dump.netdev' can't find value '${f.netdev}'`);
  }
}

export class NetRefError extends QemuError {
  constructor(readonly opt: string, readonly text: string, what: string) {
    super(what);
  }
}
