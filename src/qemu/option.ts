// QemuOpts: the "key=value,key2=value2" syntax of -drive, -device, -object, -machine ...
// A value containing ',' is written ',,'. An implied first key lets "-machine virt,x=y" mean
// type=virt. "key" alone means key=on; "nokey" is not accepted (QEMU deprecated it).
import { QemuError } from './error.js';

export type QemuOptsDict = Map<string, string>;

/** Split at single commas, turning ",," into ",". */
function splitOpts(text: string): string[] {
  const parts: string[] = [];
  let cur = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === ',') {
      if (text[i + 1] === ',') { cur += ','; i++; continue; }
      parts.push(cur);
      cur = '';
    } else {
      cur += c;
    }
  }
  parts.push(cur);
  return parts;
}

/**
 * Parse an option string. `impliedKey` names the key of a first element without '='
 * (e.g. 'type' for -machine, 'driver' for -device). Later duplicates override earlier ones.
 */
export function parseQemuOpts(text: string, impliedKey?: string): QemuOptsDict {
  const opts: QemuOptsDict = new Map();
  const parts = splitOpts(text);
  parts.forEach((part, i) => {
    if (part === '' && i === parts.length - 1 && i > 0) return; // trailing comma
    const eq = part.indexOf('=');
    if (eq < 0) {
      if (i === 0 && impliedKey !== undefined) opts.set(impliedKey, part);
      else if (part === '') throw new QemuError(`Invalid parameter ''`);
      else opts.set(part, 'on');
      return;
    }
    const key = part.slice(0, eq);
    if (key === '') throw new QemuError(`Invalid parameter '${part}'`);
    opts.set(key, part.slice(eq + 1));
  });
  return opts;
}

/** QEMU's boolean property values. */
export function parseBool(name: string, value: string): boolean {
  if (value === 'on' || value === 'yes' || value === 'true' || value === 'y') return true;
  if (value === 'off' || value === 'no' || value === 'false' || value === 'n') return false;
  throw new QemuError(`Parameter '${name}' expects 'on' or 'off'`);
}

const SIZE_SUFFIX: Record<string, number> = { '': 1, B: 1, K: 2 ** 10, M: 2 ** 20, G: 2 ** 30, T: 2 ** 40, P: 2 ** 50, E: 2 ** 60 };

/**
 * A size as QEMU reads it: a number with an optional K/M/G/T/P/E suffix (binary units), or
 * plain bytes. `defaultSuffix` applies to bare numbers (-m uses 'M').
 */
export function parseSize(name: string, value: string, defaultSuffix = ''): number {
  // qemu_strtosz reads base 0: a hex number (no fraction) is a size too (iotests 214's cluster_size=0x10000).
  const hex = /^\s*0x([0-9a-f]+)\s*$/i.exec(value);
  if (hex) {
    const r = parseInt(hex[1], 16) * SIZE_SUFFIX[(defaultSuffix || 'B').toUpperCase()];
    if (!Number.isSafeInteger(r)) throw new QemuError(`Parameter '${name}' expects a size below 2^53`);
    return r;
  }
  const m = /^\s*([0-9]+(?:\.[0-9]+)?)\s*([KMGTPEB]?)(?:i?B)?\s*$/i.exec(value);
  if (!m) throw new QemuError(`Parameter '${name}' expects a non-negative number below 2^64\nOptional suffix k, M, G, T, P or E means kilo-, mega-, giga-, tera-, peta-\nand exabytes, respectively.`);
  const suffix = (m[2] || defaultSuffix).toUpperCase();
  const mult = SIZE_SUFFIX[suffix];
  const n = parseFloat(m[1]);
  if (m[1].includes('.') && suffix === 'B') throw new QemuError(`Parameter '${name}' expects an integer number of bytes`);
  const r = Math.round(n * mult);
  if (!Number.isSafeInteger(r)) throw new QemuError(`Parameter '${name}' expects a size below 2^53`);
  return r;
}

/** Reject keys a consumer does not know, with QEMU's wording. */
export function checkKnownKeys(opts: QemuOptsDict, known: readonly string[], what: string): void {
  for (const k of opts.keys()) {
    if (!known.includes(k)) throw new QemuError(`Invalid parameter '${k}'${what ? ` for '${what}'` : ''}`);
  }
}
