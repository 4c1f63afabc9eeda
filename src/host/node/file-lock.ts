// Image locking as QEMU's file-posix (raw_apply_lock_bytes / raw_check_lock_bytes): open file
// description (OFD) read locks on single bytes, so tsqemu and real QEMU / qemu-img exclude
// each other. Byte 100+i is held while this opener uses permission bit i; byte 200+i while it
// does not share permission i with others. Opening checks the opposite bytes: a permission we
// want against others' "not shared" bytes, a permission we refuse to share against others'
// "held" bytes. Node has no fcntl: the locks go through the native addon (native/tsqemu_sys.c).
import { QemuError } from '../../qemu/error.js';
import { loadUserSys } from './user-sys.js';

/** BLK_PERM_* bits, in QEMU's order (their index is the lock byte's offset from the base). */
export const enum BlkPerm {
  CONSISTENT_READ = 0x1,
  WRITE = 0x2,
  WRITE_UNCHANGED = 0x4,
  RESIZE = 0x8,
  ALL = 0xf,
}
const PERM_NAMES = ['consistent read', 'write', 'write unchanged', 'resize'];
const LOCK_PERM_BASE = 100;
const LOCK_SHARED_BASE = 200;

const SETLK = 0, GETLK = 1;
const RDLCK = 0, WRLCK = 1, UNLCK = 2;

interface LockSys { ofdLock(fd: number, cmd: number, type: number, start: number, len: number): number }

function lockSys(): LockSys | null {
  const s = loadUserSys() as (Partial<LockSys> | null);
  return s && typeof s.ofdLock === 'function' ? s as LockSys : null;
}

export type LockingMode = 'on' | 'off' | 'auto';

export function parseLocking(v: string | undefined): LockingMode {
  if (v === undefined) return 'auto';
  if (v === 'on' || v === 'off' || v === 'auto') return v;
  throw new QemuError(`invalid parameter value: ${v}`); // QEMU's wording for locking=
}

/**
 * The permissions the file node takes and shares, as QEMU's permission graph ends up for it:
 * the user's own (a guest disk shares reads, unchanged writes and resizes; qemu-img shares
 * all), narrowed by a format with metadata over the file (qcow2, luks: writes and resizes are
 * never shared, and a writer also takes resize). force-share (qemu-img -U) shares all.
 */
export function filePerms(flags: { readOnly: boolean; forceShare: boolean; consumerShared?: number; fileRole?: 'filtered' | 'metadata' }): { perm: number; shared: number } {
  let perm = BlkPerm.CONSISTENT_READ | (flags.readOnly ? 0 : BlkPerm.WRITE);
  let shared = flags.consumerShared ?? BlkPerm.ALL;
  if (flags.fileRole === 'metadata') {
    if (!flags.readOnly) perm |= BlkPerm.RESIZE;
    shared &= ~(BlkPerm.WRITE | BlkPerm.RESIZE);
  }
  if (flags.forceShare && flags.readOnly) shared = BlkPerm.ALL;
  return { perm, shared };
}

/** What a guest disk (virtio-blk, pflash ...) shares: reads, unchanged writes, resizes. */
export const DEVICE_SHARED = BlkPerm.CONSISTENT_READ | BlkPerm.WRITE_UNCHANGED | BlkPerm.RESIZE;

let warnedNoAddon = false;

/**
 * Take the lock bytes for (perm, shared) on `fd` and check nobody conflicts; throws QEMU's
 * error (the bytes are released again) when another process holds the image. Returns whether
 * locks were taken. Without the addon, `locking=on` warns (once) that nothing is locked.
 */
export function lockImage(fd: number, filename: string, perm: number, shared: number, mode: LockingMode, warn: (m: string) => void): boolean {
  if (mode === 'off') return false;
  const sys = lockSys();
  if (!sys) {
    if (!warnedNoAddon) {
      warnedNoAddon = true;
      warn('image locking is not available: the native addon (native/tsqemu_sys.c) is not built; ' +
        `'${filename}' is not protected against other processes`);
    }
    return false;
  }
  // Probe: a file system without OFD lock support (EINVAL, ENOLCK) runs unlocked under auto.
  const probe = sys.ofdLock(fd, GETLK, WRLCK, LOCK_PERM_BASE, 1);
  if (probe < 0) {
    if (mode === 'on') warn(`Failed to lock byte ${LOCK_PERM_BASE}: ${errnoText(-probe)}`);
    return false;
  }
  applyLockBytes(sys, fd, perm, ~shared & BlkPerm.ALL);
  for (let i = 0; i < PERM_NAMES.length; i++) {
    if ((perm & (1 << i)) && sys.ofdLock(fd, GETLK, WRLCK, LOCK_SHARED_BASE + i, 1) === 1) {
      applyLockBytes(sys, fd, 0, 0);
      throw lockError(`Failed to get "${PERM_NAMES[i]}" lock`, filename);
    }
  }
  for (let i = 0; i < PERM_NAMES.length; i++) {
    if (!(shared & (1 << i)) && sys.ofdLock(fd, GETLK, WRLCK, LOCK_PERM_BASE + i, 1) === 1) {
      applyLockBytes(sys, fd, 0, 0);
      throw lockError(`Failed to get shared "${PERM_NAMES[i]}" lock`, filename);
    }
  }
  return true;
}

function applyLockBytes(sys: LockSys, fd: number, permBits: number, unsharedBits: number): void {
  for (let i = 0; i < PERM_NAMES.length; i++) {
    sys.ofdLock(fd, SETLK, permBits & (1 << i) ? RDLCK : UNLCK, LOCK_PERM_BASE + i, 1);
    sys.ofdLock(fd, SETLK, unsharedBits & (1 << i) ? RDLCK : UNLCK, LOCK_SHARED_BASE + i, 1);
  }
}

function lockError(what: string, filename: string): QemuError {
  return new QemuError(`${what}\nIs another process using the image [${filename}]?`);
}

function errnoText(errno: number): string {
  return errno === 22 ? 'Invalid argument' : errno === 37 ? 'No locks available' : `errno ${errno}`;
}
