// The format drivers the core provides, registered by the host at start-up.
import { bdrvRegister } from './block.js';
import { bdrvRaw } from './raw-format.js';
import { bdrvQcow2 } from './qcow2.js';
import { bdrvCrypto } from './crypto.js';
import { bdrvNullAio, bdrvNullCo } from './null.js';
import { setCryptoProvider } from './block_int.js';
import { qcryptoBlockProvider } from '../crypto/block.js';

export function registerCoreFormats(): void {
  bdrvRegister(bdrvRaw);
  bdrvRegister(bdrvQcow2);
  bdrvRegister(bdrvCrypto);
  bdrvRegister(bdrvNullCo);
  bdrvRegister(bdrvNullAio);
  setCryptoProvider(qcryptoBlockProvider);
}
