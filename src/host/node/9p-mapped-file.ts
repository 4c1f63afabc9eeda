// security_model=mapped-file metadata, in QEMU's format: for an entry <name> of directory D, the
// text file D/.virtfs_metadata/<name> holds "virtfs.uid=N\nvirtfs.gid=N\nvirtfs.mode=N\n
// virtfs.rdev=N\n" (only the fields ever set, decimal); the export root's own is
// .virtfs_metadata_root. The metadata directory is 0700, its files 0600 (as QEMU 7.2 leaves them).
// Links, renames and removals carry the metadata file along, as QEMU's local_link/renameat/
// unlinkat do. Every open is descriptor-relative and refuses links.
import { Errno, FsError } from '../../9pfs/9p-proto.js';
import type { FsCred, FsStat } from '../../9pfs/fsdriver.js';
import { C, O_PATH, at, fsp, host, pClose, pOpen, pRead, pWrite } from './9p-host.js';

export const META_DIR = '.virtfs_metadata';
export const META_ROOT = '.virtfs_metadata_root';
const ATTR_MAX = 4096;
type Attrs = { uid: number; gid: number; mode: number; rdev: number };

const isNoent = (e: unknown) => e instanceof FsError && e.errno === Errno.ENOENT;

export class MappedFile {
  /** The metadata directory of `dfd`, or undefined when it does not exist. */
  private async metaDir(dfd: number, create: boolean): Promise<number | undefined> {
    if (create) {
      try {
        await fsp.mkdir(at(dfd, META_DIR), 0o700);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw new FsError(-((e as NodeJS.ErrnoException).errno ?? -Errno.EIO));
      }
    }
    try {
      return await host(pOpen(at(dfd, META_DIR), O_PATH | C.O_DIRECTORY | C.O_NOFOLLOW));
    } catch (e) {
      if (isNoent(e)) return undefined;
      throw e;
    }
  }

  private async read(dfd: number, name: string): Promise<Attrs | undefined> {
    const isRoot = name === '.';
    const mfd = isRoot ? dfd : await this.metaDir(dfd, false);
    if (mfd === undefined) return undefined;
    try {
      let fd: number;
      try {
        fd = await host(pOpen(at(mfd, isRoot ? META_ROOT : name), C.O_RDONLY | C.O_NOFOLLOW | C.O_NONBLOCK));
      } catch (e) {
        if (isNoent(e)) return undefined;
        throw e;
      }
      const b = new Uint8Array(ATTR_MAX);
      let n: number;
      try {
        n = await host(pRead(fd, b, 0, b.length, 0));
      } finally {
        await pClose(fd);
      }
      const a: Attrs = { uid: -1, gid: -1, mode: -1, rdev: -1 };
      for (const line of Buffer.from(b.subarray(0, n)).toString('latin1').split('\n')) {
        const m = /^virtfs\.(uid|gid|mode|rdev)=(.*)$/.exec(line);
        if (m) a[m[1] as keyof Attrs] = atoi(m[2]);
      }
      return a;
    } finally {
      if (!isRoot) await pClose(mfd).catch(() => undefined);
    }
  }

  /** Lay the recorded ownership over a host stat (QEMU's local_mapped_file_attrat). */
  async overlay(dfd: number, name: string, st: FsStat): Promise<void> {
    const a = await this.read(dfd, name);
    if (!a) return;
    if (a.uid !== -1) st.uid = a.uid >>> 0;
    if (a.gid !== -1) st.gid = a.gid >>> 0;
    if (a.mode !== -1) st.mode = a.mode >>> 0;
    if (a.rdev !== -1) st.rdev = a.rdev >>> 0;
  }

  /** Update the fields of `cred` that are not -1, keeping the others (local_set_mapped_file_attrat). */
  async set(dfd: number, name: string, cred: FsCred): Promise<void> {
    const isRoot = name === '.';
    const a = (await this.read(dfd, name)) ?? { uid: -1, gid: -1, mode: -1, rdev: -1 };
    for (const k of ['uid', 'gid', 'mode', 'rdev'] as const) if (cred[k] !== -1) a[k] = cred[k] | 0;
    let text = '';
    for (const k of ['uid', 'gid', 'mode', 'rdev'] as const) if (a[k] !== -1) text += `virtfs.${k}=${a[k] | 0}\n`;
    const mfd = isRoot ? dfd : await this.metaDir(dfd, true);
    if (mfd === undefined) throw new FsError(Errno.EIO);
    try {
      const fd = await host(pOpen(at(mfd, isRoot ? META_ROOT : name), C.O_WRONLY | C.O_TRUNC | C.O_CREAT | C.O_NOFOLLOW | C.O_NONBLOCK, 0o600));
      try {
        const b = Buffer.from(text, 'latin1');
        await host(pWrite(fd, b, 0, b.length, 0));
      } finally {
        await pClose(fd);
      }
    } finally {
      if (!isRoot) await pClose(mfd).catch(() => undefined);
    }
  }

  async link(odfd: number, oname: string, ndfd: number, nname: string): Promise<void> {
    await this.pair(odfd, ndfd, (o, n) => fsp.link(at(o, oname), at(n, nname)));
  }

  async rename(odfd: number, oname: string, ndfd: number, nname: string): Promise<void> {
    await this.pair(odfd, ndfd, (o, n) => fsp.rename(at(o, oname), at(n, nname)));
  }

  /** Apply `op` to the metadata files of two directories; a missing source file is fine. */
  private async pair(odfd: number, ndfd: number, op: (o: number, n: number) => Promise<void>): Promise<void> {
    const n = await this.metaDir(ndfd, true);
    const o = await this.metaDir(odfd, false);
    try {
      if (o !== undefined && n !== undefined) {
        await op(o, n).catch((e: NodeJS.ErrnoException) => { if (e.code !== 'ENOENT') throw new FsError(-(e.errno ?? -Errno.EIO)); });
      }
    } finally {
      if (o !== undefined) await pClose(o).catch(() => undefined);
      if (n !== undefined) await pClose(n).catch(() => undefined);
    }
  }

  /** Before removing <name>: its metadata file, and a directory's own metadata directory. */
  async remove(dfd: number, name: string, isDir: boolean): Promise<void> {
    if (isDir) {
      let fd: number | undefined;
      try {
        fd = await host(pOpen(at(dfd, name), O_PATH | C.O_DIRECTORY | C.O_NOFOLLOW));
        await fsp.rmdir(at(fd, META_DIR));
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (!isNoent(e) && code !== 'ENOENT') throw e instanceof FsError ? e : new FsError(-((e as NodeJS.ErrnoException).errno ?? -Errno.EIO));
      } finally {
        if (fd !== undefined) await pClose(fd).catch(() => undefined);
      }
    }
    const m = await this.metaDir(dfd, false);
    if (m === undefined) return;
    try {
      await fsp.unlink(at(m, name)).catch((e: NodeJS.ErrnoException) => { if (e.code !== 'ENOENT') throw new FsError(-(e.errno ?? -Errno.EIO)); });
    } finally {
      await pClose(m).catch(() => undefined);
    }
  }
}

/** C's atoi: leading whitespace, sign, digits; 0 when none; wraps to int. */
function atoi(s: string): number {
  const m = /^\s*([+-]?\d+)/.exec(s);
  return m ? Number(BigInt.asIntN(32, BigInt(m[1]))) : 0;
}
