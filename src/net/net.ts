// QEMU's net/net.c in miniature: NetClientState (one end of a link: a NIC or a back end), the
// link to its peer, the incoming queue that gives flow control, and net filters.
//
// A frame goes sender.send(frame) -> peer.receive(frame). A receiver that cannot take frames now
// (canReceive() false: a NIC without rx buffers, a socket whose host buffer is full) gets them
// queued, up to QUEUE_MAX_BYTES; send() then returns false and the sender should stop until its
// onSendCompleted() runs (QEMU's qemu_send_packet_async + sent_cb). The receiver calls
// flushQueuedPackets() when it can take frames again. Beyond the bound frames are dropped, as a
// real wire would: memory stays bounded whatever a guest or a peer does.

/** Bytes queued for one receiver before frames are dropped. */
const QUEUE_MAX_BYTES = 1024 * 1024;
/** Largest frame any client accepts: a 64 KiB TSO frame plus headers. */
export const NET_BUFSIZE = 68 * 1024;

export const enum NetFilterDirection { TX = 'tx', RX = 'rx' }

/** A filter sees every frame its client sends (tx) and receives (rx): filter-dump. */
export interface NetFilter {
  readonly id: string;
  readonly type: string;
  frame(frame: Uint8Array, dir: NetFilterDirection): void;
  info(): string;
  close(): void;
}

export abstract class NetClientState {
  peer: NetClientState | undefined;
  linkDown = false;
  /** QEMU's queue_index (always 0: no multiqueue yet). */
  readonly queueIndex = 0;
  readonly filters: NetFilter[] = [];
  /** Frames waiting for canReceive() (our incoming queue). */
  private readonly queue: Uint8Array[] = [];
  private queuedBytes = 0;
  /** Senders whose frames sit in our queue: told when it empties. */
  private readonly waitingSenders = new Set<NetClientState>();
  /** Frames dropped because the queue was full (info network, tests). */
  dropped = 0;
  rxFrames = 0;
  txFrames = 0;

  /** QEMU's NetClientDriver name: nic, user, socket, stream, dgram, hubport. */
  abstract readonly type: string;

  constructor(readonly name: string) {}

  /** Take one frame; false when it could not be taken after all (it is queued). */
  abstract receive(frame: Uint8Array): boolean;

  canReceive(): boolean {
    return true;
  }

  /** QEMU's info_str: what `info network` prints after the type. */
  abstract infoStr(): string;

  /** A back end that takes TCP super-frames with partial checksums (the user-mode stack). */
  acceptsOffloads(): boolean {
    return false;
  }

  /** A NIC whose guest takes TCP super-frames (GUEST_TSO4 negotiated). */
  guestAcceptsTso(): boolean {
    return false;
  }

  /** Our queued frames were delivered: the sender may go on (a NIC resumes its tx queue). */
  onSendCompleted(): void {}

  /** set_link changed our link or our peer's (QEMU's link_status_changed). */
  linkStatusChanged(): void {}

  cleanup(): void {}

  /** Send a frame to our peer. False when it was queued (stop until onSendCompleted) or dropped. */
  send(frame: Uint8Array): boolean {
    const peer = this.peer;
    if (!peer || this.linkDown || peer.linkDown) return true; // nowhere to go: dropped, as QEMU does
    this.txFrames++;
    for (const f of this.filters) f.frame(frame, NetFilterDirection.TX);
    return peer.deliver(frame, this);
  }

  /** Called on the receiver with a frame from `sender`. */
  deliver(frame: Uint8Array, sender: NetClientState): boolean {
    if (this.queue.length === 0 && this.canReceive()) {
      this.rxFrames++;
      for (const f of this.filters) f.frame(frame, NetFilterDirection.RX);
      if (this.receive(frame)) return true;
    }
    if (this.queuedBytes + frame.length > QUEUE_MAX_BYTES) {
      this.dropped++;
      this.waitingSenders.add(sender);
      return false;
    }
    this.queue.push(frame);
    this.queuedBytes += frame.length;
    this.waitingSenders.add(sender);
    return false;
  }

  /** qemu_flush_queued_packets: the receiver can take frames again. */
  flushQueuedPackets(): void {
    while (this.queue.length > 0 && this.canReceive()) {
      const f = this.queue[0];
      this.rxFrames++;
      for (const flt of this.filters) flt.frame(f, NetFilterDirection.RX);
      if (!this.receive(f)) break;
      this.queue.shift();
      this.queuedBytes -= f.length;
    }
    if (this.queue.length === 0 && this.waitingSenders.size > 0) {
      const senders = [...this.waitingSenders];
      this.waitingSenders.clear();
      for (const s of senders) s.onSendCompleted();
    }
  }

  /** Drop what is queued (reset, link down). */
  purgeQueue(): void {
    this.queue.length = 0;
    this.queuedBytes = 0;
  }

  get queueLength(): number {
    return this.queue.length;
  }
}

/** Join two clients (a NIC and its -netdev). */
export function connectPeers(a: NetClientState, b: NetClientState): void {
  a.peer = b;
  b.peer = a;
}

/** MAC address helpers: QEMU's default 52:54:00:12:34:56, plus the NIC index. */
export function defaultMac(index: number): Uint8Array {
  return new Uint8Array([0x52, 0x54, 0x00, 0x12, 0x34, (0x56 + index) & 0xff]);
}

export function parseMac(text: string): Uint8Array | undefined {
  const m = /^([0-9a-f]{1,2})[:-]([0-9a-f]{1,2})[:-]([0-9a-f]{1,2})[:-]([0-9a-f]{1,2})[:-]([0-9a-f]{1,2})[:-]([0-9a-f]{1,2})$/i.exec(text);
  if (!m) return undefined;
  return new Uint8Array(m.slice(1).map((h) => parseInt(h, 16)));
}

export function macToString(mac: Uint8Array): string {
  return [...mac].map((b) => b.toString(16).padStart(2, '0')).join(':');
}
