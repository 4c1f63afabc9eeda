// An in-memory FsDriver: a tree of nodes with POSIX-like semantics, for the browser (no host
// file system) and for tests of the server. Ownership and modes are stored as the guest sets
// them (like passthrough run as root); symlinks are nodes and never resolved here. Memory is
// bounded: file data beyond `maxBytes` in total gets ENOSPC.
import { AT_REMOVEDIR, Errno, FsError, SMode } from './9p-proto.js';
import type { FsCred, FsDirEntry, FsDriver, FsFile, FsStat, FsStatfs, FsTime, V9fsPath } from './fsdriver.js';
import { DT } from './fsdriver.js';

interface MemNode {
  ino: bigint;
  mode: number;
  uid: number;
  gid: number;
  rdev: number;
  nlink: number;
  atimeNs: bigint;
  mtimeNs: bigint;
  ctimeNs: bigint;
  data: Uint8Array;
  size: number;
  children?: Map<string, MemNode>;
  target?: string;
  xattrs: Map<string, Uint8Array>;
}

const BLOCK = 4096;

export class MemFsDriver implements FsDriver {
  private nextIno = 1n;
  private readonly root: MemNode;
  private used = 0;

  constructor(readonly readOnly = false, private readonly maxBytes = 256 * 2 ** 20, private readonly now: () => bigint = () => BigInt(Date.now()) * 1_000_000n) {
    this.root = this.node(SMode.IFDIR | 0o755, 0, 0);
    this.root.children = new Map();
    this.root.nlink = 2;
  }

  private node(mode: number, uid: number, gid: number): MemNode {
    const t = this.now();
    return { ino: this.nextIno++, mode, uid, gid, rdev: 0, nlink: 1, atimeNs: t, mtimeNs: t, ctimeNs: t, data: new Uint8Array(0), size: 0, xattrs: new Map() };
  }

  private lookup(p: V9fsPath): MemNode {
    let n = this.root;
    for (const c of p) {
      if (!n.children) throw new FsError(Errno.ENOTDIR);
      const next = n.children.get(c);
      if (!next) throw new FsError(Errno.ENOENT);
      n = next;
    }
    return n;
  }

  private dir(p: V9fsPath): Map<string, MemNode> {
    const d = this.lookup(p);
    if (!d.children) throw new FsError(Errno.ENOTDIR);
    return d.children;
  }

  private w(): void {
    if (this.readOnly) throw new FsError(Errno.EROFS);
  }

  private stat(n: MemNode): FsStat {
    return {
      mode: n.mode, uid: n.uid, gid: n.gid, nlink: n.nlink, rdev: n.rdev, size: n.children ? BLOCK : n.target !== undefined ? n.target.length : n.size,
      blksize: BLOCK, blocks: Math.ceil(n.size / 512), atimeNs: n.atimeNs, mtimeNs: n.mtimeNs, ctimeNs: n.ctimeNs, ino: n.ino, dev: 1n,
    };
  }

  private add(dir: V9fsPath, name: string, n: MemNode): void {
    const d = this.dir(dir);
    if (d.has(name)) throw new FsError(Errno.EEXIST);
    d.set(name, n);
    const parent = this.lookup(dir);
    parent.mtimeNs = parent.ctimeNs = this.now();
    if (n.children) parent.nlink++;
  }

  private resize(n: MemNode, size: number): void {
    if (size > n.data.length) {
      const cap = Math.max(size, Math.min(n.data.length * 2, size + 2 ** 20));
      if (this.used + cap - n.data.length > this.maxBytes) throw new FsError(Errno.ENOSPC);
      const d = new Uint8Array(cap);
      d.set(n.data.subarray(0, n.size));
      this.used += cap - n.data.length;
      n.data = d;
    } else if (size < n.size) {
      n.data.fill(0, size, n.size);
    }
    n.size = size;
  }

  async lstat(p: V9fsPath): Promise<FsStat> { return this.stat(this.lookup(p)); }

  async open(p: V9fsPath, flags: number): Promise<FsFile> {
    const n = this.lookup(p);
    if ((n.mode & SMode.IFMT) === SMode.IFLNK) throw new FsError(Errno.ELOOP);
    if (n.children === undefined && (n.mode & SMode.IFMT) !== SMode.IFREG) throw new FsError(Errno.ENXIO);
    if (flags & 0o1000) { this.w(); this.resize(n, 0); }
    return this.file(n, (flags & 0o2000) !== 0);
  }

  private file(n: MemNode, append: boolean): FsFile {
    return {
      pread: async (buf, pos) => {
        const part = n.data.subarray(Math.min(pos, n.size), Math.min(pos + buf.length, n.size));
        buf.set(part);
        n.atimeNs = this.now();
        return part.length;
      },
      pwrite: async (buf, pos) => {
        this.w();
        const at = append ? n.size : pos;
        if (at + buf.length > n.size) this.resize(n, at + buf.length);
        n.data.set(buf, at);
        n.mtimeNs = n.ctimeNs = this.now();
        return buf.length;
      },
      fstat: async () => this.stat(n),
      fsync: async () => {},
      close: async () => {},
    };
  }

  async create(dir: V9fsPath, name: string, flags: number, cred: FsCred): Promise<FsFile> {
    this.w();
    const existing = this.dir(dir).get(name);
    if (existing) {
      if (flags & 0o200) throw new FsError(Errno.EEXIST);
      return this.open([...dir, name], flags);
    }
    const n = this.node(SMode.IFREG | (cred.mode & 0o7777), cred.uid, cred.gid);
    this.add(dir, name, n);
    return this.file(n, (flags & 0o2000) !== 0);
  }

  async readdir(p: V9fsPath): Promise<FsDirEntry[]> {
    const out: FsDirEntry[] = [];
    for (const [name, n] of this.dir(p)) out.push({ name, type: dtype(n.mode), ino: n.ino, dev: 1n });
    return out;
  }

  async mkdir(dir: V9fsPath, name: string, cred: FsCred): Promise<void> {
    this.w();
    const n = this.node(SMode.IFDIR | (cred.mode & 0o7777), cred.uid, cred.gid);
    n.children = new Map();
    n.nlink = 2;
    this.add(dir, name, n);
  }

  async symlink(target: string, dir: V9fsPath, name: string, cred: FsCred): Promise<void> {
    this.w();
    const n = this.node(SMode.IFLNK | 0o777, cred.uid, cred.gid);
    n.target = target;
    this.add(dir, name, n);
  }

  async mknod(dir: V9fsPath, name: string, cred: FsCred): Promise<void> {
    this.w();
    const n = this.node(cred.mode, cred.uid, cred.gid);
    n.rdev = cred.rdev;
    this.add(dir, name, n);
  }

  async link(old: V9fsPath, dir: V9fsPath, name: string): Promise<void> {
    this.w();
    const n = this.lookup(old);
    if (n.children) throw new FsError(Errno.EPERM);
    this.add(dir, name, n);
    n.nlink++;
    n.ctimeNs = this.now();
  }

  async rename(oldDir: V9fsPath, oldName: string, newDir: V9fsPath, newName: string): Promise<void> {
    this.w();
    const od = this.dir(oldDir);
    const n = od.get(oldName);
    if (!n) throw new FsError(Errno.ENOENT);
    const nd = this.dir(newDir);
    const victim = nd.get(newName);
    if (victim === n) return;
    if (victim) {
      if (victim.children && !n.children) throw new FsError(Errno.EISDIR);
      if (!victim.children && n.children) throw new FsError(Errno.ENOTDIR);
      if (victim.children?.size) throw new FsError(Errno.ENOTEMPTY);
      this.drop(newDir, newName);
    }
    od.delete(oldName);
    if (n.children) { this.lookup(oldDir).nlink--; this.lookup(newDir).nlink++; }
    nd.set(newName, n);
    n.ctimeNs = this.now();
  }

  private drop(dir: V9fsPath, name: string): void {
    const d = this.dir(dir);
    const n = d.get(name) as MemNode;
    d.delete(name);
    if (n.children) this.lookup(dir).nlink--;
    if (--n.nlink <= (n.children ? 1 : 0)) { this.used -= n.data.length; n.data = new Uint8Array(0); }
  }

  async unlink(dir: V9fsPath, name: string, flags: number): Promise<void> {
    this.w();
    const n = this.dir(dir).get(name);
    if (!n) throw new FsError(Errno.ENOENT);
    if (flags & AT_REMOVEDIR) {
      if (!n.children) throw new FsError(Errno.ENOTDIR);
      if (n.children.size) throw new FsError(Errno.ENOTEMPTY);
    } else if (n.children) {
      throw new FsError(Errno.EISDIR);
    }
    this.drop(dir, name);
  }

  async readlink(p: V9fsPath): Promise<string> {
    const n = this.lookup(p);
    if (n.target === undefined) throw new FsError(Errno.EINVAL);
    return n.target;
  }

  async chmod(p: V9fsPath, mode: number): Promise<void> {
    this.w();
    const n = this.lookup(p);
    n.mode = (n.mode & SMode.IFMT) | (mode & 0o7777);
    n.ctimeNs = this.now();
  }

  async chown(p: V9fsPath, uid: number, gid: number): Promise<void> {
    this.w();
    const n = this.lookup(p);
    if (uid !== -1) n.uid = uid >>> 0;
    if (gid !== -1) n.gid = gid >>> 0;
    n.ctimeNs = this.now();
  }

  async utimens(p: V9fsPath, atime: FsTime, mtime: FsTime): Promise<void> {
    this.w();
    const n = this.lookup(p);
    const t = (v: FsTime, old: bigint) => (v === 'omit' ? old : v === 'now' ? this.now() : v);
    n.atimeNs = t(atime, n.atimeNs);
    n.mtimeNs = t(mtime, n.mtimeNs);
    n.ctimeNs = this.now();
  }

  async truncate(p: V9fsPath, size: number): Promise<void> {
    this.w();
    const n = this.lookup(p);
    if ((n.mode & SMode.IFMT) !== SMode.IFREG) throw new FsError(Errno.EINVAL);
    this.resize(n, size);
    n.mtimeNs = n.ctimeNs = this.now();
  }

  async statfs(): Promise<FsStatfs> {
    const blocks = Math.floor(this.maxBytes / BLOCK);
    const free = Math.max(0, blocks - Math.ceil(this.used / BLOCK));
    return { type: 0x01021994 /* TMPFS_MAGIC */, bsize: BLOCK, blocks, bfree: free, bavail: free, files: 1 << 20,
      ffree: (1 << 20) - Number(this.nextIno), fsid: 0n, namelen: 255 };
  }

  async getxattr(p: V9fsPath, name: string): Promise<Uint8Array> {
    const v = this.lookup(p).xattrs.get(name);
    if (!v) throw new FsError(Errno.ENODATA);
    return v;
  }

  async listxattr(p: V9fsPath): Promise<string[]> { return [...this.lookup(p).xattrs.keys()]; }

  async setxattr(p: V9fsPath, name: string, value: Uint8Array, flags: number): Promise<void> {
    this.w();
    const x = this.lookup(p).xattrs;
    if (flags & 1 && x.has(name)) throw new FsError(Errno.EEXIST);
    if (flags & 2 && !x.has(name)) throw new FsError(Errno.ENODATA);
    if (x.size >= 128) throw new FsError(Errno.ENOSPC);
    x.set(name, value.slice());
  }

  async removexattr(p: V9fsPath, name: string): Promise<void> {
    this.w();
    if (!this.lookup(p).xattrs.delete(name)) throw new FsError(Errno.ENODATA);
  }

  isReservedName(): boolean { return false; }
  async close(): Promise<void> {}
}

function dtype(mode: number): number {
  switch (mode & SMode.IFMT) {
    case SMode.IFDIR: return DT.DIR;
    case SMode.IFREG: return DT.REG;
    case SMode.IFLNK: return DT.LNK;
    case SMode.IFIFO: return DT.FIFO;
    case SMode.IFCHR: return DT.CHR;
    case SMode.IFBLK: return DT.BLK;
    case SMode.IFSOCK: return DT.SOCK;
    default: return DT.UNKNOWN;
  }
}
