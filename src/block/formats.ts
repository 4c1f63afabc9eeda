// The format drivers the core provides, registered by the host at start-up.
import { bdrvRegister } from './block.js';
import { bdrvRaw } from './raw-format.js';

export function registerCoreFormats(): void {
  bdrvRegister(bdrvRaw);
}
