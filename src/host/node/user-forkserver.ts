// The fork server of tsqemu-riscv64: a guest fork is a new host emulator process, and starting
// Node, loading the emulator's modules and its first worker takes most of a second. After its
// first fork a process keeps one spare emulator started ahead (`--fork-server`, a child of this
// process, like a fresh one) that has done all that and waits on its IPC channel; the next fork
// hands it the process image, the descriptors (SCM_RIGHTS over a socketpair) and the cwd, and it
// resumes the image as the fresh child would. The ids and groups at the fork travel with it (a
// child started by execve would have lost the saved ids; a spare may predate a setresuid), and
// are taken on after the child has its cwd. Other host state a child inherits at its start
// (process group, session, limits) is compared with the state at the fork: a spare that started
// under other state is dropped and a fresh child started instead.
// TSQEMU_FORK_SERVER=0: every fork starts a fresh emulator.
import * as fs from 'node:fs';
import { holdRemovedCwd } from './removed-cwd.js';
import type { ChildProcess } from 'node:child_process';
import { childProcess } from './lazy-builtin.js';
import type { HostSys } from '../../linux-user/host.js';
import { loadUserSys } from './user-sys.js';

const AF_UNIX = 1, SOCK_SEQPACKET = 5;
/** Descriptors per SCM_RIGHTS message (tsqemu_proc.c MAX_XFER_FDS). */
const BATCH = 250;
/** The spare's end of the socketpair (after 0-2 and the IPC channel). */
const SPARE_SOCK_FD = 4;

export interface ForkJob {
  op: 'job';
  imagePath: string;
  /** Guest fd numbers, in the order their host fds were sent. */
  guest: number[];
  cwd: string;
  vfork: boolean;
  /** forkIds() of the parent at the fork. */
  ids: string;
  /** The shared objects' fds in the image (shared-map.ts): theirs follow the guest's. */
  maps: number[];
  /** The forking thread's attributes (syscall-cred.ts threadAttrsOf), "a,b,...". */
  attrs: string;
}

/** The real, effective and saved uids and gids and the groups: "r,e,s;r,e,s;g,g,...". */
export function forkIds(sys: HostSys | null): string {
  if (!sys?.cred) return '';
  const ids = new Int32Array(3), gids = new Int32Array(3);
  if (sys.cred(2, 0, 0, 0, ids) < 0 || sys.cred(3, 0, 0, 0, gids) < 0) return '';
  const groups = new Int32Array(65536); // NGROUPS_MAX (Node's getgroups adds the egid)
  const n = sys.cred(5, groups.length, 0, 0, groups);
  if (n < 0) return '';
  const list = (a: Int32Array) => [...a].map((v) => v >>> 0).join();
  return [list(ids), list(gids), list(groups.subarray(0, n))].join(';');
}

/** Take on forkIds() of the parent: groups and gids first (they need the privileges the uids
 * may give up); with a real uid 0 the effective one can become 0 again for that. */
export function adoptIds(sys: HostSys | null, ids: string): void {
  const cred = sys?.cred;
  if (!cred || !ids || ids === forkIds(sys)) return;
  const [u, g, groups] = ids.split(';').map((part) => (part ? part.split(',').map(Number) : []));
  if (u.length !== 3 || g.length !== 3) return;
  cred(0, -1, 0, -1, null);
  cred(4, groups.length, 0, 0, Int32Array.from(groups));
  cred(1, g[0], g[1], g[2], null);
  cred(0, u[0], u[1], u[2], null);
}
/** What a child inherits from this process at its start and may have changed since. The ids
 * too: a spare started while the process ran as another euid could not read the image. */
function hostFingerprint(sys: HostSys): string {
  const lim = new BigUint64Array(2), lims: string[] = [];
  for (let r = 0; r < 16; r++) lims.push(sys.prlimit(r, null, lim) < 0 ? '-' : `${lim[0]}/${lim[1]}`);
  return [sys.procIds(0, 0, 0), sys.procIds(2, 0, 0), lims.join(), forkIds(sys)].join(' ');
}

interface Spare { child: ChildProcess; sock: number; fp: string }

/** The parent's side: one spare at a time. */
export class ForkServer {
  private spare: Spare | null = null;
  readonly enabled: boolean;

  constructor(private readonly sys: HostSys | null, private readonly args: string[]) {
    this.enabled = process.env.TSQEMU_FORK_SERVER !== '0' && !!sys?.sendFds && !!sys.recvFds && !!sys.dup2 && !!sys.fdFlags;
  }

  /** Start a spare unless one is waiting. */
  prestart(): void {
    const sys = this.sys;
    if (!this.enabled || !sys || this.spare) return;
    const pair = new Int32Array(2);
    if (sys.socketpair(AF_UNIX, SOCK_SEQPACKET, 0, pair) < 0) return;
    let child: ChildProcess;
    try {
      child = childProcess().spawn(process.execPath, [...process.execArgv, ...this.args, '--fork-server'],
        { stdio: ['ignore', 'ignore', process.env.TSQEMU_FORK_SERVER === 'debug' ? 'inherit' : 'ignore', 'ipc', pair[1]] });
    } catch {
      fs.closeSync(pair[0]);
      fs.closeSync(pair[1]);
      return;
    }
    fs.closeSync(pair[1]);
    if (child.pid === undefined) { fs.closeSync(pair[0]); child.on('error', () => {}); return; }
    const spare: Spare = { child, sock: pair[0], fp: hostFingerprint(sys) };
    this.spare = spare;
    // Until taken it is nobody's child: it must not keep us alive, and its end is only ours.
    child.unref();
    (child as unknown as { channel?: { unref(): void } }).channel?.unref();
    const drop = () => { if (this.spare === spare) this.discard(); };
    child.once('exit', drop);
    child.once('error', drop);
  }

  /** Forget the spare (it exits when its channel closes). */
  discard(): void {
    const s = this.spare;
    if (!s) return;
    this.spare = null;
    try { fs.closeSync(s.sock); } catch { /* closed */ }
    if (s.child.connected) s.child.disconnect();
  }

  /** Hand a fork to the spare: the child process, or null (start a fresh one). A spare only
   * holds our IPC channel and its socket until then (no guest fd). */
  take(job: Omit<ForkJob, 'op' | 'guest'>, fds: number[], mapFds: number[]): ChildProcess | null {
    const s = this.spare, sys = this.sys;
    if (!s || !sys?.sendFds) return null;
    this.spare = null;
    s.child.removeAllListeners('exit');
    s.child.removeAllListeners('error');
    const ok = s.child.exitCode === null && s.child.signalCode === null && s.child.connected && hostFingerprint(sys) === s.fp;
    if (ok) {
      const guest: number[] = [], host: number[] = [];
      fds.forEach((h, g) => { if (h >= 0) { guest.push(g); host.push(h); } });
      if (mapFds.some((fd) => fd < 0)) { this.spare = s; this.discard(); return null; }
      host.push(...mapFds);
      let sent = true;
      for (let i = 0; i < host.length && sent; i += BATCH) sent = sys.sendFds(s.sock, Int32Array.from(host.slice(i, i + BATCH))) > 0;
      if (sent && (host.length > 0 || sys.sendFds(s.sock, new Int32Array(0)) > 0)) {
        fs.closeSync(s.sock);
        s.child.ref();
        (s.child as unknown as { channel?: { ref(): void } }).channel?.ref();
        s.child.send({ op: 'job', ...job, guest } satisfies ForkJob);
        return s.child;
      }
    }
    this.spare = s;
    this.discard();
    return null;
  }
}

/** The spare's side (cli `--fork-server`): drop descriptors inherited by accident, wait for
 * the job, put the guest's descriptors in place (0-2 at their numbers, the others wherever they
 * land: the child's fd table says where) and go to the cwd. `run` resumes the image. */
export function serveForkJob(sys: HostSys | null, run: (job: ForkJob, hostFds: Int32Array, mapFds: number[]) => void): void {
  // Host fds the parent had without close-on-exec came along: not ours to keep open (a pipe's
  // write end held here would keep its reader from seeing EOF).
  if (sys?.fdFlags) {
    for (const name of fs.readdirSync('/proc/self/fd')) {
      const fd = Number(name);
      if (fd > SPARE_SOCK_FD && sys.fdFlags(fd) === 0) { try { fs.closeSync(fd); } catch { /* the listing's own */ } }
    }
  }
  process.once('disconnect', () => process.exit(0));
  process.once('message', (job: ForkJob) => {
    if (!sys?.recvFds || !sys.dup2 || job?.op !== 'job') { process.stderr.write('fork server: no job\n'); process.exit(1); }
    const hostFds = new Int32Array(Math.max(3, ...job.guest.map((g) => g + 1))).fill(-1);
    const got: number[] = [];
    const buf = new Int32Array(BATCH);
    do {
      const n = sys.recvFds(SPARE_SOCK_FD, buf);
      if (n < 0) { process.stderr.write(`fork server: recvFds ${n}\n`); process.exit(1); }
      got.push(...buf.subarray(0, n));
    } while (got.length < job.guest.length + job.maps.length);
    fs.closeSync(SPARE_SOCK_FD);
    job.guest.forEach((g, i) => {
      if (g <= 2) { sys.dup2!(got[i], g); fs.closeSync(got[i]); hostFds[g] = g; } else hostFds[g] = got[i];
    });
    try { process.chdir(job.cwd); } catch { process.chdir('/'); }
    holdRemovedCwd();
    process.removeAllListeners('disconnect');
    // A fork's parent goes on at once; a vfork's waits for our exec (user-main.ts).
    // (Not inside the channel's own handler; the parent may have ended or let go of it meanwhile:
    // disconnect() on a closed channel is an uncaught ERR_IPC_DISCONNECTED.)
    if (!job.vfork) setImmediate(() => { if (process.connected) process.disconnect(); });
    else (process as unknown as { channel?: { unref(): void } }).channel?.unref();
    run(job, hostFds, got.slice(job.guest.length));
  });
}

/** A fresh child (`--resume`): TSQEMU_FORK_MAPS "parentFd:ourFd,..." names the shared objects
 * spawn() placed in our stdio; each becomes a close-on-exec descriptor of ours (a host program
 * the guest execs must not inherit it). */
export function forkMaps(spec: string | undefined): { parent: number[]; fds: number[] } {
  const sys = loadUserSys(), parent: number[] = [], fds: number[] = [];
  for (const item of (spec ?? '').split(',')) {
    const [p, at] = item.split(':').map(Number);
    if (!Number.isInteger(p) || !Number.isInteger(at)) continue;
    parent.push(p);
    if (at < 3 || !sys) { fds.push(-1); continue; }
    fds.push(sys.dup(at));
    try { fs.closeSync(at); } catch { /* not there */ }
  }
  return { parent, fds };
}
