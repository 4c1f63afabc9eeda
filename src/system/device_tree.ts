// Flattened device tree (devicetree specification v0.4, chapter 5): a small tree we build in
// memory, serialise to a DTB blob, and parse back (for -dtb FILE and for tests).
// Nodes and properties keep insertion order, so a board writes them in the order it wants
// `dtc -I dtb -O dts` to show them.
import { QemuError } from '../qemu/error.js';

const FDT_MAGIC = 0xd00dfeed;
const FDT_BEGIN_NODE = 1;
const FDT_END_NODE = 2;
const FDT_PROP = 3;
const FDT_NOP = 4;
const FDT_END = 9;
const FDT_VERSION = 17;
const FDT_LAST_COMP_VERSION = 16;
const HEADER_SIZE = 40;

const utf8 = new TextEncoder();
const utf8d = new TextDecoder();

export class FdtNode {
  readonly props = new Map<string, Uint8Array>();
  readonly children: FdtNode[] = [];
  constructor(readonly name: string) {}

  child(name: string): FdtNode | undefined {
    return this.children.find((c) => c.name === name);
  }
}

/** Big-endian 32-bit cells. */
export function cells(...values: number[]): Uint8Array {
  const out = new Uint8Array(values.length * 4);
  const dv = new DataView(out.buffer);
  values.forEach((v, i) => dv.setUint32(i * 4, v >>> 0));
  return out;
}

/** A 64-bit value as two cells (hi, lo). */
export function hiLo(v: number): [number, number] {
  return [Math.floor(v / 2 ** 32) >>> 0, v >>> 0];
}

/** NUL-terminated strings, concatenated (a stringlist). */
export function strings(...values: string[]): Uint8Array {
  return utf8.encode(values.map((s) => s + '\0').join(''));
}

export class DeviceTree {
  readonly root = new FdtNode('');
  private nextPhandle = 1;

  allocPhandle(): number {
    return this.nextPhandle++;
  }

  /** Find a node by absolute path ("/soc/serial@10000000"); undefined when absent. */
  find(path: string): FdtNode | undefined {
    let n: FdtNode | undefined = this.root;
    for (const part of path.split('/').filter((p) => p !== '')) {
      n = n.child(part);
      if (!n) return undefined;
    }
    return n;
  }

  /** Add a node (its parent must exist); returns the existing one if already there. */
  addNode(path: string): FdtNode {
    const cut = path.lastIndexOf('/');
    const parent = this.find(path.slice(0, cut) || '/');
    if (!parent) throw new Error(`device tree: no parent for ${path}`);
    const name = path.slice(cut + 1);
    let n = parent.child(name);
    if (!n) {
      n = new FdtNode(name);
      parent.children.push(n);
    }
    return n;
  }

  private node(path: string): FdtNode {
    const n = this.find(path);
    if (!n) throw new Error(`device tree: no node ${path}`);
    return n;
  }

  setProp(path: string, name: string, value: Uint8Array = new Uint8Array(0)): void {
    this.node(path).props.set(name, value);
  }
  setCells(path: string, name: string, ...values: number[]): void {
    this.setProp(path, name, cells(...values));
  }
  setString(path: string, name: string, ...values: string[]): void {
    this.setProp(path, name, strings(...values));
  }
  getProp(path: string, name: string): Uint8Array | undefined {
    return this.find(path)?.props.get(name);
  }

  /** Serialise to a DTB blob (header, empty memory reservation map, structure, strings). */
  toBlob(): Uint8Array {
    const struct: number[] = [];
    const strTab: number[] = [];
    const strOff = new Map<string, number>();
    const u32 = (v: number) => struct.push((v >>> 24) & 255, (v >>> 16) & 255, (v >>> 8) & 255, v & 255);
    const bytes = (b: Uint8Array) => {
      for (const x of b) struct.push(x);
      while (struct.length % 4) struct.push(0);
    };
    const nameOff = (name: string) => {
      let off = strOff.get(name);
      if (off === undefined) {
        off = strTab.length;
        strOff.set(name, off);
        for (const x of utf8.encode(name)) strTab.push(x);
        strTab.push(0);
      }
      return off;
    };
    const walk = (n: FdtNode) => {
      u32(FDT_BEGIN_NODE);
      bytes(utf8.encode(n.name + '\0'));
      for (const [name, value] of n.props) {
        u32(FDT_PROP);
        u32(value.length);
        u32(nameOff(name));
        bytes(value);
      }
      n.children.forEach(walk);
      u32(FDT_END_NODE);
    };
    walk(this.root);
    u32(FDT_END);
    const rsvOff = HEADER_SIZE;
    const structOff = rsvOff + 16;
    const stringsOff = structOff + struct.length;
    const total = stringsOff + strTab.length;
    const out = new Uint8Array(Math.ceil(total / 8) * 8);
    const dv = new DataView(out.buffer);
    [FDT_MAGIC, out.length, structOff, stringsOff, rsvOff, FDT_VERSION, FDT_LAST_COMP_VERSION, 0,
      strTab.length, struct.length].forEach((v, i) => dv.setUint32(i * 4, v));
    out.set(struct, structOff);
    out.set(strTab, stringsOff);
    return out;
  }

  /** Parse a DTB blob; throws QemuError on a malformed one (bounds-checked throughout). */
  static fromBlob(blob: Uint8Array): DeviceTree {
    const bad = (why: string) => new QemuError(`invalid device tree blob: ${why}`);
    if (blob.length < HEADER_SIZE) throw bad('too short');
    const dv = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
    if (dv.getUint32(0) !== FDT_MAGIC) throw bad('bad magic');
    const total = dv.getUint32(4);
    const structOff = dv.getUint32(8);
    const stringsOff = dv.getUint32(12);
    const structSize = dv.getUint32(36);
    if (total > blob.length || structOff + structSize > total || stringsOff > total) throw bad('bad header');
    const cstr = (at: number, limit: number): string => {
      let end = at;
      while (end < limit && blob[end] !== 0) end++;
      if (end >= limit) throw bad('unterminated string');
      return utf8d.decode(blob.subarray(at, end));
    };
    const t = new DeviceTree();
    const stack: FdtNode[] = [];
    let p = structOff;
    const end = structOff + structSize;
    const word = () => {
      if (p + 4 > end) throw bad('truncated structure');
      const v = dv.getUint32(p);
      p += 4;
      return v;
    };
    let maxPhandle = 0;
    for (;;) {
      const tag = word();
      if (tag === FDT_BEGIN_NODE) {
        const name = cstr(p, end);
        p += (utf8.encode(name).length + 4) & ~3;
        const n = stack.length === 0 ? t.root : new FdtNode(name);
        if (stack.length > 0) stack[stack.length - 1].children.push(n);
        stack.push(n);
      } else if (tag === FDT_PROP) {
        const len = word();
        const nameOff = word();
        if (stack.length === 0 || p + len > end) throw bad('bad property');
        const name = cstr(stringsOff + nameOff, total);
        const value = blob.slice(p, p + len);
        stack[stack.length - 1].props.set(name, value);
        if (name === 'phandle' && len === 4) maxPhandle = Math.max(maxPhandle, new DataView(value.buffer).getUint32(0));
        p += (len + 3) & ~3;
      } else if (tag === FDT_END_NODE) {
        if (stack.pop() === undefined) throw bad('unbalanced nodes');
      } else if (tag === FDT_NOP) {
        continue;
      } else if (tag === FDT_END) {
        break;
      } else {
        throw bad(`unknown tag ${tag}`);
      }
    }
    if (stack.length !== 0) throw bad('unbalanced nodes');
    t.nextPhandle = maxPhandle + 1;
    return t;
  }
}
