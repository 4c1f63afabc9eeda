// QEMU's fd sets (monitor/fds.c): descriptors a management tool hands over (-add-fd at start-up,
// QMP add-fd with SCM_RIGHTS), grouped by set id; a file name /dev/fdset/N opens one of them
// whose access mode fits (O_RDONLY for a read-only open, O_RDWR for read-write) as QEMU's
// qemu_open does, so libvirt can pass images the emulator could not open by name.
import * as fs from 'node:fs';
import { loadUserSys } from './user-sys.js';

export interface FdsetFd { fd: number; opaque?: string }
const F_GETFL = 3;
const O_ACCMODE = 3;

const sets = new Map<number, FdsetFd[]>();

export function fdsetAdd(set: number, fd: number, opaque?: string): void {
  const list = sets.get(set) ?? [];
  list.push(opaque === undefined ? { fd } : { fd, opaque });
  sets.set(set, list);
}

/** The set id QMP add-fd without fdset-id takes: the lowest not in use (as QEMU's). */
export function fdsetNextId(): number {
  let id = 0;
  while (sets.has(id)) id++;
  return id;
}

export function fdsetHas(set: number): boolean {
  return sets.has(set);
}

/** Sets an image was opened through: QEMU keeps their removed fds (listed) while dups are open. */
const inUse = new Set<number>();

/**
 * remove-fd: one fd of a set, or the whole set; false when there is no such set/fd. A set an
 * image was opened through keeps its descriptors until the emulator ends (QEMU closes removed fds
 * only once the set has no dup in use; we do not track the image's close).
 */
export function fdsetRemove(set: number, fd?: number): boolean {
  const list = sets.get(set);
  if (!list) return false;
  if (inUse.has(set)) return fd === undefined || list.some((f) => f.fd === fd);
  const keep = fd === undefined ? [] : list.filter((f) => f.fd !== fd);
  if (keep.length === list.length) return false;
  for (const f of list) if (!keep.includes(f)) { try { fs.closeSync(f.fd); } catch { /* gone */ } }
  if (keep.length === 0) sets.delete(set); else sets.set(set, keep);
  return true;
}

export function fdsetQuery(): { fds: FdsetFd[]; 'fdset-id': number }[] {
  return [...sets].sort((a, b) => a[0] - b[0]).map(([id, fds]) => ({ fds: fds.map((f) => ({ ...f })), 'fdset-id': id }));
}

/**
 * /dev/fdset/N: a path to open instead (the kernel's /proc/self/fd/FD view of the set's matching
 * descriptor), or an errno code: ENOENT (no such set), EACCES (no fd of the right access mode).
 * Other paths come back unchanged.
 */
export function fdsetResolve(path: string, readOnly: boolean, accmode = readOnly ? 0 : 2): string | { code: string } {
  const m = /^\/dev\/fdset\/([0-9]+)$/.exec(path);
  if (!m) return path;
  const list = sets.get(Number(m[1]));
  if (!list) return { code: 'ENOENT' };
  const sys = loadUserSys();
  for (const f of list) {
    const fl = sys ? sys.fcntl(f.fd, F_GETFL, 0) : -1;
    if (fl < 0) continue;
    const mode = fl & O_ACCMODE;
    if (mode === accmode) {
      inUse.add(Number(m[1]));
      return `/proc/self/fd/${f.fd}`;
    }
  }
  return { code: 'EACCES' };
}

/**
 * -add-fd fd=N,set=S[,opaque=]: the inherited descriptor is checked, duplicated close-on-exec
 * into the set and the original closed (as QEMU's parse_add_fd); false when fd is not open.
 */
export function fdsetAddInherited(set: number, fd: number, opaque?: string): boolean {
  const sys = loadUserSys();
  if (!sys) {
    try { fs.fstatSync(fd); } catch { return false; }
    fdsetAdd(set, fd, opaque);
    return true;
  }
  if (sys.fcntl(fd, F_GETFL, 0) < 0) return false;
  const dup = sys.dup(fd);
  if (dup < 0) return false;
  try { fs.closeSync(fd); } catch { /* ours now either way */ }
  fdsetAdd(set, dup, opaque);
  return true;
}
