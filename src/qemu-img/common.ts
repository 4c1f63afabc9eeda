// Shared pieces of tsqemu-img: the injected host environment, getopt in qemu-img's style,
// opening images (filename + -f, or --image-opts), size formatting, the -p progress line.
import { QemuError } from '../qemu/error.js';
import { parseQemuOpts } from '../qemu/option.js';
import { isJsonFilename, parseJsonFilename } from '../block/json-filename.js';
import { BdrvOpenFlags, BlockDriverState, BlockOptions, CreateOptionDesc, defaultOpenFlags } from '../block/block_int.js';

/** What tsqemu-img needs from the host (given by src/cli/img.ts). */
export interface ImgEnv {
  /** The name error lines start with: argv[0]'s base name, as qemu-img's (default tsqemu-img). */
  prog?: string;
  out(text: string): void;
  err(text: string): void;
  open(opts: BlockOptions, flags: BdrvOpenFlags, probe: boolean): Promise<BlockDriverState>;
  create(format: string, filename: string, size: number, options: BlockOptions): Promise<void>;
  /** --object secret,... (and other object types the host knows). */
  addObject(text: string): void;
  /** Absolute, canonical path (for "actual path" and backing resolution). */
  realPath(p: string): string;
  fileExists(p: string): boolean;
  localTime(sec: number): string;
  formats(): string[];
  /** -o names a format's create() understands (for "-o help"). */
  createOptions(format: string): readonly CreateOptionDesc[];
  /** `count` I/O buffers of `size` bytes, aligned for O_DIRECT and registered with the io_uring
   *  engine when it is in use (bench); absent: plain allocations. */
  ioBuffers?(count: number, size: number): Uint8Array[];
  /** Byte-equality of two equal-length buffers in native code (memcmp); absent: a JS loop. */
  memEqual?(a: Uint8Array, b: Uint8Array): boolean;
}

/** "-o help" as qemu-img prints it. */
export function createOptionsHelp(env: ImgEnv, format: string): string {
  const type = { size: 'size', number: 'num', bool: 'bool (on/off)', string: 'str' };
  const rows = env.createOptions(format).map((d) => `  ${`${d.name}=<${type[d.type]}>`.padEnd(22)} - ${d.help}\n`);
  return `Supported ${format} options:\n${rows.join('')}\nThe protocol level may support further options.\nSpecify the target filename to include those options.\n`;
}

export interface ParsedArgs {
  opts: [string, string][];
  args: string[];
}

/**
 * getopt_long as qemu-img uses it: `short` like "hf:F:" (':' = takes a value), `long` maps
 * names to a short key or to themselves ("output=" takes a value).
 */
export function getopt(argv: string[], short: string, long: Record<string, string>): ParsedArgs {
  const opts: [string, string][] = [];
  const args: string[] = [];
  const takes = (c: string): boolean => { const i = short.indexOf(c); return i >= 0 && short[i + 1] === ':'; };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') { args.push(...argv.slice(i + 1)); break; }
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = eq < 0 ? a.slice(2) : a.slice(2, eq);
      const spec = long[name] ?? long[`${name}=`];
      if (spec === undefined) throw new QemuError(`unrecognized option '${a}'`);
      const key = spec.replace(/=$/, '');
      if (long[`${name}=`] !== undefined || spec.endsWith('=') || takes(key)) {
        let v = eq < 0 ? argv[++i] : a.slice(eq + 1);
        if (v === undefined) throw new QemuError(`option '--${name}' requires an argument`);
        v = v ?? '';
        opts.push([key, v]);
      } else {
        if (eq >= 0) throw new QemuError(`option '--${name}' doesn't allow an argument`);
        opts.push([key, '']);
      }
      continue;
    }
    if (a.startsWith('-') && a.length > 1) {
      for (let j = 1; j < a.length; j++) {
        const c = a[j];
        if (!short.includes(c) || c === ':') throw new QemuError(`invalid option -- '${c}'`);
        if (takes(c)) {
          const v = j + 1 < a.length ? a.slice(j + 1) : argv[++i];
          if (v === undefined) throw new QemuError(`option requires an argument -- '${c}'`);
          opts.push([c, v]);
          break;
        }
        opts.push([c, '']);
      }
      continue;
    }
    args.push(a);
  }
  return { opts, args };
}

export interface OpenSpec {
  filename: string;
  fmt?: string;
  imageOpts?: boolean;
  readOnly?: boolean;
  noBacking?: boolean;
  forceShare?: boolean;
  cache?: string;
  check?: boolean;
  /** aio=threads|native|io_uring (bench -i). */
  aio?: string;
}

/** cache= values for -t/-T (qemu-img default is writeback for images it writes). */
export function cacheFlags(mode: string | undefined, flags: BdrvOpenFlags): void {
  if (mode === undefined) return;
  switch (mode) {
    case 'writeback': break;
    case 'none': case 'off': flags.direct = true; break;
    case 'writethrough': flags.writeThrough = true; break;
    case 'directsync': flags.direct = true; flags.writeThrough = true; break;
    case 'unsafe': flags.noFlush = true; break;
    default: throw new QemuError(`Invalid cache option: ${mode}`);
  }
}

/** Open an image as qemu-img does, with "Could not open 'x': why" on failure. */
export async function imgOpen(env: ImgEnv, spec: OpenSpec): Promise<BlockDriverState> {
  const flags = defaultOpenFlags();
  flags.readOnly = spec.readOnly ?? true;
  flags.noBacking = spec.noBacking ?? false;
  flags.forceShare = spec.forceShare ?? false;
  flags.check = spec.check ?? false;
  cacheFlags(spec.cache, flags);
  if (spec.aio) flags.aio = spec.aio;
  let opts: BlockOptions;
  let probe = false;
  if (spec.imageOpts) {
    opts = parseQemuOpts(spec.filename);
    if (spec.fmt) throw new QemuError('--image-opts and --format are mutually exclusive');
    if (!opts.has('driver')) throw new QemuError("Parameter 'driver' is missing");
  } else if (isJsonFilename(spec.filename)) {
    // json:{...}: the top node's options; -f wins over the object's driver (QEMU joins them so).
    opts = parseJsonFilename(spec.filename);
    if (spec.fmt) opts.set('driver', spec.fmt);
    probe = !opts.has('driver');
  } else {
    opts = new Map([['file', spec.filename]]);
    if (spec.fmt) opts.set('driver', spec.fmt);
    else probe = true;
  }
  try {
    return await env.open(opts, flags, probe);
  } catch (e) {
    if (e instanceof QemuError) {
      throw new QemuError(`Could not open '${spec.filename}': ${e.message}`);
    }
    throw e;
  }
}

/** QEMU's size_to_str: "10 MiB", "1.5 GiB", "196 KiB", "0 B". */
export function sizeToStr(val: number): string {
  const suffixes = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'];
  const x = val / (1000 / 1024);
  const e = x === 0 ? 0 : Math.floor(Math.log2(x)) + 1;
  const i = Math.max(0, Math.floor((e - 1) / 10));
  const v = val / 2 ** (i * 10);
  return `${fmtG3(v)} ${suffixes[i]}B`;
}

/** printf("%0.3g"). */
export function fmtG3(v: number): string {
  if (v === 0) return '0';
  const exp = Math.floor(Math.log10(Math.abs(v)));
  if (exp < -4 || exp >= 3) {
    const [m, ex] = v.toExponential(2).split('e');
    const mm = m.includes('.') ? m.replace(/0+$/, '').replace(/\.$/, '') : m;
    const n = Number(ex);
    return `${mm}e${n < 0 ? '-' : '+'}${String(Math.abs(n)).padStart(2, '0')}`;
  }
  let s = v.toPrecision(3);
  if (s.includes('.')) s = s.replace(/0+$/, '').replace(/\.$/, '');
  return s;
}

/** The -p progress line: "    (12.34/100%)\r". */
export class Progress {
  private last = -1;
  constructor(private env: ImgEnv, private enabled: boolean) {
    if (enabled) this.print(0);
  }
  print(fraction: number): void {
    if (!this.enabled) return;
    const pct = Math.min(100, fraction * 100);
    if (pct - this.last < 1 && pct < 100 && this.last >= 0) return;
    this.last = pct;
    this.env.out(`    (${pct.toFixed(2)}/100%)\r`);
  }
  end(): void {
    if (!this.enabled) return;
    this.env.out('    (100.00/100%)\r\n');
  }
}

/** Parse "-o a=b,c=d" accumulating several -o as qemu-img does. */
export function parseCreateOpts(list: string[]): BlockOptions {
  const o: BlockOptions = new Map();
  for (const text of list) for (const [k, v] of parseQemuOpts(text)) o.set(k, v);
  return o;
}

export function isHelpOption(list: string[]): boolean {
  return list.some((t) => t === 'help' || t === '?' || t.split(',').includes('help'));
}

/** Close a graph, swallowing errors on the way out (the command's error wins). */
export async function safeClose(bs: BlockDriverState | null | undefined): Promise<void> {
  if (bs) await bs.close().catch(() => undefined);
}

/** JSON as QEMU's pretty printer writes it (4-space indent; empty containers still open a line). */
export function qjson(v: unknown, level = 0): string {
  const pad = ' '.repeat(level * 4), inner = ' '.repeat((level + 1) * 4);
  if (Array.isArray(v)) {
    return `[\n${v.map((x) => inner + qjson(x, level + 1)).join(',\n')}${v.length ? '\n' : ''}${pad}]`;
  }
  if (v !== null && typeof v === 'object') {
    const e = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined);
    return `{\n${e.map(([k, x]) => `${inner}${JSON.stringify(k)}: ${qjson(x, level + 1)}`).join(',\n')}${e.length ? '\n' : ''}${pad}}`;
  }
  return JSON.stringify(v);
}
