// guestfwd=: guest connections to a virtual address:port (10.0.2.4 by default) that reach a host
// program or a host socket instead of the network (libslirp's exec list, QEMU's slirp_guestfwd).
//  - cmd:COMMAND: every guest connection starts COMMAND (split like g_shell_parse_argv, no shell,
//    searched in PATH) with its stdin, stdout and stderr on the connection.
//  - a chardev (tcp:HOST:PORT, unix:PATH): opened once at startup (QEMU fails when it cannot
//    connect); the guest's bytes go to it, and its bytes go to the newest open guest connection
//    (held back, the chardev paused, while there is none), as QEMU's guestfwd_read does.
import type { HostStream, HostStreamEvents, NetHost, StreamAddress } from '../net-host.js';

export interface GuestFwd {
  rule: string;
  addr: number;
  port: number;
  cmd?: string;
  chardev?: StreamAddress;
  /** The chardev's name (guestfwd.tcp.PORT), for messages. */
  name?: string;
}

/** g_shell_parse_argv's rules, enough for command lines: blanks split, quotes and backslashes. */
export function shellSplit(cmd: string): string[] | undefined {
  const out: string[] = [];
  let cur = '';
  let have = false;
  for (let i = 0; i < cmd.length; i++) {
    const c = cmd[i];
    if (c === ' ' || c === '\t' || c === '\n') {
      if (have) out.push(cur);
      cur = ''; have = false;
    } else if (c === "'") {
      const e = cmd.indexOf("'", i + 1);
      if (e < 0) return undefined;
      cur += cmd.slice(i + 1, e); have = true; i = e;
    } else if (c === '"') {
      let j = i + 1;
      for (; j < cmd.length && cmd[j] !== '"'; j++) {
        if (cmd[j] === '\\' && j + 1 < cmd.length && '"\\$`\n'.includes(cmd[j + 1])) j++;
        cur += cmd[j];
      }
      if (j >= cmd.length) return undefined;
      have = true; i = j;
    } else if (c === '\\' && i + 1 < cmd.length) {
      if (cmd[i + 1] !== '\n') cur += cmd[i + 1];
      have = true; i++;
    } else if (c === '#' && !have) {
      break; // a comment
    } else {
      cur += c; have = true;
    }
  }
  if (have) out.push(cur);
  return out.length > 0 ? out : undefined;
}

/** One chardev shared by the guest connections of its rule. */
export class GuestFwdChardev {
  private stream?: HostStream;
  private readonly users: ChardevUser[] = [];
  private held: Uint8Array[] = [];
  private closed = false;

  constructor(readonly fwd: GuestFwd) {}

  /** Connect at startup; rejects with QEMU's message when the chardev cannot be opened. */
  open(host: NetHost): Promise<void> {
    return new Promise((resolve, reject) => {
      const a = this.fwd.chardev as StreamAddress;
      const where = a.type === 'inet' ? `${a.host}:${a.port}` : a.path;
      let up = false;
      this.stream = host.connect(a, {
        onConnect: () => { up = true; resolve(); },
        onData: (d) => this.fromChardev(d),
        onEnd: () => this.hangup(),
        onError: (m) => { if (!up) reject(new Error(`Failed to connect to '${where}': ${m.replace(/^connect ECONNREFUSED .*/, 'Connection refused').replace(/^connect ENOENT .*/, 'No such file or directory')}\nCould not open guest forwarding device '${this.fwd.name}'`)); else this.hangup(); },
        onClose: () => this.hangup(),
        onDrain: () => { for (const u of this.users) u.events.onDrain(); },
      });
    });
  }

  /** A stream for one guest connection. */
  attach(): HostStream {
    // An earlier connection the guest half-closed gets our FIN now: the chardev's bytes go to the newest.
    for (const old of this.users.filter((o) => o.halfClosed)) old.finish();
    const u = new ChardevUser(this);
    this.users.push(u);
    queueMicrotask(() => {
      u.events.onConnect?.();
      if (this.closed) { u.events.onEnd(); return; }
      const held = this.held;
      this.held = [];
      for (const d of held) u.events.onData(d);
      this.stream?.resume();
    });
    return u;
  }

  detach(u: ChardevUser): void {
    const i = this.users.indexOf(u);
    if (i >= 0) this.users.splice(i, 1);
  }

  write(d: Uint8Array): boolean { return this.stream?.write(d) ?? true; }
  get pending(): number { return this.stream?.pending ?? 0; }

  private fromChardev(d: Uint8Array): void {
    const u = this.users[this.users.length - 1];
    if (u) { u.events.onData(d); return; }
    this.held.push(d.slice());
    this.stream?.pause();
  }

  private hangup(): void {
    if (this.closed) return;
    this.closed = true;
    for (const u of [...this.users]) u.events.onEnd();
  }

  pause(): void { this.stream?.pause(); }
  resume(): void { this.stream?.resume(); }

  close(): void {
    this.closed = true;
    this.stream?.destroy();
  }
}

/** A guest connection's view of the shared chardev. Its FIN does not close the chardev (other
 * connections may follow, as in QEMU) nor our side: the chardev's replies still reach the guest
 * (QEMU leaves the connection half-open) until the chardev hangs up or the next connection comes. */
class ChardevUser implements HostStream {
  events: HostStreamEvents = { onData() {}, onEnd() {}, onError() {}, onClose() {}, onDrain() {} };
  private done = false;
  constructor(private readonly c: GuestFwdChardev) {}
  write(data: Uint8Array): boolean { return this.done ? true : this.c.write(data); }
  get pending(): number { return this.c.pending; }
  halfClosed = false;
  end(): void {
    if (this.done) return;
    this.done = true;
    this.halfClosed = true;
  }
  /** Our FIN to the guest. */
  finish(): void {
    this.halfClosed = false;
    this.c.detach(this);
    queueMicrotask(() => this.events.onEnd());
  }
  destroy(): void { this.done = true; this.halfClosed = false; this.c.detach(this); }
  pause(): void { this.c.pause(); }
  resume(): void { this.c.resume(); }
  get remoteAddress(): string { return ''; }
  get remotePort(): number { return 0; }
}
