// The back-end interface of the 9P server (QEMU's FileOperations, fsdev/file-op-9p.h): the
// server resolves fids to paths and checks every name; a back end serves paths. The local back
// end (src/host/node/9p-local.ts, QEMU's security models) and the in-memory tree (9p-memfs.ts,
// for the browser) implement it. No host API here.
//
// A V9fsPath is the list of components below the export root. The server guarantees each
// component is a real name: not empty, not '.', not '..', no '/' and no NUL; a back end still
// resolves it without following symbolic links (containment is the back end's job too).
// Names are byte strings (see 9p-proto.ts). Every call rejects with FsError(errno).

export type V9fsPath = readonly string[];

export interface FsStat {
  mode: number;
  uid: number;
  gid: number;
  nlink: number;
  rdev: number;
  size: number;
  blksize: number;
  blocks: number;
  atimeNs: bigint;
  mtimeNs: bigint;
  ctimeNs: bigint;
  ino: bigint;
  dev: bigint;
}

/** Guest credentials for a new file (QEMU's FsCred): -1 = not given. */
export interface FsCred {
  uid: number;
  gid: number;
  mode: number;
  rdev: number;
}

export interface FsStatfs {
  type: number;
  bsize: number;
  blocks: number;
  bfree: number;
  bavail: number;
  files: number;
  ffree: number;
  fsid: bigint;
  namelen: number;
}

/** An open file or directory. */
export interface FsFile {
  pread(buf: Uint8Array, pos: number): Promise<number>;
  pwrite(buf: Uint8Array, pos: number): Promise<number>;
  /** The open file's attributes (with mapped ownership in the mapped models). */
  fstat(): Promise<FsStat>;
  fsync(datasync: boolean): Promise<void>;
  close(): Promise<void>;
}

export interface FsDirEntry {
  name: string;
  /** DT_* (0 = unknown). */
  type: number;
  ino: bigint;
  dev: bigint;
}

/** Time values of utimensat: a number of ns, or 'now', or 'omit'. */
export type FsTime = bigint | 'now' | 'omit';

export interface FsDriver {
  readonly readOnly: boolean;
  lstat(p: V9fsPath): Promise<FsStat>;
  /** lstat on the calling thread where the back end can (cheaply, without waiting on a slow
   * disk); undefined where it cannot. Lets the server answer Twalk/Tgetattr at once. */
  readonly lstatSync?: (p: V9fsPath) => FsStat;
  /** Open an existing file or directory; `flags` are Linux O_* flags (O_CREAT stripped). */
  open(p: V9fsPath, flags: number): Promise<FsFile>;
  create(dir: V9fsPath, name: string, flags: number, cred: FsCred): Promise<FsFile>;
  /** All entries of a directory, '.' and '..' excluded; metadata files of the back end hidden. */
  readdir(p: V9fsPath): Promise<FsDirEntry[]>;
  mkdir(dir: V9fsPath, name: string, cred: FsCred): Promise<void>;
  symlink(target: string, dir: V9fsPath, name: string, cred: FsCred): Promise<void>;
  mknod(dir: V9fsPath, name: string, cred: FsCred): Promise<void>;
  link(old: V9fsPath, dir: V9fsPath, name: string): Promise<void>;
  rename(oldDir: V9fsPath, oldName: string, newDir: V9fsPath, newName: string): Promise<void>;
  /** `flags` is AT_REMOVEDIR (0x200) or 0. */
  unlink(dir: V9fsPath, name: string, flags: number): Promise<void>;
  readlink(p: V9fsPath): Promise<string>;
  chmod(p: V9fsPath, mode: number): Promise<void>;
  chown(p: V9fsPath, uid: number, gid: number): Promise<void>;
  utimens(p: V9fsPath, atime: FsTime, mtime: FsTime): Promise<void>;
  truncate(p: V9fsPath, size: number): Promise<void>;
  statfs(p: V9fsPath): Promise<FsStatfs>;
  getxattr(p: V9fsPath, name: string): Promise<Uint8Array>;
  /** Names of the extended attributes the guest may see. */
  listxattr(p: V9fsPath): Promise<string[]>;
  /** `flags`: XATTR_CREATE 1 / XATTR_REPLACE 2. */
  setxattr(p: V9fsPath, name: string, value: Uint8Array, flags: number): Promise<void>;
  removexattr(p: V9fsPath, name: string): Promise<void>;
  /** A name the back end keeps for itself (mapped-file's .virtfs_metadata): walks get ENOENT. */
  isReservedName(name: string): boolean;
  close(): Promise<void>;
}

export const enum DT { UNKNOWN = 0, FIFO = 1, CHR = 2, DIR = 4, BLK = 6, REG = 8, LNK = 10, SOCK = 12 }
