// Where an eMMC's RPMB key and write counter persist: a 64-byte record in a small file beside
// the image (IMAGE.rpmb; QEMU 10.2 does not read it and forgets both at every restart):
//   [0,8) "TSQRPMB1" | [8,12) flags (bit 0: key programmed) | [12,16) write counter | [16,32) 0 | [32,64) key
// All integers big-endian, as in the RPMB frames. The record is replaced atomically on each change.
import { QemuError } from '../../qemu/error.js';
import type { RPMBState, RPMBStateStore } from './rpmb.js';

/** A small host file the core may read and replace whole (host/node/sidecar.ts). */
export interface SidecarFile {
  readonly path: string;
  read(): Uint8Array | null;
  write(data: Uint8Array): void;
}

const MAGIC = 'TSQRPMB1';
export const RPMB_STATE_BYTES = 64;

export function encodeRpmbState(s: RPMBState): Uint8Array {
  const b = new Uint8Array(RPMB_STATE_BYTES);
  b.set(new TextEncoder().encode(MAGIC), 0);
  const dv = new DataView(b.buffer);
  dv.setUint32(8, s.key ? 1 : 0);
  dv.setUint32(12, s.counter >>> 0);
  if (s.key) b.set(s.key.subarray(0, 32), 32);
  return b;
}

export function decodeRpmbState(b: Uint8Array, where: string): RPMBState {
  if (b.length !== RPMB_STATE_BYTES || new TextDecoder().decode(b.subarray(0, 8)) !== MAGIC) {
    throw new QemuError(`${where}: not an RPMB state file (expected ${RPMB_STATE_BYTES} bytes starting with ${MAGIC})`);
  }
  const dv = new DataView(b.buffer, b.byteOffset, b.length);
  const flags = dv.getUint32(8);
  if (flags & ~1) throw new QemuError(`${where}: unknown RPMB state flags 0x${flags.toString(16)}`);
  return { key: flags & 1 ? b.slice(32, 64) : null, counter: dv.getUint32(12) };
}

export function rpmbStateStore(f: SidecarFile): RPMBStateStore {
  return {
    load: () => {
      const b = f.read();
      return b ? decodeRpmbState(b, f.path) : null;
    },
    save: (s) => f.write(encodeRpmbState(s)),
  };
}
