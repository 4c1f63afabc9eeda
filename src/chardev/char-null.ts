// -serial null / none: output is dropped, no input ever arrives.
import { ChardevBase } from './char-base.js';

export class NullChardev extends ChardevBase {
  readonly filename = 'null';
  write(): void {}
}
