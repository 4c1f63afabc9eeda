// A QMP test client: connects to a unix socket, reads CRLF-framed messages, sends commands and
// collects events. Used against real qemu-system-riscv64 and against ours.
import net from 'node:net';
import { spawn } from 'node:child_process';
import fs from 'node:fs';

export class QmpClient {
  constructor(sock) {
    this.sock = sock;
    this.buf = '';
    this.msgs = [];
    this.events = [];
    this.raw = [];
    this.waiters = [];
    sock.setEncoding('utf8');
    sock.on('data', (d) => {
      this.buf += d;
      let i;
      while ((i = this.buf.indexOf('\r\n')) >= 0) {
        const line = this.buf.slice(0, i);
        this.buf = this.buf.slice(i + 2);
        this.raw.push(line);
        const m = JSON.parse(line);
        if (m.event) this.events.push({ ...m, at: Date.now() }); else this.msgs.push(m);
        this.wake();
      }
    });
    this.closed = new Promise((r) => sock.on('close', r));
  }

  static connect(path, timeoutMs = 30_000) {
    const t0 = Date.now();
    return new Promise((resolve, reject) => {
      const attempt = () => {
        const s = net.connect(path);
        const retry = (e) => {
          if (Date.now() - t0 > timeoutMs) reject(e);
          else setTimeout(attempt, 50);
        };
        s.once('error', retry);
        // Connected: no more retries. (Left attached, an error on the live connection, as when
        // the test SIGKILLs the emulator, started reconnecting to the dead socket every 50 ms for
        // the rest of the 30 s, and kept the test file's process alive that long.)
        s.once('connect', () => { s.off('error', retry); s.on('error', () => {}); resolve(new QmpClient(s)); });
      };
      attempt();
    });
  }

  wake() {
    this.waiters = this.waiters.filter((w) => {
      if (!w.pred()) return true;
      clearTimeout(w.t);
      w.resolve();
      return false;
    });
  }

  waitFor(pred, what, timeoutMs = 30_000) {
    if (pred()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const w = { pred, resolve };
      w.t = setTimeout(() => reject(new Error(`timeout waiting for ${what}; got ${JSON.stringify(this.raw.slice(-5))}`)), timeoutMs);
      this.waiters.push(w);
    });
  }

  async greeting() {
    await this.waitFor(() => this.msgs.length > 0, 'greeting');
    return this.msgs.shift();
  }

  /** Send raw text; resolves with the next non-event message. */
  async sendRaw(text) {
    this.sock.write(text);
    await this.waitFor(() => this.msgs.length > 0, `reply to ${text.slice(0, 80)}`);
    return this.msgs.shift();
  }

  cmd(execute, args, id) {
    const o = { execute };
    if (args) o.arguments = args;
    if (id !== undefined) o.id = id;
    return this.sendRaw(`${JSON.stringify(o)}\n`);
  }

  async event(name, timeoutMs = 30_000) {
    await this.waitFor(() => this.events.some((e) => e.event === name), `event ${name}`, timeoutMs);
    const i = this.events.findIndex((e) => e.event === name);
    return this.events.splice(i, 1)[0];
  }

  close() { this.sock.destroy(); }
}

/** Start an emulator binary with args; returns the child and its collected stderr. */
export function startEmu(bin, args) {
  const p = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const r = { p, out: '', err: '' };
  p.stdout.on('data', (d) => { r.out += d; });
  p.stderr.on('data', (d) => { r.err += d; });
  r.exit = new Promise((res) => p.on('close', (code, sig) => res({ code, sig })));
  return r;
}

/**
 * The structure of a JSON value: objects keep their keys (sorted), arrays the union shape of
 * their elements, scalars their type. Two replies "have the same shape" when these are equal.
 */
export function shape(v) {
  if (v === null) return 'null';
  if (Array.isArray(v)) {
    if (v.length === 0) return [];
    return [shape(v[0])];
  }
  if (typeof v === 'object') return Object.fromEntries(Object.keys(v).sort().map((k) => [k, shape(v[k])]));
  return typeof v;
}

export function rmrf(p) {
  try { fs.rmSync(p, { recursive: true, force: true }); } catch { /* gone */ }
}
