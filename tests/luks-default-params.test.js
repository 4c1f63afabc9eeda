// Opt-in (TSQEMU_SLOW=1): a LUKS2 volume made by cryptsetup with its defaults (argon2id with
// ~1 GiB of memory, benchmarked to ~2 s) opens with ours. Slow: cryptsetup ~10 s, ours ~8 s.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { qcryptoInitNode } from '../dist/host/node/crypto-node.js';
import { qcryptoSecretAddOpts } from '../dist/crypto/secret.js';
import { openDrive } from '../dist/host/node/block.js';

const slow = process.env.TSQEMU_SLOW === '1';
const haveCryptsetup = !spawnSync('cryptsetup', ['--version']).error;

test('cryptsetup LUKS2 with default parameters opens with ours', { skip: !slow ? 'set TSQEMU_SLOW=1' : !haveCryptsetup }, async () => {
  qcryptoInitNode();
  qcryptoSecretAddOpts('secret,id=dflt,data=default pass');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsqemu-luksdef-'));
  try {
    const f = path.join(dir, 'd.luks');
    fs.writeFileSync(f, Buffer.alloc(20 << 20));
    const r = spawnSync('cryptsetup', ['luksFormat', '--type', 'luks2', '-q', '--key-file', '-', f], { input: 'default pass' });
    assert.equal(r.status, 0, r.stderr.toString());
    const dump = spawnSync('cryptsetup', ['luksDump', f]).stdout.toString();
    assert.match(dump, /PBKDF:\s+argon2id/);
    const blk = await openDrive(new Map([['file', f], ['format', 'luks'], ['key-secret', 'dflt']]));
    const data = new Uint8Array(4096).fill(7);
    await blk.pwrite(4096, data);
    const back = new Uint8Array(4096);
    await blk.pread(4096, back);
    assert.deepEqual(back, data);
    await blk.close();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
