// The 9p "local" fsdev back end (QEMU's hw/9pfs/9p-local.c) with QEMU's security models:
// - passthrough: files carry the guest's uid/gid/mode on the host (chown after create; fails
//   without privilege, as QEMU's does);
// - none: like passthrough, but a failed chown after create is ignored;
// - mapped-xattr: host files are fmode (0600) / dmode (0700) and owned by us; the guest's
//   uid/gid/mode/rdev live in xattrs user.virtfs.{uid,gid,mode,rdev} (LE u32 / u64), symlinks and
//   device nodes are regular files (a link's target is its content);
// - mapped-file: the same, kept as text "virtfs.uid=N" lines in <dir>/.virtfs_metadata/<name>
//   (the export root's own in .virtfs_metadata_root); those names are hidden from the guest.
// Every name is reached relative to a descriptor (9p-host.ts); special files are never opened.
import * as fs from 'node:fs';
import { AT_REMOVEDIR, Errno, FsError, SMode } from '../../9pfs/9p-proto.js';
import {
  DT, type FsCred, type FsDirEntry, type FsDriver, type FsFile, type FsStat, type FsStatfs, type FsTime, type V9fsPath,
} from '../../9pfs/fsdriver.js';
import {
  C, FsOp, NO_ADDON, O_PATH, at, call, canStatSync, fsdevAddon, fsp, fstatFd, host, hostOpenFlags, lstatBelow, lstatPath, pClose, pOpen, pRead,
  pWrite, self, setMappedXattrs, lstatBelowSync, lstatPathSync,
} from './9p-host.js';
import { MappedFile, META_DIR, META_ROOT } from './9p-mapped-file.js';

export type SecurityModel = 'passthrough' | 'mapped-xattr' | 'mapped-file' | 'none';

export interface LocalFsOptions {
  path: string;
  securityModel: SecurityModel;
  readonly?: boolean;
  fmode?: number;
  dmode?: number;
}

const UTIME_NOW = (1 << 30) - 1;
const UTIME_OMIT = (1 << 30) - 2;
const DIR_FLAGS = O_PATH | C.O_DIRECTORY | C.O_NOFOLLOW;

export class LocalFsDriver implements FsDriver {
  readonly readOnly: boolean;
  private readonly mappedXattr: boolean;
  private readonly meta: MappedFile | undefined;
  private readonly fmode: number;
  private readonly dmode: number;
  readonly lstatSync: ((p: V9fsPath) => FsStat) | undefined;

  private constructor(private readonly rootFd: number, readonly opts: LocalFsOptions) {
    this.readOnly = opts.readonly ?? false;
    this.mappedXattr = opts.securityModel === 'mapped-xattr';
    this.fmode = opts.fmode ?? 0o600;
    this.dmode = opts.dmode ?? 0o700;
    this.meta = opts.securityModel === 'mapped-file' ? new MappedFile() : undefined;
    this.lstatSync = !this.meta && canStatSync() ? (p) => this.syncStat(p) : undefined;
  }

  /** Open the export's root (a host path the user gave: trusted) and check the model can work here. */
  static async open(opts: LocalFsOptions): Promise<LocalFsDriver> {
    if (opts.securityModel === 'mapped-xattr' && !fsdevAddon()) throw new Error(`security_model=mapped-xattr: ${NO_ADDON}`);
    return new LocalFsDriver(await pOpen(opts.path, DIR_FLAGS), opts);
  }

  async close(): Promise<void> {
    await pClose(this.rootFd).catch(() => undefined);
  }

  isReservedName(name: string): boolean {
    return this.meta !== undefined && (name === META_DIR || name === META_ROOT);
  }

  // ---- descriptor-relative resolution ----

  /** A descriptor of directory `p` (O_PATH), opened one component at a time without following
   * links: in one thread-pool trip with the native addon, else one trip per component. */
  private async openDir(p: V9fsPath): Promise<number> {
    if (p.length === 0) return this.rootFd;
    if (fsdevAddon()) return call(FsOp.WALKDIR, Buffer.from(p.join('/'), 'latin1'), null, null, this.rootFd);
    let fd = this.rootFd;
    for (const c of p) {
      try {
        const next = await pOpen(at(fd, c), DIR_FLAGS);
        if (fd !== this.rootFd) void pClose(fd).catch(() => undefined);
        fd = next;
      } catch (e) {
        if (fd !== this.rootFd) void pClose(fd).catch(() => undefined);
        throw fsErrNode(e);
      }
    }
    return fd;
  }

  private async inDir<T>(dir: V9fsPath, fn: (dfd: number) => Promise<T>): Promise<T> {
    const fd = await this.openDir(dir);
    try {
      return await fn(fd);
    } finally {
      if (fd !== this.rootFd) void pClose(fd).catch(() => undefined); // nobody waits for a close
    }
  }

  /** Run `fn` with the parent's descriptor and the last name ('.' for the root itself). */
  private onPath<T>(p: V9fsPath, fn: (dfd: number, name: string) => Promise<T>): Promise<T> {
    if (p.length === 0) return fn(this.rootFd, '.');
    return this.inDir(p.slice(0, -1), (dfd) => fn(dfd, p[p.length - 1]));
  }

  private w(): void {
    if (this.readOnly) throw new FsError(Errno.EROFS);
  }

  // ---- attributes ----

  lstat(p: V9fsPath): Promise<FsStat> {
    if (p.length > 0 && !this.meta && fsdevAddon()) return lstatBelow(this.rootFd, p.join('/'), this.mappedXattr);
    return this.onPath(p, (dfd, name) => this.statAt(dfd, name));
  }

  /** lstat on this thread, for the server's synchronous requests (9p.ts handleSync): not in
   * mapped-file (its metadata files are read asynchronously) nor without the addon. */
  private syncStat(p: V9fsPath): FsStat {
    return p.length > 0 ? lstatBelowSync(this.rootFd, p.join('/'), this.mappedXattr)
      : lstatPathSync(at(this.rootFd, '.'), this.mappedXattr);
  }

  private async statAt(dfd: number, name: string): Promise<FsStat> {
    const st = await lstatPath(at(dfd, name), this.mappedXattr);
    if (this.meta) await this.meta.overlay(dfd, name, st);
    return st;
  }

  async open(p: V9fsPath, flags: number): Promise<FsFile> {
    if (this.readOnly && ((flags & 3) !== 0 || (flags & 0o1000) !== 0)) throw new FsError(Errno.EROFS);
    return this.onPath(p, async (dfd, name) => {
      const fd = await host(pOpen(at(dfd, name), hostOpenFlags(flags)));
      return this.fileFor(fd, dfd, name);
    });
  }

  /** An opened descriptor as a FsFile, refused unless it is a regular file or directory. */
  private async fileFor(fd: number, dfd: number, name: string): Promise<FsFile> {
    try {
      const st = await fstatFd(fd, false);
      const fmt = st.mode & SMode.IFMT;
      if (fmt !== SMode.IFREG && fmt !== SMode.IFDIR) throw new FsError(Errno.ENXIO);
    } catch (e) {
      await pClose(fd);
      throw e;
    }
    return new LocalFile(fd, this, this.meta ? await this.metaRef(dfd, name) : undefined);
  }

  /** mapped-file: an open file's metadata stays reachable through its directory's descriptor. */
  private async metaRef(dfd: number, name: string): Promise<{ dfd: number; name: string }> {
    return { dfd: await pOpen(self(dfd), DIR_FLAGS & ~C.O_NOFOLLOW), name };
  }

  /** fstat of an open file, with the model's ownership. */
  async fstatFile(fd: number, ref?: { dfd: number; name: string }): Promise<FsStat> {
    const st = await fstatFd(fd, this.mappedXattr);
    if (this.meta && ref) await this.meta.overlay(ref.dfd, ref.name, st);
    return st;
  }

  async create(dir: V9fsPath, name: string, flags: number, cred: FsCred): Promise<FsFile> {
    this.w();
    return this.inDir(dir, async (dfd) => {
      const mapped = this.opts.securityModel.startsWith('mapped');
      const fd = await host(pOpen(at(dfd, name), hostOpenFlags(flags) | C.O_CREAT, mapped ? this.fmode : cred.mode & 0o7777));
      try {
        await this.postCreate(dfd, name, { ...cred, mode: mapped ? cred.mode | SMode.IFREG : cred.mode });
      } catch (e) {
        await pClose(fd);
        await fsp.unlink(at(dfd, name)).catch(() => undefined);
        throw e;
      }
      return this.fileFor(fd, dfd, name);
    });
  }

  /** Record the guest's credentials on a new entry, per model (QEMU's local_set_*). */
  private async postCreate(dfd: number, name: string, cred: FsCred): Promise<void> {
    const path = at(dfd, name);
    switch (this.opts.securityModel) {
      case 'mapped-xattr': return setMappedXattrs(path, cred);
      case 'mapped-file': return (this.meta as MappedFile).set(dfd, name, cred);
      default:
        try {
          await host(fsp.lchown(path, cred.uid, cred.gid));
        } catch (e) {
          if (this.opts.securityModel !== 'none') throw e;
        }
        if ((cred.mode & SMode.IFMT) !== SMode.IFLNK) await this.chmodNofollow(dfd, name, cred.mode & 0o7777);
    }
  }

  private async chmodNofollow(dfd: number, name: string, mode: number): Promise<void> {
    const fd = await host(pOpen(at(dfd, name), O_PATH | C.O_NOFOLLOW));
    try {
      const st = await fstatFd(fd, false);
      if ((st.mode & SMode.IFMT) === SMode.IFLNK) throw new FsError(Errno.ELOOP);
      await host(fsp.chmod(self(fd), mode));
    } finally {
      await pClose(fd);
    }
  }

  async readdir(p: V9fsPath): Promise<FsDirEntry[]> {
    const fd = await this.openDir(p);
    try {
      const ents = await host(fsp.readdir(self(fd), { withFileTypes: true, encoding: 'buffer' }));
      const out: FsDirEntry[] = [];
      const mapped = this.opts.securityModel.startsWith('mapped');
      for (const e of ents) {
        const name = e.name.toString('latin1');
        if (this.isReservedName(name)) continue;
        out.push({ name, type: mapped ? DT.UNKNOWN : direntType(e), ino: 0n, dev: 0n });
      }
      // The qids need inode numbers (Node's Dirent has none): stat in parallel batches.
      for (let i = 0; i < out.length; i += 64) {
        await Promise.all(out.slice(i, i + 64).map(async (e) => {
          try {
            const st = await lstatPath(at(fd, e.name), false);
            e.ino = st.ino;
            e.dev = st.dev;
          } catch { /* gone meanwhile: keep 0 */ }
        }));
      }
      return out;
    } finally {
      if (fd !== this.rootFd) await pClose(fd).catch(() => undefined);
    }
  }

  // ---- namespace ----

  async mkdir(dir: V9fsPath, name: string, cred: FsCred): Promise<void> {
    this.w();
    await this.inDir(dir, async (dfd) => {
      const mapped = this.opts.securityModel.startsWith('mapped');
      await host(fsp.mkdir(at(dfd, name), mapped ? this.dmode : cred.mode & 0o7777));
      await this.undoOnError(dfd, name, true, () => this.postCreate(dfd, name, { ...cred, mode: mapped ? cred.mode | SMode.IFDIR : cred.mode }));
    });
  }

  async symlink(target: string, dir: V9fsPath, name: string, cred: FsCred): Promise<void> {
    this.w();
    await this.inDir(dir, async (dfd) => {
      if (this.opts.securityModel.startsWith('mapped')) {
        // A regular file holding the target, typed S_IFLNK in the metadata.
        const fd = await host(pOpen(at(dfd, name), C.O_CREAT | C.O_EXCL | C.O_RDWR | C.O_NOFOLLOW, this.fmode));
        await this.undoOnError(dfd, name, false, async () => {
          try {
            const b = Buffer.from(target, 'latin1');
            if (await host(pWrite(fd, b, 0, b.length, 0)) !== b.length) throw new FsError(Errno.EIO);
          } finally {
            await pClose(fd);
          }
          await this.postCreate(dfd, name, { ...cred, mode: cred.mode | SMode.IFLNK });
        });
        return;
      }
      await host(fsp.symlink(Buffer.from(target, 'latin1'), at(dfd, name)));
      await this.undoOnError(dfd, name, false, () => this.postCreate(dfd, name, { ...cred, mode: SMode.IFLNK | 0o777 }));
    });
  }

  async mknod(dir: V9fsPath, name: string, cred: FsCred): Promise<void> {
    this.w();
    await this.inDir(dir, async (dfd) => {
      if (this.opts.securityModel.startsWith('mapped')) {
        // Never a host device node: a regular file, typed by the metadata.
        const fd = await host(pOpen(at(dfd, name), C.O_CREAT | C.O_EXCL | C.O_WRONLY | C.O_NOFOLLOW, this.fmode));
        await pClose(fd);
        await this.undoOnError(dfd, name, false, () => this.postCreate(dfd, name, cred));
        return;
      }
      await call(FsOp.MKNOD, at(dfd, name), null, null, cred.mode, cred.rdev);
      await this.undoOnError(dfd, name, false, () => this.postCreate(dfd, name, cred));
    });
  }

  private async undoOnError(dfd: number, name: string, isDir: boolean, fn: () => Promise<void>): Promise<void> {
    try {
      await fn();
    } catch (e) {
      await (isDir ? fsp.rmdir(at(dfd, name)) : fsp.unlink(at(dfd, name))).catch(() => undefined);
      throw e;
    }
  }

  async link(old: V9fsPath, dir: V9fsPath, name: string): Promise<void> {
    this.w();
    await this.onPath(old, (odfd, oname) => this.inDir(dir, async (ndfd) => {
      await host(fsp.link(at(odfd, oname), at(ndfd, name)));
      if (this.meta) await this.meta.link(odfd, oname, ndfd, name);
    }));
  }

  async rename(oldDir: V9fsPath, oldName: string, newDir: V9fsPath, newName: string): Promise<void> {
    this.w();
    await this.inDir(oldDir, (odfd) => this.inDir(newDir, async (ndfd) => {
      await host(fsp.rename(at(odfd, oldName), at(ndfd, newName)));
      if (this.meta) await this.meta.rename(odfd, oldName, ndfd, newName);
    }));
  }

  async unlink(dir: V9fsPath, name: string, flags: number): Promise<void> {
    this.w();
    await this.inDir(dir, async (dfd) => {
      if (this.meta) await this.meta.remove(dfd, name, (flags & AT_REMOVEDIR) !== 0);
      await host((flags & AT_REMOVEDIR) ? fsp.rmdir(at(dfd, name)) : fsp.unlink(at(dfd, name)));
    });
  }

  readlink(p: V9fsPath): Promise<string> {
    return this.onPath(p, async (dfd, name) => {
      if (!this.opts.securityModel.startsWith('mapped')) return (await host(fsp.readlink(at(dfd, name), { encoding: 'buffer' }))).toString('latin1');
      const fd = await host(pOpen(at(dfd, name), C.O_RDONLY | C.O_NOFOLLOW | C.O_NONBLOCK));
      try {
        const st = await fstatFd(fd, false);
        if ((st.mode & SMode.IFMT) !== SMode.IFREG) throw new FsError(Errno.EINVAL);
        const b = new Uint8Array(4096);
        const n = await host(pRead(fd, b, 0, b.length, 0));
        return Buffer.from(b.subarray(0, n)).toString('latin1');
      } finally {
        await pClose(fd);
      }
    });
  }

  async chmod(p: V9fsPath, mode: number): Promise<void> {
    this.w();
    await this.onPath(p, async (dfd, name) => {
      const cred = { uid: -1, gid: -1, mode, rdev: -1 };
      if (this.mappedXattr) return setMappedXattrs(at(dfd, name), cred);
      if (this.meta) return this.meta.set(dfd, name, cred);
      return this.chmodNofollow(dfd, name, mode & 0o7777);
    });
  }

  async chown(p: V9fsPath, uid: number, gid: number): Promise<void> {
    this.w();
    await this.onPath(p, async (dfd, name) => {
      const model = this.opts.securityModel;
      if ((uid === -1 && gid === -1) || model === 'passthrough' || model === 'none') {
        return host(fsp.lchown(at(dfd, name), uid, gid));
      }
      const cred = { uid, gid, mode: -1, rdev: -1 };
      if (this.mappedXattr) return setMappedXattrs(at(dfd, name), cred);
      return (this.meta as MappedFile).set(dfd, name, cred);
    });
  }

  async utimens(p: V9fsPath, atime: FsTime, mtime: FsTime): Promise<void> {
    this.w();
    const ts = (t: FsTime): [number, number] => t === 'now' ? [0, UTIME_NOW] : t === 'omit' ? [0, UTIME_OMIT]
      : [Number(t / 1_000_000_000n), Number(t % 1_000_000_000n)];
    await this.onPath(p, async (dfd, name) => {
      if (fsdevAddon()) {
        const [as, an] = ts(atime);
        const [ms, mn] = ts(mtime);
        await call(FsOp.UTIMENSAT, at(dfd, name), null, null, as, an, ms, mn);
        return;
      }
      const st = await lstatPath(at(dfd, name), false);
      const sec = (t: FsTime, old: bigint) => Number(t === 'now' ? BigInt(Date.now()) * 1_000_000n : t === 'omit' ? old : t) / 1e9;
      await host(fsp.lutimes(at(dfd, name), sec(atime, st.atimeNs), sec(mtime, st.mtimeNs)));
    });
  }

  async truncate(p: V9fsPath, size: number): Promise<void> {
    this.w();
    await this.onPath(p, async (dfd, name) => {
      const fd = await host(pOpen(at(dfd, name), C.O_WRONLY | C.O_NOFOLLOW | C.O_NONBLOCK));
      try {
        const st = await fstatFd(fd, false);
        if ((st.mode & SMode.IFMT) !== SMode.IFREG) throw new FsError(Errno.EINVAL);
        await host(new Promise<void>((res, rej) => fs.ftruncate(fd, size, (e) => (e ? rej(e) : res()))));
      } finally {
        await pClose(fd);
      }
    });
  }

  async statfs(p: V9fsPath): Promise<FsStatfs> {
    const s = await this.onPath(p, (dfd, name) => host(fsp.statfs(at(dfd, name))));
    return { type: s.type, bsize: s.bsize, blocks: s.blocks, bfree: s.bfree, bavail: s.bavail, files: s.files, ffree: s.ffree, fsid: 0n, namelen: 255 };
  }

  // ---- extended attributes (QEMU's 9p-xattr.c per model) ----

  /** The host name of a guest xattr name, or undefined when the model hides it. */
  private xattrName(name: string, op: 'get' | 'set'): string {
    if (this.mappedXattr) {
      if (name.startsWith('user.virtfs.')) throw new FsError(op === 'get' ? Errno.ENODATA : Errno.EACCES);
      if (name === 'system.posix_acl_access' || name === 'system.posix_acl_default') return `user.virtfs.${name}`;
    }
    return name;
  }

  getxattr(p: V9fsPath, name: string): Promise<Uint8Array> {
    const hn = this.xattrName(name, 'get');
    return this.onPath(p, async (dfd, n) => {
      const size = await call(FsOp.LGETXATTR, at(dfd, n), hn, null);
      const b = new Uint8Array(Math.min(size, 65536));
      const got = await call(FsOp.LGETXATTR, at(dfd, n), hn, b);
      return b.subarray(0, got);
    });
  }

  listxattr(p: V9fsPath): Promise<string[]> {
    return this.onPath(p, async (dfd, n) => {
      const size = await call(FsOp.LLISTXATTR, at(dfd, n), null, null);
      const b = new Uint8Array(Math.min(size, 65536));
      const got = await call(FsOp.LLISTXATTR, at(dfd, n), null, b);
      const names = Buffer.from(b.subarray(0, got)).toString('latin1').split('\0').filter((s) => s !== '');
      return this.mappedXattr ? names.filter((s) => !s.startsWith('user.virtfs.')) : names;
    });
  }

  async setxattr(p: V9fsPath, name: string, value: Uint8Array, flags: number): Promise<void> {
    this.w();
    const hn = this.xattrName(name, 'set');
    await this.onPath(p, (dfd, n) => call(FsOp.LSETXATTR, at(dfd, n), hn, value, flags));
  }

  async removexattr(p: V9fsPath, name: string): Promise<void> {
    this.w();
    const hn = this.xattrName(name, 'set');
    await this.onPath(p, (dfd, n) => call(FsOp.LREMOVEXATTR, at(dfd, n), hn, null));
  }
}

function fsErrNode(e: unknown): FsError {
  if (e instanceof FsError) return e;
  const n = (e as NodeJS.ErrnoException).errno;
  return new FsError(typeof n === 'number' && n < 0 ? -n : Errno.EIO);
}

function direntType(e: fs.Dirent<Buffer>): number {
  return e.isDirectory() ? DT.DIR : e.isFile() ? DT.REG : e.isSymbolicLink() ? DT.LNK : e.isFIFO() ? DT.FIFO
    : e.isCharacterDevice() ? DT.CHR : e.isBlockDevice() ? DT.BLK : e.isSocket() ? DT.SOCK : DT.UNKNOWN;
}

class LocalFile implements FsFile {
  constructor(private readonly fd: number, private readonly drv: LocalFsDriver, private readonly ref?: { dfd: number; name: string }) {}
  async pread(buf: Uint8Array, pos: number): Promise<number> {
    let done = 0;
    while (done < buf.length) {
      const n = await host(pRead(this.fd, buf, done, buf.length - done, pos + done));
      if (n === 0) break;
      done += n;
    }
    return done;
  }
  async pwrite(buf: Uint8Array, pos: number): Promise<number> {
    if (this.drv.readOnly) throw new FsError(Errno.EROFS);
    return host(pWrite(this.fd, buf, 0, buf.length, pos));
  }
  fstat(): Promise<FsStat> {
    return this.drv.fstatFile(this.fd, this.ref);
  }
  async fsync(datasync: boolean): Promise<void> {
    await host(new Promise<void>((res, rej) => (datasync ? fs.fdatasync : fs.fsync)(this.fd, (e) => (e ? rej(e) : res()))));
  }
  async close(): Promise<void> {
    if (this.ref) await pClose(this.ref.dfd).catch(() => undefined);
    await host(pClose(this.fd));
  }
}
