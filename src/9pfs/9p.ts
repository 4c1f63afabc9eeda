// The 9P2000.L server (QEMU's hw/9pfs/9p.c): fids, qids, request dispatch. Transport-free: a
// transport hands in one request and gets one reply (9p-virtio). Requests run concurrently as
// async functions on the main loop; the back end (FsDriver) does the host I/O asynchronously.
//
// What the guest controls and how it is bounded:
// - every name is checked here (name_is_illegal: empty, '/', NUL -> ENOENT; > NAME_MAX ->
//   ENAMETOOLONG); '.' and '..' are resolved on the fid's path list, '..' of the root stays at
//   the root, so a path never leaves the export even before the back end's own containment;
// - fids are bounded (MAX_FIDS), open host files are bounded (MAX_OPEN -> EMFILE), every count
//   is cut to msize and to the reply buffer the transport has, xattr values to XATTR_SIZE_MAX;
// - a fid's host file closes only when no request still uses it (clunk during a read).
import {
  AT_REMOVEDIR, Errno, FsError, LFlag, P9, P9_GETATTR_BASIC, P9_HDR, P9_NOFID, P9ProtoError, P9Reader, P9Writer,
  type Qid, QidType, SMode, SetattrValid,
} from './9p-proto.js';
import type { FsCred, FsDirEntry, FsDriver, FsFile, FsStat, FsTime, V9fsPath } from './fsdriver.js';
import { v9fsReaddirReply, v9fsStatfsReply, v9fsGetattrReply } from './9p-reply.js';

export type Multidevs = 'remap' | 'forbid' | 'warn';

export interface V9fsConf {
  driver: FsDriver;
  multidevs?: Multidevs;
  /** Warnings (multidevs=warn), QEMU's error_report_once. */
  warn?: (msg: string) => void;
  /** A line per request and per reply (debugging: TSQEMU_9P_TRACE=1). */
  trace?: (line: string) => void;
}

/** QEMU's default and largest msize we accept (the Linux virtio client stops below 512 KiB). */
export const P9_MAX_MSIZE = 4 * 1024 * 1024;
const P9_MIN_MSIZE = 4096;
const P9_IOHDRSZ = 24;
const P9_MAXWELEM = 16;
const NAME_MAX = 255;
const PATH_MAX = 4096;
const XATTR_SIZE_MAX = 65536;
const MAX_FIDS = 65536;
const MAX_OPEN = 1024;

interface XattrState { name: string; value: Uint8Array; create: boolean; flags: number; written: number }

export interface V9fsFid {
  fid: number;
  path: string[];
  uid: number;
  kind: 'none' | 'file' | 'dir' | 'xattr';
  file?: FsFile;
  dirents?: FsDirEntry[];
  xattr?: XattrState;
  /** Requests using this fid now; its file closes when they are done. */
  users: number;
  idle?: () => void;
  clunked: boolean;
}

/** A request's work as a generator: it yields each path it needs lstat'd and gets the stat back (or the error thrown in). */
type StatSteps<T> = Generator<V9fsPath, T, FsStat>;

const illegal = (name: string) => name.length === 0 || name.includes('/') || name.includes('\0');

export class V9fsState {
  msize = 8192;
  private readonly fids = new Map<number, V9fsFid>();
  private openFiles = 0;
  /** Requests in flight by tag (Tflush waits for them). */
  private readonly inflight = new Map<number, Promise<unknown>>();
  private rootDev: bigint | undefined;
  private readonly devIndex = new Map<bigint, number>();
  private readonly bigIno = new Map<string, bigint>();
  private warned = false;
  private iounitBase = 4096;
  readonly stats = { requests: 0, errors: 0 };

  constructor(readonly conf: V9fsConf) {}

  get driver(): FsDriver { return this.conf.driver; }

  /** Handle one request; the reply is at most `replyMax` bytes (or null: no room for any reply). */
  async handle(req: Uint8Array, replyMax: number): Promise<Uint8Array | null> {
    this.stats.requests++;
    if (req.length < P9_HDR) return null;
    const r = new P9Reader(req);
    const size = r.u32();
    const type = r.u8();
    const tag = r.u16();
    if (size > req.length || size < P9_HDR) return this.lerror(tag, Errno.EINVAL, replyMax);
    const body = new P9Reader(req.subarray(0, size));
    body.pos = P9_HDR;
    const p = this.dispatch(type, tag, body, Math.min(replyMax, this.msize)).catch((e: unknown) => this.fail(tag, e, replyMax));
    this.inflight.set(tag, p);
    const trace = this.conf.trace;
    trace?.(`9p> tag ${tag} type ${type} size ${size}`);
    try {
      const reply = await p;
      trace?.(`9p< tag ${tag} type ${reply?.[4]} size ${reply?.length}${reply?.[4] === P9.RLERROR ? ` errno ${reply[7]}` : ''}`);
      return reply && reply.length <= replyMax ? reply : this.lerror(tag, Errno.ENOSPC, replyMax);
    } finally {
      if (this.inflight.get(tag) === p) this.inflight.delete(tag);
    }
  }

  /**
   * The requests a Linux client sends most (Twalk, Tgetattr of a fid without an open file, Tclunk
   * of a fid that holds no file), answered on this call when the back end can lstat
   * synchronously (FsDriver.lstatSync): the transport completes them before the guest's kick
   * returns, so the guest's 9p client finds its reply instead of sleeping for it (an idle entry,
   * an interrupt and a wake-up per request in the guest; the same replies). undefined: not one
   * of those (or its fid is in use by a request in flight): use handle().
   */
  handleSync(req: Uint8Array, replyMax: number): Uint8Array | null | undefined {
    const lstat = this.driver.lstatSync;
    if (!lstat || req.length < P9_HDR) return undefined;
    const r = new P9Reader(req);
    const size = r.u32();
    const type = r.u8();
    const tag = r.u16();
    if (size > req.length || size < P9_HDR || (type !== P9.TWALK && type !== P9.TGETATTR && type !== P9.TCLUNK)) return undefined;
    const body = new P9Reader(req.subarray(0, size));
    body.pos = P9_HDR;
    const f = this.fids.get(body.u32());
    if (!f || f.clunked || f.users > 0 || f.file || (type === P9.TCLUNK && f.xattr?.create)) return undefined;
    this.stats.requests++;
    const trace = this.conf.trace;
    trace?.(`9p> tag ${tag} type ${type} size ${size}`);
    let reply: Uint8Array | null;
    try {
      const w = new P9Writer();
      if (type === P9.TCLUNK) {
        this.fids.delete(f.fid);
        f.clunked = true;
        f.dirents = undefined;
        reply = w.finish(P9.RCLUNK, tag);
      } else if (type === P9.TGETATTR) {
        reply = this.statSync(this.getattrSteps(f, w, tag), lstat);
      } else {
        const newfid = body.u32(); const n = body.u16();
        if (n > P9_MAXWELEM) throw new FsError(Errno.EINVAL);
        const names: string[] = [];
        for (let i = 0; i < n; i++) names.push(body.str());
        reply = this.statSync(this.walkSteps(f, newfid, names, w, tag), lstat);
      }
      if (reply.length > replyMax) reply = this.lerror(tag, Errno.ENOSPC, replyMax);
    } catch (e) {
      reply = this.fail(tag, e, replyMax);
    }
    trace?.(`9p< tag ${tag} type ${reply?.[4]} size ${reply?.length}${reply?.[4] === P9.RLERROR ? ` errno ${reply[7]}` : ''}`);
    return reply;
  }

  private fail(tag: number, e: unknown, replyMax: number): Uint8Array | null {
    this.stats.errors++;
    if (e instanceof FsError) return this.lerror(tag, e.errno, replyMax);
    if (e instanceof P9ProtoError) return this.lerror(tag, Errno.EINVAL, replyMax);
    this.conf.warn?.(`9p: internal error: ${e instanceof Error ? e.message : String(e)}`);
    return this.lerror(tag, Errno.EIO, replyMax);
  }

  private lerror(tag: number, errno: number, replyMax: number): Uint8Array | null {
    return replyMax >= 11 ? new P9Writer(16).u32(errno).finish(P9.RLERROR, tag) : null;
  }

  /** Drop every fid (Tversion, device reset). */
  async resetSession(): Promise<void> {
    const all = [...this.fids.values()];
    this.fids.clear();
    await Promise.all(all.map((f) => this.release(f)));
  }

  // ---- fids ----

  private getFid(n: number): V9fsFid {
    const f = this.fids.get(n);
    if (!f || f.clunked) throw new FsError(Errno.EBADF);
    return f;
  }

  private newFid(n: number, path: string[], uid: number): V9fsFid {
    if (n === P9_NOFID || this.fids.has(n)) throw new FsError(Errno.EINVAL);
    if (this.fids.size >= MAX_FIDS) throw new FsError(Errno.ENFILE);
    const f: V9fsFid = { fid: n, path, uid, kind: 'none', users: 0, clunked: false };
    this.fids.set(n, f);
    return f;
  }

  /** Run `fn` with the fid held, so a concurrent clunk waits before closing its file. */
  private async withFid<T>(n: number, fn: (f: V9fsFid) => Promise<T>): Promise<T> {
    const f = this.getFid(n);
    f.users++;
    try {
      return await fn(f);
    } finally {
      if (--f.users === 0) f.idle?.();
    }
  }

  private async release(f: V9fsFid): Promise<void> {
    f.clunked = true;
    if (f.users > 0) await new Promise<void>((res) => { f.idle = res; });
    const file = f.file;
    f.file = undefined;
    f.dirents = undefined;
    if (file) {
      this.openFiles--;
      await file.close().catch(() => undefined);
    }
  }

  private async clunk(n: number): Promise<V9fsFid> {
    const f = this.getFid(n);
    this.fids.delete(n);
    await this.release(f);
    return f;
  }

  private reserveOpen(): void {
    if (this.openFiles >= MAX_OPEN) throw new FsError(Errno.EMFILE);
    this.openFiles++;
  }

  /** After a rename, fids below the old name follow it (QEMU's v9fs_fix_path). */
  private fixPaths(from: readonly string[], to: readonly string[]): void {
    for (const f of this.fids.values()) {
      if (f.path.length >= from.length && from.every((c, i) => f.path[i] === c)) f.path = [...to, ...f.path.slice(from.length)];
    }
  }

  // ---- names, qids ----

  private checkName(name: string): void {
    if (illegal(name)) throw new FsError(Errno.ENOENT);
    if (name.length > NAME_MAX) throw new FsError(Errno.ENAMETOOLONG);
    if (this.driver.isReservedName(name)) throw new FsError(Errno.EINVAL);
  }

  /** A name to create in a directory: also not '.' or '..' (EEXIST, as QEMU). */
  private createName(dir: V9fsFid, name: string): string[] {
    this.checkName(name);
    if (name === '.' || name === '..') throw new FsError(Errno.EEXIST);
    const p = [...dir.path, name];
    if (p.reduce((n, c) => n + c.length + 1, 0) > PATH_MAX) throw new FsError(Errno.ENAMETOOLONG);
    return p;
  }

  qid(st: FsStat): Qid {
    const fmt = st.mode & SMode.IFMT;
    const type = fmt === SMode.IFDIR ? QidType.DIR : fmt === SMode.IFLNK ? QidType.SYMLINK : QidType.FILE;
    const version = (Number(st.mtimeNs / 1_000_000_000n) ^ (st.size * 256)) >>> 0;
    return { type, version, path: this.qidPath(st) };
  }

  private qidPath(st: FsStat): bigint {
    this.rootDev ??= st.dev;
    const mode = this.conf.multidevs ?? 'warn';
    if (mode === 'remap') {
      let idx = this.devIndex.get(st.dev);
      if (idx === undefined) this.devIndex.set(st.dev, (idx = this.devIndex.size));
      if (st.ino < 1n << 48n) return (BigInt(idx) << 48n) | st.ino;
      const key = `${st.dev}:${st.ino}`;
      let p = this.bigIno.get(key);
      if (p === undefined) this.bigIno.set(key, (p = (1n << 63n) | BigInt(this.bigIno.size)));
      return p;
    }
    if (st.dev !== this.rootDev) {
      if (mode === 'forbid') throw new FsError(Errno.ENODEV);
      if (!this.warned) {
        this.warned = true;
        this.conf.warn?.('9p: Multiple devices detected in same VirtFS export, which might lead to file ID collisions and severe misbehaviours on guest! You should either use a separate export for each device shared from host or use virtfs option \'multidevs=remap\'!');
      }
    }
    return st.ino;
  }

  private iounit(): number {
    const room = this.msize - P9_IOHDRSZ;
    return Math.floor(room / this.iounitBase) * this.iounitBase || room;
  }

  private ro(): void {
    if (this.driver.readOnly) throw new FsError(Errno.EROFS);
  }

  // ---- dispatch ----

  private async dispatch(type: number, tag: number, r: P9Reader, max: number): Promise<Uint8Array | null> {
    const w = new P9Writer();
    const ok = (t: number) => w.finish(t, tag);
    switch (type) {
      case P9.TVERSION: return this.version(r, w, tag);
      case P9.TATTACH: {
        const fid = r.u32(); r.u32(); r.str(); r.str(); const uid = r.u32();
        const st = await this.driver.lstat([]);
        this.rootDev = st.dev;
        this.newFid(fid, [], uid);
        try {
          this.iounitBase = (await this.driver.statfs([])).bsize || 4096;
        } catch { /* keep 4096 */ }
        w.qid(this.qid(st));
        return ok(P9.RATTACH);
      }
      case P9.TWALK: return this.walk(r, w, tag);
      case P9.TCLUNK: return this.tclunk(r.u32()).then(() => ok(P9.RCLUNK));
      case P9.TFLUSH: {
        const old = r.u16();
        await this.inflight.get(old)?.catch(() => undefined);
        return ok(P9.RFLUSH);
      }
      case P9.TGETATTR: {
        const fid = r.u32(); r.u64();
        return this.withFid(fid, async (f) => {
          if (!f.file) return this.statAsync(this.getattrSteps(f, w, tag));
          const st = await f.file.fstat();
          v9fsGetattrReply(w, P9_GETATTR_BASIC, this.qid(st), st, this.statIounit(st));
          return ok(P9.RGETATTR);
        });
      }
      case P9.TSETATTR: return this.setattr(r).then(() => ok(P9.RSETATTR));
      case P9.TLOPEN: return this.lopen(r, w, tag);
      case P9.TLCREATE: return this.lcreate(r, w, tag);
      case P9.TREAD: return this.read(r, tag, max);
      case P9.TWRITE: return this.write(r, w, tag);
      case P9.TREADDIR: return this.readdir(r, w, tag, max);
      case P9.TSTATFS: {
        const fid = r.u32();
        return this.withFid(fid, async (f) => {
          v9fsStatfsReply(w, await this.driver.statfs(f.path), this.msize - P9_IOHDRSZ);
          return ok(P9.RSTATFS);
        });
      }
      case P9.TMKDIR: {
        const dfid = r.u32(); const name = r.str(); const mode = r.u32(); const gid = r.u32();
        this.ro();
        return this.withFid(dfid, async (d) => {
          const p = this.createName(d, name);
          await this.driver.mkdir(d.path, name, { uid: d.uid, gid, mode: mode & 0o7777, rdev: -1 });
          w.qid(this.qid(await this.driver.lstat(p)));
          return ok(P9.RMKDIR);
        });
      }
      case P9.TSYMLINK: {
        const dfid = r.u32(); const name = r.str(); const target = r.str(); const gid = r.u32();
        this.ro();
        return this.withFid(dfid, async (d) => {
          const p = this.createName(d, name);
          if (target.length === 0 || target.includes('\0') || target.length >= PATH_MAX) throw new FsError(target.length ? Errno.ENAMETOOLONG : Errno.ENOENT);
          await this.driver.symlink(target, d.path, name, { uid: d.uid, gid, mode: 0o777, rdev: -1 });
          w.qid(this.qid(await this.driver.lstat(p)));
          return ok(P9.RSYMLINK);
        });
      }
      case P9.TMKNOD: {
        const dfid = r.u32(); const name = r.str(); const mode = r.u32(); const major = r.u32(); const minor = r.u32(); const gid = r.u32();
        this.ro();
        return this.withFid(dfid, async (d) => {
          const p = this.createName(d, name);
          await this.driver.mknod(d.path, name, { uid: d.uid, gid, mode, rdev: makedev(major, minor) });
          w.qid(this.qid(await this.driver.lstat(p)));
          return ok(P9.RMKNOD);
        });
      }
      case P9.TREADLINK: {
        const fid = r.u32();
        return this.withFid(fid, async (f) => {
          w.str(await this.driver.readlink(f.path));
          return ok(P9.RREADLINK);
        });
      }
      case P9.TLINK: {
        const dfid = r.u32(); const fid = r.u32(); const name = r.str();
        this.ro();
        const d = this.getFid(dfid);
        const f = this.getFid(fid);
        this.createName(d, name);
        if (f.path.length === 0) throw new FsError(Errno.EPERM);
        await this.driver.link(f.path, d.path, name);
        return ok(P9.RLINK);
      }
      case P9.TRENAME: {
        const fid = r.u32(); const dfid = r.u32(); const name = r.str();
        this.ro();
        const f = this.getFid(fid);
        const d = this.getFid(dfid);
        if (f.path.length === 0) throw new FsError(Errno.EBUSY);
        this.createName(d, name);
        await this.rename(f.path.slice(0, -1), f.path[f.path.length - 1], d.path, name);
        return ok(P9.RRENAME);
      }
      case P9.TRENAMEAT: {
        const ofid = r.u32(); const oname = r.str(); const nfid = r.u32(); const nname = r.str();
        this.ro();
        const od = this.getFid(ofid);
        const nd = this.getFid(nfid);
        for (const n of [oname, nname]) {
          this.checkName(n);
          if (n === '.' || n === '..') throw new FsError(Errno.EISDIR);
        }
        await this.rename(od.path, oname, nd.path, nname);
        return ok(P9.RRENAMEAT);
      }
      case P9.TUNLINKAT: {
        const dfid = r.u32(); const name = r.str(); const flags = r.u32();
        this.ro();
        const d = this.getFid(dfid);
        this.checkName(name);
        if (name === '.') throw new FsError(Errno.EINVAL);
        if (name === '..') throw new FsError(Errno.ENOTEMPTY);
        await this.driver.unlink(d.path, name, flags & AT_REMOVEDIR);
        return ok(P9.RUNLINKAT);
      }
      case P9.TREMOVE: {
        const fid = r.u32();
        const f = this.getFid(fid);
        try {
          this.ro();
          if (f.path.length === 0) throw new FsError(Errno.EBUSY);
          const st = await this.driver.lstat(f.path);
          const isDir = (st.mode & SMode.IFMT) === SMode.IFDIR;
          await this.driver.unlink(f.path.slice(0, -1), f.path[f.path.length - 1], isDir ? AT_REMOVEDIR : 0);
        } finally {
          await this.tclunk(fid).catch(() => undefined);
        }
        return ok(P9.RREMOVE);
      }
      case P9.TFSYNC: {
        const fid = r.u32(); const datasync = r.u32();
        return this.withFid(fid, async (f) => {
          if (f.file) await f.file.fsync(datasync !== 0);
          else if (f.kind !== 'dir') throw new FsError(Errno.EBADF);
          return ok(P9.RFSYNC);
        });
      }
      case P9.TLOCK: {
        // QEMU's local back end grants every lock (no host lock is taken): the guest's own VFS
        // orders its processes; several guests on one folder are not coordinated.
        const fid = r.u32(); r.u8(); r.u32(); r.u64(); r.u64(); r.u32(); r.str();
        this.getFid(fid);
        w.u8(0); // P9_LOCK_SUCCESS
        return ok(P9.RLOCK);
      }
      case P9.TGETLOCK: {
        const fid = r.u32(); r.u8(); const start = r.u64(); const len = r.u64(); const pid = r.u32(); const client = r.str();
        this.getFid(fid);
        w.u8(2 /* F_UNLCK */).u64(start).u64(len).u32(pid).str(client);
        return ok(P9.RGETLOCK);
      }
      case P9.TXATTRWALK: return this.xattrwalk(r, w, tag);
      case P9.TXATTRCREATE: {
        const fid = r.u32(); const name = r.str(); const size = r.u64n(); const flags = r.u32();
        this.ro();
        const f = this.getFid(fid);
        if (size > XATTR_SIZE_MAX) throw new FsError(Errno.E2BIG);
        if (illegal(name) || name.length > NAME_MAX) throw new FsError(Errno.EINVAL);
        if (f.file) throw new FsError(Errno.EINVAL);
        f.kind = 'xattr';
        f.xattr = { name, value: new Uint8Array(size), create: true, flags, written: 0 };
        return ok(P9.RXATTRCREATE);
      }
      default:
        // Topen, Tcreate, Tstat, Twstat, Tauth (9P2000 / .u): not in 9P2000.L.
        throw new FsError(Errno.EOPNOTSUPP);
    }
  }

  private async version(r: P9Reader, w: P9Writer, tag: number): Promise<Uint8Array> {
    const msize = r.u32();
    const ver = r.str();
    await this.resetSession();
    this.msize = Math.max(P9_MIN_MSIZE, Math.min(msize, P9_MAX_MSIZE));
    w.u32(this.msize).str(ver === '9P2000.L' ? '9P2000.L' : 'unknown');
    return w.finish(P9.RVERSION, tag);
  }

  private async walk(r: P9Reader, w: P9Writer, tag: number): Promise<Uint8Array> {
    const fid = r.u32(); const newfid = r.u32(); const n = r.u16();
    if (n > P9_MAXWELEM) throw new FsError(Errno.EINVAL);
    const names: string[] = [];
    for (let i = 0; i < n; i++) names.push(r.str());
    return this.withFid(fid, (f) => this.statAsync(this.walkSteps(f, newfid, names, w, tag)));
  }

  /** Twalk's work, yielding each path it needs an lstat of (statAsync or statSync answers). */
  private *walkSteps(f: V9fsFid, newfid: number, names: string[], w: P9Writer, tag: number): StatSteps<Uint8Array> {
    const n = names.length;
    if (newfid !== f.fid && this.fids.has(newfid)) throw new FsError(Errno.EINVAL);
    let path = [...f.path];
    const qids: Qid[] = [];
    let st: FsStat | undefined;
    if (n > 0) st = yield path;
    for (let i = 0; i < n; i++) {
      const name = names[i];
      let err: number | undefined;
      if (illegal(name) || this.driver.isReservedName(name)) err = Errno.ENOENT;
      else if (name.length > NAME_MAX) err = Errno.ENAMETOOLONG;
      else if (st && (st.mode & SMode.IFMT) !== SMode.IFDIR) err = Errno.ENOTDIR;
      if (err === undefined) {
        const next = name === '.' ? path : name === '..' ? path.slice(0, -1) : [...path, name];
        try {
          st = yield next;
          path = next;
        } catch (e) {
          if (!(e instanceof FsError)) throw e;
          err = e.errno;
        }
      }
      if (err !== undefined) {
        if (i === 0) throw new FsError(err);
        break;
      }
      qids.push(this.qid(st as FsStat));
    }
    if (qids.length === n) {
      if (newfid === f.fid) f.path = path;
      else this.newFid(newfid, path, f.uid);
    }
    w.u16(qids.length);
    for (const q of qids) w.qid(q);
    return w.finish(P9.RWALK, tag);
  }

  /** Tgetattr of a fid without an open file. */
  private *getattrSteps(f: V9fsFid, w: P9Writer, tag: number): StatSteps<Uint8Array> {
    const st: FsStat = yield f.path;
    v9fsGetattrReply(w, P9_GETATTR_BASIC, this.qid(st), st, this.statIounit(st));
    return w.finish(P9.RGETATTR, tag);
  }

  private async statAsync<T>(g: StatSteps<T>): Promise<T> {
    let r = g.next();
    while (!r.done) {
      let st: FsStat;
      try {
        st = await this.driver.lstat(r.value);
      } catch (e) {
        r = g.throw(e);
        continue;
      }
      r = g.next(st);
    }
    return r.value;
  }

  private statSync<T>(g: StatSteps<T>, lstat: (p: V9fsPath) => FsStat): T {
    let r = g.next();
    while (!r.done) {
      let st: FsStat;
      try {
        st = lstat(r.value);
      } catch (e) {
        r = g.throw(e);
        continue;
      }
      r = g.next(st);
    }
    return r.value;
  }

  private async tclunk(fid: number): Promise<void> {
    const f = await this.clunk(fid);
    const x = f.xattr;
    if (x?.create) {
      // Txattrcreate's value is complete only now (QEMU's v9fs_xattr_fid_clunk).
      if (x.written !== x.value.length) throw new FsError(Errno.EINVAL);
      if (x.value.length === 0 && x.flags !== 1) await this.driver.removexattr(f.path, x.name);
      else await this.driver.setxattr(f.path, x.name, x.value, x.flags);
    }
  }

  private async lopen(r: P9Reader, w: P9Writer, tag: number): Promise<Uint8Array> {
    const fid = r.u32(); const flags = r.u32();
    return this.withFid(fid, async (f) => {
      if (f.kind !== 'none') throw new FsError(Errno.EINVAL);
      const st = await this.driver.lstat(f.path);
      const fmt = st.mode & SMode.IFMT;
      if (fmt === SMode.IFDIR) {
        f.kind = 'dir';
      } else {
        const o = openFlags(flags);
        if (this.driver.readOnly && ((o & LFlag.O_ACCMODE) !== 0 || (o & (LFlag.O_TRUNC | LFlag.O_APPEND)) !== 0)) throw new FsError(Errno.EROFS);
        this.reserveOpen();
        try {
          f.file = await this.driver.open(f.path, o);
        } catch (e) {
          this.openFiles--;
          throw e;
        }
        f.kind = 'file';
      }
      w.qid(this.qid(st)).u32(this.iounit());
      return w.finish(P9.RLOPEN, tag);
    });
  }

  private async lcreate(r: P9Reader, w: P9Writer, tag: number): Promise<Uint8Array> {
    const fid = r.u32(); const name = r.str(); const flags = r.u32(); const mode = r.u32(); const gid = r.u32();
    this.ro();
    return this.withFid(fid, async (f) => {
      if (f.kind !== 'none') throw new FsError(Errno.EINVAL);
      const p = this.createName(f, name);
      this.reserveOpen();
      let file: FsFile;
      try {
        const cred: FsCred = { uid: f.uid, gid, mode: mode & 0o7777, rdev: -1 };
        file = await this.driver.create(f.path, name, openFlags(flags) | LFlag.O_CREAT, cred);
      } catch (e) {
        this.openFiles--;
        throw e;
      }
      if (f.clunked) { this.openFiles--; await file.close(); throw new FsError(Errno.EBADF); }
      f.file = file;
      f.kind = 'file';
      f.path = p;
      w.qid(this.qid(await file.fstat())).u32(this.iounit());
      return w.finish(P9.RLCREATE, tag);
    });
  }

  private async read(r: P9Reader, tag: number, max: number): Promise<Uint8Array> {
    const fid = r.u32(); const off = r.u64n(); const count = r.u32();
    return this.withFid(fid, async (f) => {
      const n = Math.max(0, Math.min(count, max - 11));
      const out = new Uint8Array(11 + n);
      let got: number;
      if (f.kind === 'xattr' && f.xattr && !f.xattr.create) {
        const v = f.xattr.value;
        const part = v.subarray(Math.min(off, v.length), Math.min(off + n, v.length));
        out.set(part, 11);
        got = part.length;
      } else if (f.kind === 'file' && f.file) {
        got = await f.file.pread(out.subarray(11, 11 + n), off);
      } else {
        throw new FsError(f.kind === 'dir' ? Errno.EISDIR : Errno.EBADF);
      }
      const dv = new DataView(out.buffer);
      dv.setUint32(0, 11 + got, true);
      dv.setUint8(4, P9.RREAD);
      dv.setUint16(5, tag, true);
      dv.setUint32(7, got, true);
      return out.subarray(0, 11 + got);
    });
  }

  private async write(r: P9Reader, w: P9Writer, tag: number): Promise<Uint8Array> {
    const fid = r.u32(); const off = r.u64n(); const count = r.u32();
    const data = r.bytes(Math.min(count, r.buf.length - r.pos));
    return this.withFid(fid, async (f) => {
      let n: number;
      if (f.kind === 'xattr' && f.xattr?.create) {
        const x = f.xattr;
        if (off !== x.written || off + data.length > x.value.length) throw new FsError(Errno.ENOSPC);
        x.value.set(data, off);
        x.written += data.length;
        n = data.length;
      } else if (f.kind === 'file' && f.file) {
        this.ro();
        n = await f.file.pwrite(data, off);
      } else {
        throw new FsError(f.kind === 'dir' ? Errno.EISDIR : Errno.EBADF);
      }
      w.u32(n);
      return w.finish(P9.RWRITE, tag);
    });
  }

  private async readdir(r: P9Reader, w: P9Writer, tag: number, max: number): Promise<Uint8Array> {
    const fid = r.u32(); const off = r.u64n(); const count = r.u32();
    return this.withFid(fid, async (f) => {
      if (f.kind !== 'dir') throw new FsError(Errno.ENOTDIR);
      if (off === 0 || !f.dirents) {
        const [self, parent, list] = await Promise.all([
          this.driver.lstat(f.path), this.driver.lstat(f.path.slice(0, -1)), this.driver.readdir(f.path)]);
        f.dirents = [
          { name: '.', type: 4, ino: self.ino, dev: self.dev }, { name: '..', type: 4, ino: parent.ino, dev: parent.dev }, ...list];
      }
      const room = Math.max(0, Math.min(count, max - 11));
      v9fsReaddirReply(w, f.dirents, off, room, (e) => this.qidPath({ ino: e.ino, dev: e.dev } as FsStat));
      return w.finish(P9.RREADDIR, tag);
    });
  }

  private async setattr(r: P9Reader): Promise<void> {
    const fid = r.u32(); const valid = r.u32(); const mode = r.u32(); const uid = r.u32(); const gid = r.u32();
    const size = r.u64n(); const as = r.u64(); const ans = r.u64(); const ms = r.u64(); const mns = r.u64();
    this.ro();
    return this.withFid(fid, async (f) => {
      const p = f.path;
      if (valid & SetattrValid.MODE) await this.driver.chmod(p, mode);
      if (valid & (SetattrValid.ATIME | SetattrValid.MTIME)) {
        const t = (set: number, on: number, s: bigint, ns: bigint): FsTime =>
          !(valid & on) ? 'omit' : valid & set ? s * 1_000_000_000n + ns : 'now';
        await this.driver.utimens(p, t(SetattrValid.ATIME_SET, SetattrValid.ATIME, as, ans), t(SetattrValid.MTIME_SET, SetattrValid.MTIME, ms, mns));
      }
      const onlyCtime = (valid & SetattrValid.CTIME) && !(valid & 0x3f);
      if ((valid & (SetattrValid.UID | SetattrValid.GID)) || onlyCtime) {
        await this.driver.chown(p, valid & SetattrValid.UID ? uid : -1, valid & SetattrValid.GID ? gid : -1);
      }
      if (valid & SetattrValid.SIZE) await this.driver.truncate(p, size);
    });
  }

  private async xattrwalk(r: P9Reader, w: P9Writer, tag: number): Promise<Uint8Array> {
    const fid = r.u32(); const newfid = r.u32(); const name = r.str();
    return this.withFid(fid, async (f) => {
      let value: Uint8Array;
      if (name === '') {
        const names = await this.driver.listxattr(f.path);
        const total = names.reduce((n, s) => n + s.length + 1, 0);
        if (total > XATTR_SIZE_MAX) throw new FsError(Errno.E2BIG);
        value = new Uint8Array(total);
        let o = 0;
        for (const s of names) {
          for (let i = 0; i < s.length; i++) value[o++] = s.charCodeAt(i) & 0xff;
          value[o++] = 0;
        }
      } else {
        if (illegal(name) || name.length > NAME_MAX) throw new FsError(Errno.ENODATA);
        value = await this.driver.getxattr(f.path, name);
      }
      const nf = this.newFid(newfid, [...f.path], f.uid);
      nf.kind = 'xattr';
      nf.xattr = { name, value, create: false, flags: 0, written: value.length };
      w.u64(value.length);
      return w.finish(P9.RXATTRWALK, tag);
    });
  }

  private async rename(oldDir: V9fsPath, oldName: string, newDir: V9fsPath, newName: string): Promise<void> {
    const from = [...oldDir, oldName];
    const to = [...newDir, newName];
    if (to.length > from.length && from.every((c, i) => to[i] === c)) throw new FsError(Errno.EINVAL);
    await this.driver.rename(oldDir, oldName, newDir, newName);
    this.fixPaths(from, to);
  }

  /** st_blksize as QEMU reports it: a multiple of the host's that fits one message. */
  private statIounit(st: FsStat): number {
    const room = this.msize - P9_IOHDRSZ;
    const b = st.blksize || 4096;
    return b * Math.floor(room / b) || room;
  }
}

/** Tlopen/Tlcreate flags as QEMU's get_dotl_openflags keeps them: no O_CREAT/O_NOCTTY/O_FASYNC, no O_DIRECT. */
export function openFlags(f: number): number {
  return f & ~(LFlag.O_CREAT | LFlag.O_NOCTTY | LFlag.O_FASYNC | LFlag.O_DIRECT | LFlag.O_CLOEXEC) | LFlag.O_NOFOLLOW;
}

/** glibc's makedev. */
export function makedev(major: number, minor: number): number {
  return ((major & 0xfff) << 8 | (minor & 0xff) | ((minor & 0xfff00) << 12)) >>> 0;
}
