// The SD bus between a host controller (SDHCI) and one card (QEMU's hw/sd/core.c, "sd-bus").
// Commands are synchronous (the card's state machine answers at once); data moves a block at a
// time and may wait for the drive, so the controller awaits readBlock/writeBlock and raises its
// transfer interrupts when they settle.

/** A command's outcome: the response bytes (4 for R1/R3/R6/R7, 16 for R2), none, or an error. */
export type SDResponse =
  | { kind: 'ok'; bytes: Uint8Array }
  | { kind: 'none' }
  /** Illegal in this state or unknown: the card does not answer (the host sees a timeout). */
  | { kind: 'illegal' };

export interface SDCardIf {
  readonly inserted: boolean;
  readonly readOnly: boolean;
  /** A command index and its argument. */
  doCommand(cmd: number, arg: number): SDResponse;
  /** The card has data to send (a read command was accepted). */
  dataReady(): boolean;
  /** The card expects data (a write command was accepted). */
  receiveReady(): boolean;
  /** The next `len` bytes of the current read transfer; null when the transfer ended or failed. */
  readBlock(len: number): Promise<Uint8Array | null>;
  /** Take `data` for the current write transfer; false when it was refused. */
  writeBlock(data: Uint8Array): Promise<boolean>;
  reset(): void;
}

export class SDBus {
  card: SDCardIf | undefined;
  constructor(readonly name: string) {}

  attach(card: SDCardIf): void {
    this.card = card;
  }

  get inserted(): boolean { return this.card?.inserted ?? false; }
  get readOnly(): boolean { return this.card?.readOnly ?? false; }
}

/** Set register fields, given as [most significant bit, width, value], in a big-endian register
 * (CID, CSD, SCR: bit 0 is the last byte's lowest bit). */
export function packBits(reg: Uint8Array, fields: ReadonlyArray<readonly [number, number, number]>): void {
  const top = reg.length * 8 - 1;
  for (const [msb, width, value] of fields) {
    for (let i = 0; i < width; i++) {
      const bit = msb - width + 1 + i;
      if (Math.floor(value / 2 ** i) % 2) reg[(top - bit) >> 3] |= 1 << (bit & 7);
    }
  }
}
