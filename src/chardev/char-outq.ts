// The output side shared by the fd-backed chardevs (pipe/pty/stdio and socket): guest bytes go
// straight to the fd while it takes them, the rest waits in a bounded queue until the fd is
// writable again; past the bound output is dropped, so a stuck reader never blocks the guest.

/** Bytes written; null when the fd is full; -1 when the peer went away. */
export type ChardevSend = (data: Uint8Array) => number | null;

/** Guest output held while the fd is full. */
const OUT_LIMIT = 1 << 20;

export class CharOutQueue {
  private out: Uint8Array[] = [];
  private outBytes = 0;

  get pending(): boolean {
    return this.out.length > 0;
  }

  /** Sends what the fd takes now and queues the rest; 'hangup' when the peer went away,
   * 'queued' when bytes wait for writability. */
  write(data: Uint8Array, send: ChardevSend): 'done' | 'queued' | 'hangup' {
    let done = 0;
    if (this.out.length === 0) {
      const n = send(data);
      if (n !== null && n < 0) return 'hangup';
      done = n ?? 0;
    }
    if (done >= data.length) return 'done';
    if (this.outBytes < OUT_LIMIT) {
      const rest = data.slice(done, done + Math.min(data.length - done, OUT_LIMIT - this.outBytes));
      this.out.push(rest);
      this.outBytes += rest.length;
    }
    return 'queued';
  }

  /** Writes queued bytes while the fd takes them; 'done' once empty, 'full' when the fd is full. */
  flush(send: ChardevSend): 'done' | 'full' | 'hangup' {
    while (this.out.length > 0) {
      const head = this.out[0];
      const n = send(head);
      if (n === null) return 'full';
      if (n < 0) return 'hangup';
      this.outBytes -= n;
      if (n === head.length) this.out.shift();
      else { this.out[0] = head.subarray(n); return 'full'; }
    }
    return 'done';
  }

  clear(): void {
    this.out = [];
    this.outBytes = 0;
  }
}
