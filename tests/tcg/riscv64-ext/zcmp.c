/* Zcmp and Zcmt (the Zc 1.0 specification), which QEMU 7.2 lacks: hand-assembled encodings
 * (.hword) with expectations computed from the specification's rules:
 *   cm.push {ra, s0-sN}, -adj stores the list from its highest register down at sp-8, sp-16...,
 *   then sp -= adj (adj = list size rounded up to 16 + spimm*16); cm.pop/popret/popretz load the
 *   same slots from sp+adj, sp += adj, popretz zeroes a0, popret/popretz jump to the loaded ra;
 *   cm.mvsa01 s1', s2' = a0, a1 and cm.mva01s a0, a1 = s1', s2' (equal registers: reserved);
 *   cm.jt index: pc = jvt table[index] (index < 32), cm.jalt: ra = pc + 2 as well; jvt.mode != 0
 *   makes them illegal; without Zcd c.fld is illegal; misa.C reads 0.
 * Built with -march=rv64g (no compressed code of its own) by tests/tcg-ext-zcmp.test.js, run
 * with -cpu rv64,c=false,zca=true,zcmp=true,zcmt=true in every compiler mode. */
#include "common.h"

#define FN(name, body) asm(".text\n.globl " #name "\n" #name ":\n" body "\n  ret\n"); u64 name(u64, u64);
/* cm.push {ra, s0-s2}, -48 with ra,s0,s1,s2 = 0x1111..0x4444 and sp = a0; returns the new sp */
FN(x_push, "mv t6, sp\n  mv t5, ra\n  mv t4, s0\n  mv t3, s1\n  mv t2, s2\n"
           "  li ra, 0x1111\n  li s0, 0x2222\n  li s1, 0x3333\n  li s2, 0x4444\n  mv sp, a0\n"
           "  .hword 0xb876\n  mv a0, sp\n"
           "  mv sp, t6\n  mv ra, t5\n  mv s0, t4\n  mv s1, t3\n  mv s2, t2")
/* cm.pop {ra, s0-s2}, 48 from sp = a0; stores ra, s0, s1, s2, sp to a1[0..4] */
FN(x_pop, "mv t6, sp\n  mv t5, ra\n  mv t4, s0\n  mv t3, s1\n  mv t2, s2\n  mv sp, a0\n"
          "  .hword 0xba76\n"
          "  sd ra, 0(a1)\n  sd s0, 8(a1)\n  sd s1, 16(a1)\n  sd s2, 24(a1)\n  sd sp, 32(a1)\n"
          "  mv sp, t6\n  mv ra, t5\n  mv s0, t4\n  mv s1, t3\n  mv s2, t2")
/* cm.popretz {ra}, 16 from sp = a0 (whose slot 8 holds 1f): a1[0] = a0 after, a1[1] = sp */
FN(x_popretz, "mv t6, sp\n  mv t5, ra\n  mv sp, a0\n  la t0, 1f\n  sd t0, 8(a0)\n  li a0, 77\n"
              "  .hword 0xbc42\n  li a0, 99\n1:\n  sd a0, 0(a1)\n  sd sp, 8(a1)\n  mv sp, t6\n  mv ra, t5")
/* cm.popret {ra, s0}, 32 from sp = a0: ra from slot 16 (1f), s0 from 24; a1[0] = s0, [1] = sp */
FN(x_popret, "mv t6, sp\n  mv t5, ra\n  mv t4, s0\n  mv sp, a0\n  la t0, 1f\n  sd t0, 16(a0)\n"
             "  .hword 0xbe56\n  li s0, 99\n1:\n  sd s0, 0(a1)\n  sd sp, 8(a1)\n  mv sp, t6\n  mv ra, t5\n  mv s0, t4")
/* cm.mvsa01 s1, s2 (a0, a1 in): returns s1 + (s2 << 32) */
FN(x_mvsa01, "mv t4, s1\n  mv t3, s2\n  .hword 0xacaa\n  slli t0, s2, 32\n  add a0, s1, t0\n  mv s1, t4\n  mv s2, t3")
/* cm.mva01s s0, s7 with s0 = a0, s7 = a1 swapped in: returns a0 - a1 after */
FN(x_mva01s, "mv t4, s0\n  mv t3, s7\n  mv s0, a1\n  mv s7, a0\n  .hword 0xac7e\n  sub a0, a0, a1\n  mv s0, t4\n  mv s7, t3")
FN(x_mvsa01_same, ".hword 0xadae\n  .hword 0x0001\n  li a0, 1") /* cm.mvsa01 s3, s3 (reserved); c.nop */
FN(x_cfld, ".hword 0x2000\n  .hword 0x0001\n  li a0, 1") /* c.fld f0, 0(s0) without Zcd */
/* cm.jt 3: returns a0 = 33 at table[3]'s target, ra unchanged */
FN(x_jt, "mv t5, ra\n  li a0, 0\n  .hword 0xa00e\n  li a0, 1\n  j 2f\n"
         ".globl jt_target3\njt_target3:\n  addi a0, a0, 33\n2:\n  sub t0, ra, t5\n  add a0, a0, t0\n  mv ra, t5")
/* cm.jalt 40: returns ra - (address after the cm.jalt) (0) + 100 */
FN(x_jalt, "mv t5, ra\n  .hword 0xa0a2\n.globl jalt_ret\njalt_ret:\n  li a0, 1\n  j 2f\n"
           ".globl jalt_target40\njalt_target40:\n  la t0, jalt_ret\n  sub a0, ra, t0\n  addi a0, a0, 100\n2:\n  mv ra, t5")

extern char jt_target3[], jalt_target40[];
static u64 stack[32] __attribute__((aligned(16)));
static u64 table[64] __attribute__((aligned(64)));
static u64 out[8];

int main(void) {
  check("misa.c-clear", (csr_read(misa) >> 2) & 1, 0);
  /* push */
  for (int i = 0; i < 32; i++) stack[i] = 0;
  u64 *top = &stack[16];
  check("push.sp", x_push((u64)top, 0), (u64)top - 48);
  check("push.s2-at-sp-8", top[-1], 0x4444);
  check("push.s1", top[-2], 0x3333);
  check("push.s0", top[-3], 0x2222);
  check("push.ra-lowest", top[-4], 0x1111);
  check("push.below-untouched", top[-5] | top[-6], 0);
  /* pop */
  u64 *p = &stack[4];
  p[2] = 0xaa; p[3] = 0xbb; p[4] = 0xcc; p[5] = 0xdd;
  x_pop((u64)p, (u64)out);
  check("pop.ra", out[0], 0xaa);
  check("pop.s0", out[1], 0xbb);
  check("pop.s1", out[2], 0xcc);
  check("pop.s2", out[3], 0xdd);
  check("pop.sp", out[4], (u64)p + 48);
  x_popretz((u64)p, (u64)out);
  check("popretz.a0", out[0], 0);
  check("popretz.sp", out[1], (u64)p + 16);
  p[3] = 0x5151;
  x_popret((u64)p, (u64)out);
  check("popret.s0", out[0], 0x5151);
  check("popret.sp", out[1], (u64)p + 32);
  /* moves */
  check("mvsa01", x_mvsa01(0x11, 0x22), 0x11 + (0x22UL << 32));
  check("mva01s", x_mva01s(1000, 7), 7 - 1000);
  trap_arm();
  x_mvsa01_same(0, 0);
  trap_disarm();
  check("mvsa01-same-reg-illegal", mtrap.cause, CAUSE_ILLEGAL);
  trap_arm();
  x_cfld(0, 0);
  trap_disarm();
  check("c.fld-illegal-without-zcd", mtrap.cause, CAUSE_ILLEGAL);
  /* table jumps */
  table[3] = (u64)jt_target3;
  table[40] = (u64)jalt_target40 | 1; /* bit 0 ignored */
  csr_write(0x017, (u64)table);
  check("jvt", csr_read(0x017), (u64)table);
  check("cm.jt", x_jt(0, 0), 33);
  check("cm.jalt", x_jalt(0, 0), 100);
  csr_write(0x017, (u64)table | 1);
  trap_arm();
  x_jt(0, 0);
  trap_disarm();
  check("cm.jt-mode1-illegal", mtrap.cause, CAUSE_ILLEGAL);
  csr_write(0x017, 0);
  finish();
}
