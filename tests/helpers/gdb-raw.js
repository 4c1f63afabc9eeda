// A raw GDB remote-protocol client for the gdbstub tests: send a packet, collect replies.
import { connect } from 'node:net';

export class RawGdb {
  constructor(sock) {
    this.sock = sock; this.data = ''; this.waiters = [];
    sock.on('data', (d) => { this.data += d.toString('latin1'); this.wake(); });
    sock.on('error', () => {});
  }
  static open(port) {
    return new Promise((resolve, reject) => {
      const s = connect(port, '127.0.0.1', () => { s.setNoDelay(true); resolve(new RawGdb(s)); });
      s.on('error', reject);
    });
  }
  wake() { for (const w of this.waiters.splice(0)) w(); }
  /** Send `body` framed (a latin1 string: binary data passes as is); `sum` overrides the checksum. */
  send(body, sum) {
    let s = 0;
    for (const c of Buffer.from(body, 'latin1')) s = (s + c) & 0xff;
    this.sock.write(Buffer.from(`$${body}#${(sum ?? s).toString(16).padStart(2, '0')}`, 'latin1'));
  }
  /** The next packet's body (acks skipped). */
  async reply(ms = 20_000) {
    const end = Date.now() + ms;
    for (;;) {
      const m = /\$([^#]*)#[0-9a-f]{2}/.exec(this.data);
      if (m) { this.data = this.data.slice(m.index + m[0].length); this.sock.write('+'); return m[1]; }
      if (Date.now() > end) throw new Error(`no reply; have ${JSON.stringify(this.data.slice(-200))}`);
      await new Promise((r) => { this.waiters.push(r); setTimeout(r, 100); });
    }
  }
  async ask(body) { this.send(body); return this.reply(); }
  close() { this.sock.destroy(); }
}
