// -serial file:PATH (QEMU's char-file): guest output appended to a host file; no input.
import { ChardevBase } from './char-base.js';

/** The host side of an output file (src/host/node opens it). */
export interface HostOutputFile {
  write(data: Uint8Array): void;
  close(): void;
}

export class FileChardev extends ChardevBase {
  readonly filename = 'file';
  constructor(id: string, private readonly out: HostOutputFile) {
    super(id);
  }
  write(data: Uint8Array): void {
    this.out.write(data);
  }
  override close(): void {
    this.out.close();
  }
}
