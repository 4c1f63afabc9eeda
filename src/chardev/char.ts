// Character devices (QEMU's Chardev + CharBackend): the host end of a UART or console.
// A frontend (device) registers how much it can take and a receive callback; the backend
// (stdio, file, null, mux) delivers host input and takes guest output.

/** QEMU's QEMUChrEvent we deliver: a client connected to / left a socket chardev. */
export type ChrEvent = 'opened' | 'closed';

export interface CharFrontend {
  /** Bytes the device can accept now (0 = hold input until it can). */
  canReceive(): number;
  receive(data: Uint8Array): void;
  /** Backend state changes (qemu_chr_fe_set_handlers' fd_event); optional. */
  event?(ev: ChrEvent): void;
}

export interface Chardev {
  readonly id: string;
  /** What query-chardev / info chardev show ("stdio", "pty:/dev/pts/3"); a socket describes its state. */
  readonly filename?: string;
  write(data: Uint8Array): void;
  /** Attach the device that reads host input (one frontend per chardev; mux adds more). */
  attach(fe: CharFrontend): void;
  /** Re-offer held input after the frontend's canReceive() grew (qemu_chr_fe_accept_input). */
  acceptInput(): void;
  close(): void;
  /** qemu_chr_fe_set_open: the device end's open state, when the device says (query-chardev's
   * frontend-open; a virtserialport follows its guest end). */
  frontendOpen?: boolean;
  /** A descriptor the peer passed with SCM_RIGHTS, now the caller's (qemu_chr_fe_get_msgfd); -1 if none. */
  getMsgFd?(): number;
}
