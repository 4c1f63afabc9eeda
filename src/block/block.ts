// The block graph (QEMU's block.c): driver registry, format probing, opening a node with its
// children from flattened options, node names. Host protocols (the file driver on node:fs)
// are registered by the host layer; the core never touches files itself.
import { QemuError } from '../qemu/error.js';
import { parseBool } from '../qemu/option.js';
import {
  BdrvOpenContext, BdrvOpenFlags, BlockDriver, BlockDriverState, BlockOptions, defaultOpenFlags,
} from './block_int.js';
import { expandJsonFilename, isJsonFilename, parseJsonFilename } from './json-filename.js';

const drivers = new Map<string, BlockDriver>();
const namedNodes = new Map<string, BlockDriverState>();
let anonCounter = 0;

export function bdrvRegister(drv: BlockDriver): void { drivers.set(drv.formatName, drv); }

export function bdrvFindFormat(name: string): BlockDriver | undefined { return drivers.get(name); }

export function bdrvFormats(): string[] { return [...drivers.values()].filter((d) => !d.isProtocol).map((d) => d.formatName).sort(); }

/** A node opened with node-name=..., for file=<node> / backing=<node> / -device drive=<node>. */
export function bdrvLookupNode(name: string): BlockDriverState | undefined { return namedNodes.get(name); }

export function bdrvForgetNode(bs: BlockDriverState): void {
  if (namedNodes.get(bs.nodeName) === bs) namedNodes.delete(bs.nodeName);
}

/** Pick the format whose probe scores highest on the first bytes of an image. */
export function bdrvProbe(header: Uint8Array, filename: string): BlockDriver {
  let best: BlockDriver | undefined;
  let bestScore = 0;
  for (const d of drivers.values()) {
    if (!d.probe) continue;
    const s = d.probe(header, filename);
    if (s > bestScore) { best = d; bestScore = s; }
  }
  if (!best) throw new QemuError('Could not determine image format');
  return best;
}

/** Options under `prefix` with the prefix removed. */
export function subOptions(opts: BlockOptions, prefix: string): BlockOptions {
  const r: BlockOptions = new Map();
  for (const [k, v] of opts) if (k.startsWith(prefix)) r.set(k.slice(prefix.length), v);
  return r;
}

/** Directory-relative name resolution for backing files (POSIX paths; protocols kept). */
export function pathCombine(baseFile: string, name: string): string {
  if (name.startsWith('/') || /^[a-z][a-z0-9+.-]*:/i.test(name)) return name;
  const slash = baseFile.lastIndexOf('/');
  return slash < 0 ? name : baseFile.slice(0, slash + 1) + name;
}

export interface BdrvOpenEnv {
  warn(msg: string): void;
  /** A diagnostic line printed as it is (QEMU's fprintf(stderr): open-time qcow2 repairs). */
  log?(line: string): void;
  /** Filenames on the backing chain being opened, to refuse loops. */
  chain?: string[];
}

/** The protocol driver a plain filename names by its prefix ("null-co://"), as QEMU's
 * bdrv_find_protocol; 'file' for everything else (a colon in a path is not a protocol here). */
export function protocolFor(filename: string): string {
  const m = /^([a-z][a-z0-9-]*):/.exec(filename);
  const d = m ? drivers.get(m[1]) : undefined;
  return d && d.isProtocol && d.formatName !== 'file' ? d.formatName : 'file';
}

/** Options of a child or top node named by `ref`: a json: object or a protocol filename. */
function refOptions(ref: string): BlockOptions {
  if (isJsonFilename(ref)) {
    const o = parseJsonFilename(ref);
    if (!o.has('driver') && o.has('filename')) o.set('driver', protocolFor(o.get('filename') as string));
    return o;
  }
  return new Map([['driver', protocolFor(ref)], ['filename', ref]]);
}

const MAX_CHAIN = 256;
const PROBE_BYTES = 2048;

/** Flags changed by a node's own options (read-only, cache.*, aio). */
function nodeFlags(opts: BlockOptions, inherited: BdrvOpenFlags): BdrvOpenFlags {
  const f = { ...inherited };
  const ro = opts.get('read-only');
  if (ro !== undefined) f.readOnly = parseBool('read-only', ro);
  const direct = opts.get('cache.direct');
  if (direct !== undefined) f.direct = parseBool('cache.direct', direct);
  const nf = opts.get('cache.no-flush');
  if (nf !== undefined) f.noFlush = parseBool('cache.no-flush', nf);
  const aio = opts.get('aio');
  if (aio !== undefined) {
    if (!['threads', 'native', 'io_uring'].includes(aio)) throw new QemuError(`Parameter 'aio' does not accept value '${aio}'`);
    if (aio === 'native' && !f.direct) throw new QemuError('aio=native was specified, but it requires cache.direct=on, which was not specified.');
    f.aio = aio;
  }
  return f;
}

/** Keys handled here rather than by the driver (so drivers may reject unknown keys). */
export const GENERIC_KEYS = ['driver', 'node-name', 'read-only', 'cache.direct', 'cache.no-flush', 'aio', 'discard', 'detect-zeroes', 'auto-read-only', 'force-share'];

/**
 * Open a node. `opts.driver` names the driver; absent, a `filename` key means the file
 * protocol (and a probed format on top if `probe`), as -drive file= without format= does.
 */
export async function bdrvOpen(opts: BlockOptions, flags: BdrvOpenFlags, env: BdrvOpenEnv, probe = false): Promise<BlockDriverState> {
  // json:{...} as the filename: its options, under those given (QEMU's bdrv_fill_options).
  if (isJsonFilename(opts.get('filename'))) opts = expandJsonFilename(opts, 'filename');
  let driverName = opts.get('driver');
  const f = nodeFlags(opts, flags);
  if (driverName === undefined && probe) {
    let filename = opts.get('filename') ?? opts.get('file');
    const fileOpts = subOptions(opts, 'file.');
    if (filename === undefined && fileOpts.has('filename')) filename = fileOpts.get('filename');
    if (filename === undefined) throw new QemuError("A block device must be specified for \"file\"");
    // The probe reads block 0 sharing everything; the locks come with the real open below.
    const popts = fileOpts.size && !opts.has('file') && !opts.has('filename') ? fileOpts : refOptions(filename);
    if (!popts.has('driver')) popts.set('driver', protocolFor(filename));
    const proto = await bdrvOpen(popts, { ...f, readOnly: true, forceShare: true }, env);
    const header = new Uint8Array(Math.min(PROBE_BYTES, proto.getLength()));
    await proto.preadv(0, header);
    await proto.close();
    const drv = bdrvProbe(header, filename);
    if (drv.formatName === 'raw' && !f.readOnly) {
      env.warn(`Image format was not specified for '${filename}' and probing guessed raw.\n` +
        '         Automatically detecting the format is dangerous for raw images, write operations on block 0 will be restricted.\n' +
        "         Specify the 'raw' format explicitly to remove the restrictions.");
    }
    const o = new Map(opts);
    o.delete('filename');
    if (!o.has('file') && !fileOpts.size) o.set('file', filename);
    o.set('driver', drv.formatName);
    if (drv.formatName === 'raw') o.set('x-probed', 'on');
    return bdrvOpen(o, f, env);
  }
  if (driverName === undefined) driverName = opts.has('filename') ? protocolFor(opts.get('filename') as string) : undefined;
  if (driverName === undefined) throw new QemuError("Parameter 'driver' is missing");
  const drv = drivers.get(driverName);
  if (!drv) throw new QemuError(`Unknown driver '${driverName}'`);
  let nodeName = opts.get('node-name');
  if (nodeName !== undefined) {
    if (!/^[A-Za-z][A-Za-z0-9_.-]{0,127}$/.test(nodeName)) throw new QemuError(`Invalid node-name: '${nodeName}'`);
    if (namedNodes.has(nodeName)) throw new QemuError(`Duplicate nodes with node-name='${nodeName}'`);
  } else {
    nodeName = `#block${String(anonCounter++).padStart(3, '0')}`;
  }
  checkRuntimeOptions(drv, opts);
  const ctx = makeContext(opts, f, env, nodeName);
  const bs = await drv.open(ctx);
  bs.nodeName = nodeName;
  if (opts.has('node-name')) namedNodes.set(nodeName, bs);
  return bs;
}

const CHILD_PREFIXES = ['file.', 'backing.', 'encrypt.', 'data-file.'];

function checkRuntimeOptions(drv: BlockDriver, opts: BlockOptions): void {
  if (!drv.runtimeOptions) return;
  for (const k of opts.keys()) {
    if (GENERIC_KEYS.includes(k) || drv.runtimeOptions.includes(k) || k === 'x-probed') continue;
    if (!drv.isProtocol && (k === 'file' || k === 'backing' || CHILD_PREFIXES.some((p) => k.startsWith(p)))) continue;
    throw new QemuError(drv.isProtocol
      ? `Block protocol '${drv.formatName}' doesn't support the option '${k}'`
      : `Block format '${drv.formatName}' does not support the option '${k}'`);
  }
}

function makeContext(opts: BlockOptions, flags: BdrvOpenFlags, env: BdrvOpenEnv, nodeName: string): BdrvOpenContext {
  return {
    options: opts,
    flags,
    nodeName,
    warn: (m) => env.warn(m),
    log: (l) => env.log?.(l),
    subOptions: (prefix) => subOptions(opts, prefix),
    openFile: (role = 'metadata') => openChildFile(opts, { ...flags, fileRole: role }, env),
    openBacking: (rec) => openChildBacking(opts, flags, env, rec),
  };
}

async function openChildFile(opts: BlockOptions, flags: BdrvOpenFlags, env: BdrvOpenEnv): Promise<BlockDriverState> {
  const ref = opts.get('file');
  const sub = subOptions(opts, 'file.');
  if (ref !== undefined && sub.size === 0) {
    const node = namedNodes.get(ref);
    if (node) return node;
    return bdrvOpen(refOptions(ref), flags, env);
  }
  if (sub.size === 0) throw new QemuError('A block device must be specified for "file"');
  // file=NAME with file.* options (file.locking=off, file.aio=...): NAME is file.filename.
  if (ref !== undefined && !sub.has('filename') && !namedNodes.has(ref)) sub.set('filename', ref);
  if (!sub.has('driver')) sub.set('driver', protocolFor(sub.get('filename') ?? ''));
  return bdrvOpen(sub, flags, env);
}

async function openChildBacking(opts: BlockOptions, flags: BdrvOpenFlags, env: BdrvOpenEnv,
  rec: { filename: string; format: string; base?: string }): Promise<BlockDriverState | null> {
  const ref = opts.get('backing');
  const sub = subOptions(opts, 'backing.');
  // A backing file is only read; it is shared as far as its user shares writes (QEMU's cow perms).
  const WRITE = 0x2, CONSISTENT_READ_AND_WRITE_UNCHANGED = 0x5, ALL = 0xf;
  const consumerShared = flags.consumerShared === undefined || (flags.consumerShared & WRITE) ? ALL : CONSISTENT_READ_AND_WRITE_UNCHANGED;
  const bflags: BdrvOpenFlags = { ...flags, readOnly: true, check: false, consumerShared, fileRole: undefined };
  if (ref !== undefined && sub.size === 0) {
    if (ref === '' || ref === 'null') return null;
    const node = namedNodes.get(ref);
    if (!node) throw new QemuError(`Cannot find device='' nor node-name='${ref}'`);
    return node;
  }
  if (sub.size > 0) return bdrvOpen(sub, bflags, env, !sub.has('driver'));
  if (flags.noBacking || rec.filename === '') return null;
  const self = rec.base ?? opts.get('file.filename') ?? opts.get('file') ?? '';
  const name = pathCombine(self, rec.filename);
  const chain = env.chain ?? [self];
  if (chain.includes(name)) throw new QemuError(`Backing file '${name}' creates an infinite loop.`);
  if (chain.length >= MAX_CHAIN) throw new QemuError('Backing chain too long');
  const benv: BdrvOpenEnv = { ...env, chain: [...chain, name] };
  const bopts: BlockOptions = isJsonFilename(name) ? parseJsonFilename(name) : new Map([['file', name]]);
  try {
    if (bopts.has('driver')) return await bdrvOpen(bopts, bflags, benv);
    if (rec.format) {
      bopts.set('driver', rec.format);
      return await bdrvOpen(bopts, bflags, benv);
    }
    return await bdrvOpen(bopts, bflags, { ...benv, warn: () => { /* QEMU probes backing silently */ } }, true);
  } catch (e) {
    if (e instanceof QemuError) throw new QemuError(`Could not open backing file: ${e.message}`);
    throw e;
  }
}

/** Close a node and its children (children shared with named nodes are closed by their owner). */
export async function bdrvClose(bs: BlockDriverState): Promise<void> {
  bdrvForgetNode(bs);
  await bs.close();
}

export { defaultOpenFlags };
