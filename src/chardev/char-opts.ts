// -chardev options and the legacy shorthands (QEMU's qemu_chr_parse_opts, qemu_chr_parse_socket
// and qemu_chr_parse_compat): "socket,id=c,path=P,server=on,wait=off", "unix:P,server,nowait",
// "tcp:HOST:PORT,server,nowait". Checks and wording follow qemu-system-riscv64 10.x.
import { QemuError } from '../qemu/error.js';
import { type QemuOptsDict, parseBool, parseQemuOpts, parseSize } from '../qemu/option.js';

export interface ChardevSocketSpec {
  backend: 'socket';
  id: string;
  /** Unix socket path, or undefined for TCP. */
  path?: string;
  /** TCP: host ('' = any address for a server, localhost for a client) and port. */
  host?: string;
  port?: string;
  server: boolean;
  /** Server: block startup until the first client connects (wait=on, QEMU's default). */
  wait: boolean;
  /** fd=N: an inherited socket (libvirt passes its bound, listening monitor socket). */
  fd?: number;
  /** TCP_NODELAY on the connection (nodelay=on; the gdbstub always sets it, as QEMU). */
  nodelay?: boolean;
}

export interface ChardevNullSpec { backend: 'null'; id: string }
/** -chardev file,id=ID,path=P[,append=on]: output to a host file. */
export interface ChardevFileSpec { backend: 'file'; id: string; path: string; append: boolean }
/** -chardev ringbuf,id=ID[,size=N]: output kept in memory. */
export interface ChardevRingbufSpec { backend: 'ringbuf'; id: string; size: number }

/** -chardev pty,id=ID[,path=LINK]: a host pseudo-terminal (LINK: a symlink to its slave). */
export interface ChardevPtySpec { backend: 'pty'; id: string; path?: string }
/** -chardev pipe,id=ID,path=P: P.in and P.out, or P alone (FIFOs). */
export interface ChardevPipeSpec { backend: 'pipe'; id: string; path: string }
/** -chardev stdio,id=ID[,signal=on|off]. */
export interface ChardevStdioSpec { backend: 'stdio'; id: string; signal: boolean }

export type ChardevBackendSpec = ChardevSocketSpec | ChardevNullSpec | ChardevFileSpec | ChardevRingbufSpec | ChardevPtySpec
  | ChardevPipeSpec | ChardevStdioSpec;

/**
 * A chardev and the option that made it (errors name it: "-serial unix:...: ..."); logfile= copies
 * its output; mux=on lets several frontends share it (the serial port and a monitor: C-a c).
 */
export type ChardevSpec = ChardevBackendSpec & { opt: string; text: string; logfile?: string; logappend?: boolean; mux?: boolean };

/** The options every backend takes (QEMU's ChardevCommon). */
const COMMON_KEYS = ['backend', 'id', 'logfile', 'logappend', 'mux'];

const SOCKET_KEYS = ['id', 'path', 'host', 'port', 'to', 'ipv4', 'ipv6', 'nodelay', 'server', 'wait', 'reconnect',
  'reconnect-ms', 'telnet', 'tn3270', 'websocket', 'fd', 'abstract', 'tight', 'mux', 'logfile', 'logappend',
  'tls-creds', 'tls-authz', 'backend'];
/** QEMU's other backends: valid names we do not model (yet). */
const OTHER_BACKENDS = ['stdio', 'file', 'pipe', 'pty', 'udp', 'vc', 'ringbuf', 'memory', 'msmouse', 'wctablet',
  'braille', 'testdev', 'serial', 'tty', 'parallel', 'parport', 'mux', 'spicevmc', 'spiceport', 'qemu-vdagent', 'dbus'];

function checkKeys(o: QemuOptsDict, known: readonly string[]): void {
  for (const k of o.keys()) if (!known.includes(k)) throw new QemuError(`Invalid parameter '${k}'`);
}

function bool(o: QemuOptsDict, key: string, dflt: boolean): boolean {
  const v = o.get(key);
  return v === undefined ? dflt : parseBool(key, v);
}

/** The socket backend's options, checked in QEMU's order (qemu_chr_parse_socket). */
function parseSocket(o: QemuOptsDict, id: string): ChardevSocketSpec {
  checkKeys(o, SOCKET_KEYS);
  const path = o.get('path'), host = o.get('host'), fd = o.get('fd');
  const server = bool(o, 'server', false);
  const wait = bool(o, 'wait', true);
  if ([path, host, fd].filter((v) => v !== undefined).length > 1) {
    throw new QemuError(`None or one of 'path', 'fd' or 'host' option required.`);
  }
  if (server && (o.has('reconnect') || o.has('reconnect-ms'))) {
    throw new QemuError(`'reconnect' option is incompatible with socket in server listen mode`);
  }
  if (!server && o.has('wait')) throw new QemuError(`'wait' option is incompatible with socket in client connect mode`);
  for (const k of ['telnet', 'tn3270', 'websocket', 'tls-creds', 'tls-authz', 'reconnect', 'reconnect-ms', 'abstract']) {
    if (o.has(k) && o.get(k) !== 'off') throw new QemuError(`socket option '${k}' is not supported by tsqemu`);
  }
  if (path !== undefined) return { backend: 'socket', id, path, server, wait };
  if (host !== undefined || o.has('port')) {
    if (!o.has('port')) throw new QemuError('chardev: socket: no port given');
    return { backend: 'socket', id, host: host ?? '', port: o.get('port'), server, wait };
  }
  if (fd === undefined || !/^[0-9]+$/.test(fd)) throw new QemuError(`Unable to parse FD number ${fd ?? ''}`);
  return { backend: 'socket', id, fd: Number(fd), server, wait };
}

/** -chardev BACKEND,id=ID,... */
export function parseChardev(text: string): ChardevSpec {
  const o = parseQemuOpts(text, 'backend');
  const backend = o.get('backend') ?? '';
  const id = o.get('id');
  if (backend === 'help') throw new QemuError('Available chardev backend types:\n  file\n  memory\n  null\n  pipe\n  pty\n  ringbuf\n  socket\n  stdio');
  const known = backend === 'socket' || backend === 'null' || OTHER_BACKENDS.includes(backend);
  if (!known) throw new QemuError(`'${backend}' is not a valid char driver name`);
  if (id === undefined) throw new QemuError('chardev: no id specified');
  const logfile = o.get('logfile');
  const spec = {
    opt: '-chardev', text, ...(logfile !== undefined ? { logfile, logappend: bool(o, 'logappend', false) } : {}),
    ...(bool(o, 'mux', false) ? { mux: true } : {}),
  };
  if (backend === 'null') { checkKeys(o, COMMON_KEYS); return { ...spec, backend: 'null', id }; }
  if (backend === 'pty') {
    checkKeys(o, [...COMMON_KEYS, 'path']);
    return { ...spec, backend: 'pty', id, ...(o.has('path') ? { path: o.get('path') } : {}) };
  }
  if (backend === 'pipe') {
    checkKeys(o, [...COMMON_KEYS, 'path']);
    const path = o.get('path');
    if (path === undefined) throw new QemuError('chardev: pipe: no device path given');
    return { ...spec, backend: 'pipe', id, path };
  }
  if (backend === 'stdio') {
    checkKeys(o, [...COMMON_KEYS, 'signal']);
    return { ...spec, backend: 'stdio', id, signal: bool(o, 'signal', true) };
  }
  if (backend === 'file') {
    checkKeys(o, [...COMMON_KEYS, 'path', 'append', 'in']);
    if (o.has('in')) throw new QemuError(`chardev file option 'in' is not supported by tsqemu`);
    const path = o.get('path');
    if (path === undefined) throw new QemuError('chardev: file: no filename given');
    return { ...spec, backend: 'file', id, path, append: bool(o, 'append', false) };
  }
  if (backend === 'ringbuf' || backend === 'memory') {
    checkKeys(o, [...COMMON_KEYS, 'size']);
    const sz = o.get('size') ?? '65536';
    const size = parseSize('size', sz); // a QEMU size: 64K, 1M ...
    if (!(size > 0 && size <= 2 ** 30 && (size & (size - 1)) === 0)) throw new QemuError('size of ringbuf chardev must be power of two');
    return { ...spec, backend: 'ringbuf', id, size };
  }
  if (backend !== 'socket') throw new QemuError(`chardev backend '${backend}' is not supported by tsqemu`);
  return { ...spec, ...parseSocket(o, id) };
}

/**
 * The legacy "unix:PATH[,server][,nowait]" and "tcp:[HOST]:PORT[,...]" forms of -serial and
 * -monitor (qemu_chr_parse_compat); null when `text` is neither.
 */
export function parseCompatSocket(text: string, id: string): ChardevSocketSpec | null {
  const m = /^(unix|tcp):(.*)$/.exec(text);
  if (!m) return null;
  const [addr, ...rest] = m[2].split(',');
  const o: QemuOptsDict = rest.length > 0 ? parseQemuOpts(rest.join(',')) : new Map();
  // "nowait" and "nodelay" are old negated flags: wait=off.
  if (o.has('nowait')) { o.delete('nowait'); o.set('wait', 'off'); }
  checkKeys(o, SOCKET_KEYS);
  if (m[1] === 'unix') {
    if (addr === '') throw new QemuError('Unable to parse FD number ');
    o.set('path', addr);
  } else {
    const colon = addr.lastIndexOf(':');
    if (colon < 0) throw new QemuError(`address resolution failed for ${addr}: Name or service not known`);
    o.set('host', addr.slice(0, colon));
    o.set('port', addr.slice(colon + 1));
  }
  return parseSocket(o, id);
}

/**
 * The other legacy forms of -serial and -monitor that name a backend: "pty", "pipe:PATH",
 * "stdio"-less ones only (stdio is the console's); null when `text` is none of them.
 */
export function parseCompatBackend(text: string, id: string): ChardevPtySpec | ChardevPipeSpec | null {
  if (text === 'pty') return { backend: 'pty', id };
  if (text.startsWith('pipe:')) {
    if (text.length === 5) throw new QemuError('chardev: pipe: no device path given');
    return { backend: 'pipe', id, path: text.slice(5) };
  }
  return null;
}

/** QEMU's describe string: "disconnected:unix:/tmp/s,server=on", "disconnected:tcp:0.0.0.0:4444,server=on". */
export function describeSocket(s: ChardevSocketSpec): string {
  const where = s.fd !== undefined ? `fd:${s.fd}` : s.path !== undefined ? `unix:${s.path}` : `tcp:${s.host || '0.0.0.0'}:${s.port ?? ''}`;
  return `disconnected:${where}${s.server ? ',server=on' : ''}`;
}
