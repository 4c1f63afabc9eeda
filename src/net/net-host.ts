// What the network back ends need from the host, injected (src/host/node/net-host.ts on Node; a
// WebSocket relay in a browser later): TCP streams and listeners, UDP sockets, the resolver's
// address, pcap output. Addresses are dotted IPv4 strings or, for streams, unix socket paths.

export interface HostStreamEvents {
  /** The outgoing connection is up. */
  onConnect?(): void;
  onData(data: Uint8Array): void;
  /** The peer half-closed (FIN). */
  onEnd(): void;
  /** Error or reset: the stream is gone (no onClose follows). */
  onError(message: string): void;
  /** Fully closed. */
  onClose(): void;
  /** The host send buffer emptied after write() returned false. */
  onDrain(): void;
}

export interface HostStream {
  /** Queue bytes; false when the host buffer is above its mark (wait for onDrain). */
  write(data: Uint8Array): boolean;
  /** Bytes written but not yet taken by the kernel. */
  readonly pending: number;
  /** Send FIN after what is queued. */
  end(): void;
  /** Abort (RST where the host can). */
  destroy(): void;
  /** Stop / restart onData (back-pressure from the guest). */
  pause(): void;
  resume(): void;
  events: HostStreamEvents;
  readonly remoteAddress: string;
  readonly remotePort: number;
}

export interface HostListener {
  readonly address: string;
  readonly port: number;
  close(): void;
}

export interface HostDatagramSocket {
  send(data: Uint8Array, addr: string, port: number): void;
  close(): void;
  readonly port: number;
}

export type StreamAddress = { type: 'inet'; host: string; port: number } | { type: 'unix'; path: string };

export interface NetHost {
  /** Connect a stream; events arrive on `events` (onConnect first, or onError). */
  connect(addr: StreamAddress, events: HostStreamEvents): HostStream;
  /** Listen; every accepted stream is passed to onAccept, which sets its events. Throws a
   * message (QEMU's wording where it has one) when the address cannot be bound. */
  listen(addr: StreamAddress, onAccept: (s: HostStream) => void): Promise<HostListener>;
  /** A UDP socket bound to host:port (port 0: any). */
  udpBind(host: string, port: number, onMessage: (data: Uint8Array, addr: string, port: number) => void,
    opts?: { multicast?: string; reuse?: boolean }): Promise<HostDatagramSocket>;
  /** The resolver the user-mode DNS relay (10.0.2.3) forwards to. */
  dnsResolver(): { host: string; port: number } | undefined;
  /** The host's IPv6 resolver, if it has one (the relay at fec0::3 prefers it; the RA then
   * announces RDNSS, as libslirp does only when the host has an IPv6 nameserver). */
  dns6Resolver?(): { host: string; port: number } | undefined;
  /** Append to a file (filter-dump); returns a writer. */
  openOutputFile(path: string): { write(data: Uint8Array): void; close(): void };
  /** Wall time in ms (timestamps in pcap records). */
  now(): number;
  /** Start a program (guestfwd cmd:) with stdin, stdout and stderr on the returned stream;
   * stdout and stderr arrive as onData, onEnd when both closed. */
  exec(argv: string[], events: HostStreamEvents): HostStream;
  /** An ICMP echo socket to `addr` (libslirp's icmp_send: an unprivileged ICMP datagram socket,
   * else a raw one); replies come as ICMP messages without the IP header (`raw`: the socket
   * sees every ICMP message of the host, the caller matches). Undefined when the host has none. */
  icmpSocket?(onMessage: (icmp: Uint8Array, from: string) => void, onError: (errno: number) => void):
    { send(icmp: Uint8Array, addr: string): number; close(): void; readonly raw: boolean } | undefined;
  /** A file to read (the TFTP server); undefined when it cannot be opened as a regular file. */
  openFile(path: string): { readonly size: number; read(pos: number, len: number): Uint8Array; close(): void } | undefined;
}
