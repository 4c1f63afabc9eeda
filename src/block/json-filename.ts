// json:{...} pseudo-filenames (QEMU's block.c parse_json_filename + qdict_flatten): a filename
// that starts with "json:" is a JSON object of block options (QEMU's JSON, single quotes
// allowed), flattened to dotted keys ("file": {"filename": "x"} -> file.filename=x). Also the
// reverse: the json: name QEMU's bdrv_refresh_filename prints for a node whose options cannot be
// said as a plain filename, in QDict order (hash buckets), as QEMU prints it.
import { QemuError } from '../qemu/error.js';
import { parseJson, JsonValue } from '../monitor/json-stream.js';
import type { BlockOptions } from './block_int.js';

export const isJsonFilename = (name: string | undefined): name is string => name !== undefined && name.startsWith('json:');

/** Options of a json: filename, flattened (lists as .0, .1, ...). */
export function parseJsonFilename(name: string): BlockOptions {
  const r = parseJson(name.slice(5));
  if (!r.ok) throw new QemuError(`Could not parse the JSON options: ${r.error}`);
  if (r.value === null || typeof r.value !== 'object' || Array.isArray(r.value)) throw new QemuError('Invalid JSON object given');
  const out: BlockOptions = new Map();
  const flatten = (v: JsonValue, prefix: string): void => {
    if (v !== null && typeof v === 'object') {
      const entries = Array.isArray(v) ? v.map((x, i) => [String(i), x] as const) : Object.entries(v);
      for (const [k, x] of entries) if (x !== undefined) flatten(x, prefix ? `${prefix}.${k}` : k);
      return;
    }
    out.set(prefix, v === null ? 'null' : String(v));
  };
  flatten(r.value, '');
  return out;
}

/**
 * `opts` with its `key` (a json: filename) replaced by that object's options; options already
 * given win over the JSON's (QEMU joins them without overwriting). `prefix` is put before the
 * JSON's keys (a child's "file." options).
 */
export function expandJsonFilename(opts: BlockOptions, key: string, prefix = ''): BlockOptions {
  const name = opts.get(key);
  if (!isJsonFilename(name)) return opts;
  const o = new Map(opts);
  o.delete(key);
  for (const [k, v] of parseJsonFilename(name)) if (!o.has(prefix + k)) o.set(prefix + k, v);
  return o;
}

/** QEMU's tdb_hash, which orders a QDict's keys (bucket = hash % 512, newest first in a bucket). */
function qdictBucket(key: string): number {
  const b = new TextEncoder().encode(key);
  let v = Math.imul(0x238f13af, b.length) >>> 0;
  for (let i = 0; i < b.length; i++) v = (v + (b[i] << ((i * 5) % 24))) >>> 0;
  return ((Math.imul(1103515243, v) + 12345) >>> 0) % 512;
}

/** Keys in the order qdict_first/qdict_next visit them after inserting them in `keys` order. */
export function qdictOrder(keys: string[]): string[] {
  return keys.map((k, i) => ({ k, i, b: qdictBucket(k) })).sort((x, y) => x.b - y.b || y.i - x.i).map((e) => e.k);
}

/** A typed option value as QEMU's qobject_to_json prints it (numbers and booleans bare). */
function scalar(v: string): string {
  if (v === 'true' || v === 'false' || /^-?\d+$/.test(v)) return v;
  return JSON.stringify(v);
}

/** "json:{...}" for flattened options (nested again by their dots), in QDict order. */
export function jsonFilename(opts: BlockOptions): string {
  type Tree = Map<string, Tree | string>;
  const root: Tree = new Map();
  for (const [k, v] of opts) {
    const parts = k.split('.');
    let t = root;
    for (const p of parts.slice(0, -1)) {
      let n = t.get(p);
      if (!(n instanceof Map)) { n = new Map(); t.set(p, n); }
      t = n;
    }
    t.set(parts[parts.length - 1], v);
  }
  const render = (t: Tree): string => `{${qdictOrder([...t.keys()]).map((k) => {
    const v = t.get(k) as Tree | string;
    return `${JSON.stringify(k)}: ${v instanceof Map ? render(v) : scalar(v)}`;
  }).join(', ')}}`;
  return `json:${render(root)}`;
}
