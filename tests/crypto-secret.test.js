// --object secret: data=, file=, format=raw|base64, and AES-256-CBC encrypted secrets (keyid, iv).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { qcryptoInitNode } from '../dist/host/node/crypto-node.js';
import { qcryptoSecretAddOpts, qcryptoSecretLookup, qcryptoSecretLookupAsUtf8 } from '../dist/crypto/secret.js';

qcryptoInitNode();
const readFile = (p) => new Uint8Array(fs.readFileSync(p));

test('secret: data=, format=base64, file=', () => {
  qcryptoSecretAddOpts('secret,id=s-raw,data=pass,,word');
  assert.equal(qcryptoSecretLookupAsUtf8('s-raw'), 'pass,word');
  qcryptoSecretAddOpts(`secret,id=s-b64,data=${Buffer.from([0, 1, 255]).toString('base64')},format=base64`);
  assert.deepEqual(qcryptoSecretLookup('s-b64'), new Uint8Array([0, 1, 255]));
  assert.throws(() => qcryptoSecretLookupAsUtf8('s-b64'), /Data from secret s-b64 is not valid UTF-8/);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsqemu-secret-'));
  fs.writeFileSync(path.join(dir, 'pw'), 'from-a-file');
  qcryptoSecretAddOpts(`secret,id=s-file,file=${path.join(dir, 'pw')}`, readFile);
  assert.equal(qcryptoSecretLookupAsUtf8('s-file'), 'from-a-file');
  fs.rmSync(dir, { recursive: true });
});

test('secret: keyid + iv decrypts AES-256-CBC (as libvirt hands QEMU its secrets)', () => {
  const key = crypto.randomBytes(32);
  const iv = crypto.randomBytes(16);
  qcryptoSecretAddOpts(`secret,id=master0,data=${key.toString('base64')},format=base64`);
  const c = crypto.createCipheriv('aes-256-cbc', key, iv);
  const ct = Buffer.concat([c.update('s3cret passphrase'), c.final()]);
  qcryptoSecretAddOpts(`secret,id=s-enc,data=${ct.toString('base64')},format=base64,keyid=master0,iv=${iv.toString('base64')}`);
  assert.equal(qcryptoSecretLookupAsUtf8('s-enc'), 's3cret passphrase');
  // A wrong key leaves garbage padding: rejected, not returned.
  qcryptoSecretAddOpts(`secret,id=master1,data=${crypto.randomBytes(32).toString('base64')},format=base64`);
  assert.throws(() => qcryptoSecretAddOpts(`secret,id=s-enc2,data=${ct.toString('base64')},format=base64,keyid=master1,iv=${iv.toString('base64')}`),
    /Incorrect number of padding bytes/);
});

test('secret: bad parameters, one error each', () => {
  const cases = [
    ['secret,data=x', /Parameter 'id' is missing/],
    ['secret,id=1abc,data=x', /Parameter 'id' expects an identifier/],
    ['secret,id=a1', /Either 'file' or 'data' must be provided/],
    ['secret,id=a2,data=x,file=/dev/null', /'data' and 'file' are mutually exclusive/],
    ['secret,id=a3,data=x,format=hex', /Parameter 'format' does not accept value 'hex'/],
    ['secret,id=a4,data=!!!!,format=base64', /Base64 secret 'a4' is invalid/],
    ['secret,id=a5,data=x,colour=red', /Invalid parameter 'colour'/],
    ['secret,id=a6,data=x,keyid=nosuch,iv=AAAAAAAAAAAAAAAAAAAAAA==', /No secret with id 'nosuch'/],
    ['secret,id=a7,data=AAAAAAAAAAAAAAAAAAAAAA==,format=base64,keyid=s-raw,iv=AAAAAAAAAAAAAAAAAAAAAA==', /Key should be 32 bytes in length/],
    ['secret,id=a8,data=x,iv=AAAA', /'iv' requires 'keyid'/],
    ['iothread,id=a9', /Invalid object type 'iothread'/],
    ['secret,id=s-raw,data=again', /Duplicate ID 's-raw' for object/],
  ];
  for (const [text, re] of cases) assert.throws(() => qcryptoSecretAddOpts(text), re, text);
  assert.throws(() => qcryptoSecretLookup('missing'), /No secret with id 'missing'/);
});
