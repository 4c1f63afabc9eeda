// PMP: OFF/TOR/NA4/NAPOT matching, permissions per access kind, M-mode default and L bit,
// priority, partial matches, locking of pmpcfg/pmpaddr (privileged spec 3.7).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeEnv, csrw, csrr } from './helpers/cpu-priv-env.js';
import { pmpCheck } from '../dist/target/riscv/pmp.js';

const LOAD = 0, STORE = 1, FETCH = 2;
const ALLOWED = 1, UNIFORM = 2;
const cfg0 = (env, v) => csrw(env, 0x3a0, v);
const addr = (env, i, v) => csrw(env, 0x3b0 + i, v);
const ok = (env, pa, size, kind, priv) => (pmpCheck(env, pa, size, kind, priv) & ALLOWED) !== 0;

test('no active entry: M allowed, S and U denied', () => {
  const { env } = makeEnv();
  assert.ok(ok(env, 0x80000000, 4, LOAD, 3));
  assert.ok(!ok(env, 0x80000000, 4, LOAD, 1));
  assert.ok(!ok(env, 0x80000000, 4, FETCH, 0));
});

test('TOR, NA4 and NAPOT ranges with R/W/X per kind', () => {
  const { env } = makeEnv();
  addr(env, 0, 0x80001000n >> 2n); // entry 0 TOR [0, 0x80001000) R
  addr(env, 1, 0x80000010n >> 2n); // entry 1 NA4 at 0x80000010 (shadowed by 0)
  addr(env, 2, (0x80100000n >> 2n) | 0x1ffn); // entry 2 NAPOT 4 KiB at 0x80100000, RX
  addr(env, 3, 0x80200000n >> 2n); // entry 3 TOR [0x80100000, 0x80200000) RW — base is pmpaddr2 << 2
  cfg0(env, (0x0bn << 24n) | (0x1dn << 16n) | (0x17n << 8n) | 0x09n);
  assert.ok(ok(env, 0x1000, 8, LOAD, 1));
  assert.ok(!ok(env, 0x1000, 8, STORE, 1));
  assert.ok(!ok(env, 0x80000010, 4, STORE, 1), 'entry 0 has priority over entry 1');
  assert.ok(ok(env, 0x80100ffc, 4, FETCH, 1));
  assert.ok(!ok(env, 0x80100ffc, 4, STORE, 0));
  assert.ok(!ok(env, 0x80100ffc, 8, LOAD, 1), 'crossing out of the NAPOT entry: partial match fails');
  assert.ok(!ok(env, 0x80300000, 4, LOAD, 1), 'no match from S');
  assert.ok(ok(env, 0x80300000, 4, STORE, 3), 'no match from M');
  assert.ok(ok(env, 0x80000ffc, 4, STORE, 3), 'unlocked entries do not bind M');
  // TOR [pmpaddr2<<2, pmpaddr3<<2): 0x80100000 is the NAPOT base (caught by entry 2 first);
  // 0x80101000.. is entry 3's.
  assert.ok(ok(env, 0x80101000, 8, STORE, 1));
  assert.ok(!ok(env, 0x80101000, 8, FETCH, 1));
  // NA4 alone.
  cfg0(env, 0x17n << 8n);
  assert.ok(ok(env, 0x80000010, 4, STORE, 1));
  assert.ok(!ok(env, 0x80000014, 4, STORE, 1));
  assert.ok(!ok(env, 0x8000000e, 4, LOAD, 1), 'straddling the NA4 start');
});

test('page uniformity tells whether the 4 KiB page may be cached', () => {
  const { env } = makeEnv();
  addr(env, 0, (0x80000000n >> 2n) | 0x3ffffn); // 1 MiB NAPOT
  addr(env, 1, 0x80200010n >> 2n); // NA4
  addr(env, 15, -1n);
  csrw(env, 0x3a2, 0x1fn << 56n);
  cfg0(env, (0x17n << 8n) | 0x1fn);
  assert.equal(pmpCheck(env, 0x80000040, 8, LOAD, 1), ALLOWED | UNIFORM);
  assert.equal(pmpCheck(env, 0x80200040, 8, LOAD, 1), ALLOWED, 'a NA4 entry elsewhere in the page');
  assert.equal(pmpCheck(env, 0x80200010, 4, LOAD, 1), ALLOWED);
  assert.equal(pmpCheck(env, 0x90000000, 4, LOAD, 1), ALLOWED | UNIFORM, 'the catch-all entry 15');
});

test('L bit: binds M, locks pmpcfg and pmpaddr, and a locked TOR locks the previous pmpaddr', () => {
  const { env } = makeEnv();
  addr(env, 0, 0x80000000n >> 2n);
  addr(env, 1, 0x80001000n >> 2n);
  cfg0(env, (0x89n << 8n)); // entry 1: L, TOR, R  => [0x80000000, 0x80001000)
  assert.ok(ok(env, 0x80000000, 4, LOAD, 3));
  assert.ok(!ok(env, 0x80000000, 4, STORE, 3), 'locked entry applies to M');
  cfg0(env, 0x1fn << 8n);
  assert.equal(csrr(env, 0x3a0), 0x89n << 8n, 'locked cfg byte ignored');
  addr(env, 1, 0x12345n);
  assert.equal(csrr(env, 0x3b1), 0x80001000n >> 2n, 'locked pmpaddr');
  addr(env, 0, 0x1000n);
  assert.equal(csrr(env, 0x3b0), 0x80000000n >> 2n, 'base of a locked TOR');
  cfg0(env, (0x89n << 8n) | 0x18n); // entry 0 is not locked: its cfg still changes
  assert.equal(csrr(env, 0x3a0), (0x89n << 8n) | 0x18n);
});
