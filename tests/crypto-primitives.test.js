// Known-answer tests of the crypto layer (IEEE 1619 XTS, RFC 6070 PBKDF2, RFC 4231 HMAC, argon2
// against the reference argon2 CLI) and its parameter checks: each bad parameter, its error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { qcryptoInitNode } from '../dist/host/node/crypto-node.js';
import { QCryptoCipher } from '../dist/crypto/cipher.js';
import { qcryptoHashBytes, qcryptoHmacBytesv } from '../dist/crypto/hash.js';
import { qcryptoPbkdf2 } from '../dist/crypto/pbkdf.js';
import { qcryptoArgon2 } from '../dist/crypto/argon2.js';
import { qcryptoAfsplitEncode, qcryptoAfsplitDecode } from '../dist/crypto/afsplit.js';
import { QCryptoIVGen } from '../dist/crypto/ivgen.js';
import { base64Encode, base64Decode } from '../dist/crypto/base64.js';
import { luksParseCipher } from '../dist/crypto/block-luks-common.js';

qcryptoInitNode();
const hex = (s) => new Uint8Array(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
const toHex = (b) => Buffer.from(b).toString('hex');
const utf8 = (s) => new TextEncoder().encode(s);

test('AES-XTS: IEEE 1619 vectors 2 and 3 (data unit 0x3333333333)', () => {
  const iv = hex('3333333333' + '00'.repeat(11));
  const vectors = [
    ['11'.repeat(16) + '22'.repeat(16), 'c454185e6a16936e39334038acef838bfb186fff7480adc4289382ecd6d394f0'],
    ['fffefdfcfbfaf9f8f7f6f5f4f3f2f1f0' + '22'.repeat(16), 'af85336b597afc1a900b2eb21ec949d292df4c047e0b21532186a5971a227a89'],
  ];
  for (const [key, ct] of vectors) {
    const c = new QCryptoCipher('aes-128', 'xts', hex(key));
    c.setIV(iv);
    const buf = hex('44'.repeat(32));
    c.encrypt(buf);
    assert.equal(toHex(buf), ct);
    c.decrypt(buf);
    assert.equal(toHex(buf), '44'.repeat(32));
  }
});

test('AES-CBC/ECB: FIPS-197 and SP 800-38A known answers', () => {
  const ecb = new QCryptoCipher('aes-128', 'ecb', hex('000102030405060708090a0b0c0d0e0f'));
  const b = hex('00112233445566778899aabbccddeeff');
  ecb.encrypt(b);
  assert.equal(toHex(b), '69c4e0d86a7b0430d8cdb78070b4c55a');
  const cbc = new QCryptoCipher('aes-128', 'cbc', hex('2b7e151628aed2a6abf7158809cf4f3c'));
  cbc.setIV(hex('000102030405060708090a0b0c0d0e0f'));
  const p = hex('6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51');
  cbc.encrypt(p);
  assert.equal(toHex(p), '7649abac8119b246cee98e9b12e9197d5086cb9b507219ee95db113a917678b2');
});

test('PBKDF2-HMAC-SHA1: RFC 6070', async () => {
  const cases = [
    ['password', 'salt', 1, 20, '0c60c80f961f0e71f3a9b524af6012062fe037a6'],
    ['password', 'salt', 2, 20, 'ea6c014dc72d6f8ccd1ed92ace1d41f0d8de8957'],
    ['password', 'salt', 4096, 20, '4b007901b765489abead49d926f721d065a429c1'],
    ['passwordPASSWORDpassword', 'saltSALTsaltSALTsaltSALTsaltSALTsalt', 4096, 25, '3d2eec4fe41c849b80c8d83662c0e44a8b291a964cf2f07038'],
    ['pass\0word', 'sa\0lt', 4096, 16, '56fa6aa75548099dcc37d7f03425e0c3'],
  ];
  for (const [p, s, c, n, want] of cases) assert.equal(toHex(await qcryptoPbkdf2('sha1', utf8(p), utf8(s), c, n)), want);
});

test('HMAC: RFC 4231 test cases 1 and 2', () => {
  const k1 = new Uint8Array(20).fill(0x0b);
  assert.equal(toHex(qcryptoHmacBytesv('sha256', k1, [utf8('Hi There')])), 'b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7');
  assert.equal(toHex(qcryptoHmacBytesv('sha512', k1, [utf8('Hi There')])),
    '87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cdedaa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854');
  assert.equal(toHex(qcryptoHmacBytesv('sha256', utf8('Jefe'), [utf8('what do ya want for nothing?')])),
    '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843');
  assert.equal(toHex(qcryptoHashBytes('sha256', utf8('abc'))), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
});

test('argon2id/argon2i agree with the reference argon2 CLI', async (t) => {
  if (spawnSync('argon2', ['-h']).error) { t.skip('argon2 CLI not installed'); return; }
  for (const [type, flag, tcost, mlog, p] of [['argon2id', '-id', 3, 6, 2], ['argon2i', '-i', 2, 5, 1], ['argon2id', '-id', 1, 10, 4]]) {
    const r = spawnSync('argon2', ['saltsaltsalt', flag, '-t', String(tcost), '-m', String(mlog), '-p', String(p), '-l', '32', '-r'], { input: 'password' });
    const want = r.stdout.toString().trim();
    assert.match(want, /^[0-9a-f]{64}$/);
    const got = await qcryptoArgon2({ type, time: tcost, memory: 1 << mlog, cpus: p }, utf8('password'), utf8('saltsaltsalt'), 32);
    assert.equal(toHex(got), want, `${type} t=${tcost} m=2^${mlog} p=${p}`);
  }
});

test('AF split: decode inverts encode; the material is not the key', () => {
  const key = hex('00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff');
  for (const h of ['sha1', 'sha256', 'sha512']) {
    const split = qcryptoAfsplitEncode(h, 32, 4000, key);
    assert.equal(split.length, 32 * 4000);
    assert.deepEqual(qcryptoAfsplitDecode(h, 32, 4000, split), key);
    split[100] ^= 1; // one flipped bit anywhere destroys the key
    assert.notDeepEqual(qcryptoAfsplitDecode(h, 32, 4000, split), key);
  }
});

test('IV generators: plain truncates, plain64 does not, essiv = AES(hash(key), plain64)', () => {
  const key = hex('0f'.repeat(32));
  const iv = new Uint8Array(16);
  new QCryptoIVGen('plain', 'aes-256', null, key).calculate(0x1_0000_0005, iv);
  assert.equal(toHex(iv), '05' + '00'.repeat(15));
  new QCryptoIVGen('plain64', 'aes-256', null, key).calculate(0x1_0000_0005, iv);
  assert.equal(toHex(iv), '0500000001' + '00'.repeat(11));
  new QCryptoIVGen('essiv', 'aes-256', 'sha256', key).calculate(7, iv);
  const ref = new QCryptoCipher('aes-256', 'ecb', qcryptoHashBytes('sha256', key));
  const want = hex('07' + '00'.repeat(15));
  ref.encrypt(want);
  assert.deepEqual(iv, want);
});

test('base64: round trip and strict rejection', () => {
  for (const n of [0, 1, 2, 3, 4, 31, 32, 33]) {
    const d = new Uint8Array(n).map((_, i) => i * 37);
    assert.equal(base64Encode(d), Buffer.from(d).toString('base64'));
    assert.deepEqual(base64Decode(base64Encode(d)), d);
  }
  for (const badText of ['abc', 'ab!d', 'a===', '=abc', 'ab=c', 'Zm9v\n']) assert.throws(() => base64Decode(badText), /Base64 data is invalid/);
});

test('parameter validation: each bad parameter gets its own error', async () => {
  const k32 = hex('01'.repeat(16) + '02'.repeat(16));
  const cases = [
    [() => new QCryptoCipher('serpent-256', 'xts', k32), /Unsupported cipher algorithm 'serpent-256'/],
    [() => new QCryptoCipher('aes-128', 'gcm', k32), /Unsupported cipher mode 'gcm'/],
    [() => new QCryptoCipher('aes-256', 'xts', k32), /key length 32 bytes is invalid for aes-256-xts, expected 64/],
    [() => new QCryptoCipher('aes-128', 'cbc', k32), /key length 32 bytes is invalid for aes-128-cbc, expected 16/],
    [() => new QCryptoCipher('aes-128', 'xts', hex('07'.repeat(32))), /XTS cipher key halves must differ/],
    [() => new QCryptoCipher('aes-128', 'xts', k32).setIV(new Uint8Array(8)), /Expected IV size 16 not 8/],
    [() => new QCryptoCipher('aes-128', 'ecb', k32.subarray(0, 16)).setIV(new Uint8Array(16)), /does not take an IV/],
    [() => new QCryptoCipher('aes-128', 'ecb', k32.subarray(0, 16)).encrypt(new Uint8Array(15)), /multiple of the block size 16/],
    [() => new QCryptoCipher('aes-128', 'cbc', k32.subarray(0, 16)).encrypt(new Uint8Array(16)), /IV was not set/],
    [() => qcryptoHashBytes('sha3-999', new Uint8Array(1)), /Unsupported hash algorithm 'sha3-999'/],
    [() => qcryptoAfsplitEncode('sha256', 32, 0, new Uint8Array(32)), /AF stripes 0 is out of range/],
    [() => qcryptoAfsplitDecode('sha256', 32, 4000, new Uint8Array(10)), /AF split material is 10 bytes, expected 128000/],
    [() => new QCryptoIVGen('plain64', 'aes-128', 'sha256', k32), /does not take a hash/],
    [() => luksParseCipher('twofish', 'xts-plain64', 64), /Unsupported LUKS cipher algorithm 'twofish'/],
    [() => luksParseCipher('aes', 'xts-plain64', 40), /key size 40 bytes is invalid for aes-xts/],
    [() => luksParseCipher('aes', 'cbc-essiv:sha3', 32), /Unsupported ESSIV hash 'sha3'/],
    [() => luksParseCipher('aes', 'cbc-benbi', 32), /Unsupported LUKS IV generator 'benbi'/],
    [() => luksParseCipher('aes', 'ecb-plain', 32), /ecb does not take an IV generator/],
  ];
  for (const [fn, re] of cases) assert.throws(fn, re);
  const asyncCases = [
    [() => qcryptoPbkdf2('sha256', utf8('p'), utf8('s'), 0, 32), /iteration count 0 must be at least 1/],
    [() => qcryptoPbkdf2('sha256', utf8('p'), utf8('s'), 2 ** 32, 32), /must be less than 4294967296/],
    [() => qcryptoPbkdf2('sha256', utf8('p'), utf8('s'), 1, 0), /output length 0 must be between/],
    [() => qcryptoPbkdf2('whirlpool', utf8('p'), utf8('s'), 1, 32), /Unsupported hash algorithm 'whirlpool'/],
    [() => qcryptoArgon2({ type: 'argon2d', time: 1, memory: 64, cpus: 1 }, utf8('p'), utf8('saltsalt'), 32), /Unsupported KDF type 'argon2d'/],
    [() => qcryptoArgon2({ type: 'argon2id', time: 0, memory: 64, cpus: 1 }, utf8('p'), utf8('saltsalt'), 32), /time cost 0 is out of range/],
    [() => qcryptoArgon2({ type: 'argon2id', time: 1, memory: 8 * 1024 * 1024, cpus: 1 }, utf8('p'), utf8('saltsalt'), 32), /memory cost 8388608 KiB is out of range/],
    [() => qcryptoArgon2({ type: 'argon2id', time: 1, memory: 64, cpus: 17 }, utf8('p'), utf8('saltsalt'), 32), /parallel cost 17 is out of range/],
    [() => qcryptoArgon2({ type: 'argon2id', time: 1, memory: 64, cpus: 1 }, utf8('p'), utf8('salt'), 32), /salt of 4 bytes is too short/],
  ];
  for (const [fn, re] of asyncCases) await assert.rejects(fn, re);
});
