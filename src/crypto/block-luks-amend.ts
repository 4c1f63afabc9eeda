// Keyslot management shared by LUKS1 and LUKS2 (QEMU's qcrypto_block_luks_amend_options):
// state=active adds a passphrase in a free (or given) slot, state=inactive erases a given slot
// or every slot a passphrase opens, never the last one without force.
import type { CryptoReadFunc, CryptoWriteFunc } from '../block/block_int.js';
import { QemuError } from '../qemu/error.js';
import { LuksAmendRequest, LuksVolume } from './block-luks-common.js';

function checkSlot(vol: LuksVolume, slot: number): void {
  if (!Number.isInteger(slot) || slot < 0 || slot >= vol.numSlots) {
    throw new QemuError(`Invalid keyslot ${slot} specified, must be between 0 and ${vol.numSlots - 1}`);
  }
}

function activeSlots(vol: LuksVolume): number[] {
  const r: number[] = [];
  for (let i = 0; i < vol.numSlots; i++) if (vol.isActive(i)) r.push(i);
  return r;
}

async function addKeyslot(vol: LuksVolume, vk: Uint8Array, req: LuksAmendRequest, read: CryptoReadFunc, write: CryptoWriteFunc): Promise<void> {
  if (!req.newSecret) throw new QemuError(`'new-secret' is required to activate a keyslot`);
  if (req.oldSecret && (await vol.slotsMatching(req.oldSecret, read)).length === 0) {
    throw new QemuError('Invalid password, cannot unlock any keyslot');
  }
  let slot = req.keyslot;
  if (slot === null) {
    slot = -1;
    for (let i = 0; i < vol.numSlots && slot < 0; i++) if (!vol.isActive(i)) slot = i;
    if (slot < 0) throw new QemuError(`Can't add a keyslot - all keyslots are in use`);
  } else {
    checkSlot(vol, slot);
    if (vol.isActive(slot)) throw new QemuError(`Refusing to overwrite active keyslot ${slot} - please erase it first`);
  }
  await vol.storeSlot(slot, vk, req.newSecret, req.iterTimeMs, write);
  await vol.commit(write);
}

async function eraseKeyslots(vol: LuksVolume, req: LuksAmendRequest, read: CryptoReadFunc, write: CryptoWriteFunc): Promise<void> {
  if (req.newSecret) throw new QemuError(`'new-secret' must not be given when erasing keyslots`);
  const active = activeSlots(vol);
  let victims: number[];
  if (req.keyslot !== null) {
    if (req.oldSecret) throw new QemuError(`Only one of 'keyslot' and 'old-secret' may be given to erase keyslots`);
    checkSlot(vol, req.keyslot);
    if (!vol.isActive(req.keyslot)) throw new QemuError(`Given keyslot ${req.keyslot} is already erased (inactive)`);
    victims = [req.keyslot];
  } else if (req.oldSecret) {
    victims = await vol.slotsMatching(req.oldSecret, read);
    if (victims.length === 0) throw new QemuError('No keyslots match given (old) password for erase operation');
  } else {
    throw new QemuError(`'keyslot' or 'old-secret' is required to erase keyslots`);
  }
  if (victims.length === active.length && !req.force) {
    throw new QemuError(victims.length === 1
      ? `Attempt to erase the only active keyslot ${victims[0]} which will erase all the data in the image irreversibly - refusing operation`
      : 'All the active keyslots match the (old) password that was given and erasing them will erase all the data in the image irreversibly - refusing operation');
  }
  // As QEMU: wipe the material, then write the header (a slot whose material is gone opens nothing).
  for (const i of victims) await vol.eraseSlot(i, write);
  await vol.commit(write);
}

export async function luksAmend(vol: LuksVolume, vk: Uint8Array | null, req: LuksAmendRequest, read: CryptoReadFunc, write: CryptoWriteFunc): Promise<void> {
  if (!vk) throw new QemuError('LUKS volume must be opened with its key to change keyslots');
  if (req.state === 'active') await addKeyslot(vol, vk, req, read, write);
  else await eraseKeyslots(vol, req, read, write);
}
