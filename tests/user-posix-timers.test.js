// POSIX timers' expiry (src/linux-user/posix-timers.ts) without an emulator: the overrun count
// stops at INT_MAX (LTP timer_settime03; qemu-riscv64 cannot be compared in a C program: a 1 ns
// periodic host timer keeps its signal handler busy) and a CPU-time timer comes when the CPU
// time has reached its deadline, never at the wall-clock one (LTP timer_settime01).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { expirePosixTimers, posixTimer, posixTimerDelivered } from '../dist/linux-user/posix-timers.js';
import { POSIX_TIMERS_OFFSET, POSIX_TIMERS, POSIX_TIMER_BYTES } from '../dist/linux-user/layout.js';

/** Just what posix-timers.ts reads of a GuestMM. */
function fakeMM() {
  const buffer = new ArrayBuffer(POSIX_TIMERS_OFFSET + POSIX_TIMERS * POSIX_TIMER_BYTES);
  return { memory: { buffer }, view: new DataView(buffer) };
}

test('a periodic timer far in the past: the overrun count is capped at INT_MAX', () => {
  const mm = fakeMM();
  const t = posixTimer(mm, 0);
  t.i[4] = 1; t.i[5] = 0; t.i[6] = 0; t.i[7] = 10; // CLOCK_REALTIME, SIGEV_SIGNAL, SIGUSR1
  const now = 1.7e12;
  t.f[0] = now - 3070; // 3.07 s ago
  t.f[1] = 1e-6; // every nanosecond: ~3e9 expiries
  const raised = [];
  expirePosixTimers(mm, now, (id, signo) => { raised.push([id, signo]); return true; });
  assert.deepEqual(raised, [[0, 10]]);
  assert.equal(posixTimerDelivered(mm, 0), 0x7fffffff);
});

test('a CPU-time timer waits for the CPU time, not the wall clock', () => {
  const mm = fakeMM();
  const t = posixTimer(mm, 1);
  t.i[4] = 1; t.i[5] = 2; t.i[6] = 0; t.i[7] = 14; // CLOCK_PROCESS_CPUTIME_ID, SIGALRM
  const now = 1.7e12;
  t.f[0] = now - 1; // the earliest wall time it could come has passed...
  t.f[7] = 500; // ...but it is due at 500 ms of CPU time
  let cpu = 480;
  const raised = [];
  const next = expirePosixTimers(mm, now, (id) => { raised.push(id); return true; }, () => cpu);
  assert.deepEqual(raised, []);
  assert.ok(next >= now + 20 - 1e-6, `next look ${next - now} ms on`);
  cpu = 501;
  expirePosixTimers(mm, next, (id) => { raised.push(id); return true; }, () => cpu);
  assert.deepEqual(raised, [1]);
  assert.equal(t.f[0], 0); // one-shot: disarmed
});
