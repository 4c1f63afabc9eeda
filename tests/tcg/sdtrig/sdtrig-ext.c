/* Sdtrig load/store triggers on the accesses beyond the scalar loads and stores, as QEMU's
 * watchpoints see them: every active element of a vector load/store (unit-stride, masked,
 * strided, whole-register; the elements before the matching one are done and vstart names it),
 * cbo.zero (a store of its whole block), HLV/HSV, flh/fsh, Zabha's AMOs, amocas.q; not cbo.clean (QEMU probes it without
 * watchpoints) nor HLVX (read through the fetch path). Triggers for M (the program runs in M).
 * Run by tests/tcg-pmu-sdtrig.test.js on qemu-system-riscv64 (-cpu rv64,v=true,h=true) and on
 * tsqemu in every compiler mode: the outputs must be equal apart from the *-tval checks, where
 * QEMU 7.2 reports 0 and 10.2 the watchpoint's hit address. */
#include "common.h"

#define T6 (6UL << 60)
#define TM (1UL << 6)
#define TST 2UL
#define TLD 1UL
#define SIZE4 (3UL << 16)
#define VARCH ".option push\n.option arch, +v\n"
#define HARCH ".option push\n.option arch, +h\n"

/* trap_arm with a7 cleared (a breakpoint with a7 = MAGIC_RETURN_TO_M is run_in_mode's return) */
#define TARM() do { trap_arm(); asm volatile("li a7, 0" ::: "a7"); } while (0)

static u64 buf[8] __attribute__((aligned(64)));
static u64 out[8];
static u32 w[4];
static u8 blk[128] __attribute__((aligned(64)));

static void arm(u64 addr, u64 type) {
  csr_write(tselect, 0);
  csr_write(tdata2, addr);
  csr_write(tdata1, T6 | TM | type);
}
static void disarm(void) {
  csr_write(tselect, 0);
  csr_write(tdata1, T6);
  csr_write(tdata2, 0);
}
static u64 vstart(void) { u64 v; asm volatile(VARCH "csrr %0, vstart\n.option pop" : "=r"(v)); return v; }
static void vstart0(void) { asm volatile(VARCH "csrw vstart, zero\n.option pop"); }
static void fill(void) {
  for (int i = 0; i < 8; i++) { buf[i] = 0x1111111111111111UL * (i + 1); out[i] = 0; }
}
/* v2-v3 (e64, m2: 4 elements with VLEN 128) into out[] */
static void dump_v2(void) {
  vstart0();
  asm volatile(VARCH "vsetivli zero, 4, e64, m2, ta, ma\nvse64.v v2, (%0)\n.option pop" : : "r"(out) : "memory");
}
static void clear_v2(void) {
  asm volatile(VARCH "vsetivli zero, 4, e64, m2, ta, ma\nvmv.v.i v2, 0\n.option pop" ::: "memory");
}

int main(void) {
  csr_set(mstatus, 1UL << 9); /* VS = Initial */

  /* unit-stride load: element 2 matches */
  fill();
  clear_v2();
  arm((u64)&buf[2], TLD);
  TARM();
  asm volatile(VARCH "vsetivli zero, 4, e64, m2, ta, ma\nvle64.v v2, (%0)\n.option pop" : : "r"(buf) : "memory");
  trap_disarm();
  check("vle-cause", mtrap.cause, CAUSE_BREAKPOINT);
  check("vle-vstart", vstart(), 2);
  disarm();
  dump_v2();
  check("vle-elem0-done", out[0], buf[0]);
  check("vle-elem1-done", out[1], buf[1]);
  check("vle-elem2-not", out[2], 0);
  check("vle-tval", mtrap.tval, (u64)&buf[2]);

  /* no match: the load completes */
  arm((u64)&buf[6], TLD);
  TARM();
  asm volatile(VARCH "vsetivli zero, 4, e64, m2, ta, ma\nvle64.v v2, (%0)\n.option pop" : : "r"(buf) : "memory");
  trap_disarm();
  check("vle-other-free", mtrap.count, 0);
  disarm();

  /* masked store: an inactive element does not match, an active one does */
  vstart0();
  for (int i = 0; i < 4; i++) w[i] = 0;
  arm((u64)&w[2], TST | SIZE4);
  TARM();
  asm volatile(VARCH "vsetivli zero, 4, e32, m1, ta, ma\nvmv.v.i v2, 7\nli t0, 0xb\nvmv.s.x v0, t0\n"
               "vse32.v v2, (%0), v0.t\n.option pop" : : "r"(w) : "t0", "memory");
  trap_disarm();
  check("vse-masked-free", mtrap.count, 0);
  check("vse-masked-stored", ((u64)w[3] << 32) | w[1], (7UL << 32) | 7);
  check("vse-masked-elem2", w[2], 0);
  disarm();
  for (int i = 0; i < 4; i++) w[i] = 0;
  arm((u64)&w[2], TST | SIZE4);
  TARM();
  asm volatile(VARCH "vsetivli zero, 4, e32, m1, ta, ma\nvmv.v.i v2, 5\nvse32.v v2, (%0)\n.option pop" : : "r"(w) : "memory");
  trap_disarm();
  check("vse-cause", mtrap.cause, CAUSE_BREAKPOINT);
  check("vse-vstart", vstart(), 2);
  check("vse-before-done", ((u64)w[1] << 32) | w[0], (5UL << 32) | 5);
  check("vse-rest-not", ((u64)w[3] << 32) | w[2], 0);
  disarm();
  vstart0();

  /* strided load: 16-byte stride, element 2 at buf + 32 */
  fill();
  clear_v2();
  arm((u64)&buf[4], TLD);
  TARM();
  asm volatile(VARCH "vsetivli zero, 4, e64, m2, ta, ma\nli t0, 16\nvlse64.v v2, (%0), t0\n.option pop" : : "r"(buf) : "t0", "memory");
  trap_disarm();
  check("vlse-cause", mtrap.cause, CAUSE_BREAKPOINT);
  check("vlse-vstart", vstart(), 2);
  disarm();
  dump_v2();
  check("vlse-elem1-done", out[1], buf[2]);
  check("vlse-elem2-not", out[2], 0);

  /* whole-register load: element 1 */
  fill();
  clear_v2();
  arm((u64)&buf[1], TLD);
  TARM();
  asm volatile(VARCH "vl1re64.v v2, (%0)\n.option pop" : : "r"(buf) : "memory");
  trap_disarm();
  check("vl1r-cause", mtrap.cause, CAUSE_BREAKPOINT);
  check("vl1r-vstart", vstart(), 1);
  disarm();
  vstart0();

  /* cbo.zero stores its whole block: a store trigger anywhere in it matches */
  for (int i = 0; i < 128; i++) blk[i] = 0xaa;
  arm((u64)&blk[40], TST);
  TARM();
  asm volatile(".option push\n.option arch, +zicboz\ncbo.zero (%0)\n.option pop" : : "r"(&blk[8]) : "memory");
  trap_disarm();
  check("cbo-zero-cause", mtrap.cause, CAUSE_BREAKPOINT);
  check("cbo-zero-not-done", blk[0], 0xaa);
  check("cbo-zero-tval", mtrap.tval, (u64)&blk[40]);
  arm((u64)&blk[64], TST);
  TARM();
  asm volatile(".option push\n.option arch, +zicboz\ncbo.zero (%0)\n.option pop" : : "r"(&blk[8]) : "memory");
  trap_disarm();
  check("cbo-zero-other-block", mtrap.count, 0);
  check("cbo-zero-done", blk[63], 0);
  arm((u64)&blk[8], TLD | TST);
  TARM();
  asm volatile(".option push\n.option arch, +zicbom\ncbo.clean (%0)\ncbo.flush (%0)\n.option pop" : : "r"(&blk[8]) : "memory");
  trap_disarm();
  check("cbo-clean-flush-free", mtrap.count, 0);
  disarm();

  /* HLV / HSV (bare vsatp and hgatp: guest physical = virtual) */
  fill();
  u64 v = 0;
  arm((u64)&buf[3], TLD);
  TARM();
  asm volatile(HARCH "hlv.d %0, (%1)\n.option pop" : "+r"(v) : "r"(&buf[3]) : "memory");
  trap_disarm();
  check("hlv-cause", mtrap.cause, CAUSE_BREAKPOINT);
  check("hlv-not-done", v, 0);
  check("hlv-tval", mtrap.tval, (u64)&buf[3]);
  TARM();
  asm volatile(HARCH "hlv.wu %0, (%1)\n.option pop" : "+r"(v) : "r"((u64)&buf[3] + 4) : "memory");
  trap_disarm();
  check("hlv-wu-cause", mtrap.cause, CAUSE_BREAKPOINT);
  TARM();
  asm volatile(HARCH "hlvx.hu %0, (%1)\n.option pop" : "+r"(v) : "r"(&buf[3]) : "memory");
  trap_disarm();
  check("hlvx-free", mtrap.count, 0);
  check("hlvx-value", v, 0x4444);
  TARM();
  asm volatile(HARCH "hlv.d %0, (%1)\n.option pop" : "+r"(v) : "r"(&buf[4]) : "memory");
  trap_disarm();
  check("hlv-other-free", mtrap.count, 0);
  check("hlv-value", v, buf[4]);
  arm((u64)&buf[5], TST);
  TARM();
  asm volatile(HARCH "hsv.w %0, (%1)\n.option pop" : : "r"(0x99UL), "r"((u64)&buf[5] + 4) : "memory");
  trap_disarm();
  check("hsv-cause", mtrap.cause, CAUSE_BREAKPOINT);
  check("hsv-not-done", buf[5], 0x6666666666666666UL);
  TARM();
  asm volatile(HARCH "hsv.w %0, (%1)\n.option pop" : : "r"(0x99UL), "r"((u64)&buf[6]) : "memory");
  trap_disarm();
  check("hsv-other-free", mtrap.count, 0);
  check("hsv-done", buf[6], 0x7777777700000099UL);
  disarm();

  /* flh/fsh (Zfh) */
  static u16 h16[4];
  u64 f = 0;
  for (int i = 0; i < 4; i++) h16[i] = 0x3c00 + i;
  arm((u64)&h16[1], TLD | TST | (2UL << 16)); /* size 2 */
  TARM();
  asm volatile(".option push\n.option arch, +zfh\nflh ft0, 2(%1)\nfmv.x.h %0, ft0\n.option pop" : "+r"(f) : "r"(h16) : "ft0", "memory");
  trap_disarm();
  check("flh-cause", mtrap.cause, CAUSE_BREAKPOINT);
  TARM();
  asm volatile(".option push\n.option arch, +zfh\nflh ft0, 4(%0)\nfsh ft0, 2(%0)\n.option pop" : : "r"(h16) : "ft0", "memory");
  trap_disarm();
  check("fsh-cause", mtrap.cause, CAUSE_BREAKPOINT);
  check("fsh-one-trap", mtrap.count, 1);
  disarm();
  check("fsh-not-done", h16[1], 0x3c01);

  /* Zabha's amoadd.h, Zacas's amocas.q (QEMU 7.2 has neither: illegal there) */
  static u64 q[2] __attribute__((aligned(16)));
  arm((u64)&h16[2], TST | (2UL << 16));
  TARM();
  asm volatile(".insn r 0x2f, 1, 0, zero, %1, %0 /* amoadd.h zero, %0, (%1) */" : : "r"(1UL), "r"(&h16[2]) : "memory");
  trap_disarm();
  check("amoadd-h-cause", mtrap.cause, CAUSE_BREAKPOINT);
  arm((u64)&q[1], TLD);
  TARM();
  asm volatile("li t1, 0\nli t2, 0\nli t3, 0\nli t4, 0\n"
               ".insn r 0x2f, 4, 20, t1, %0, t3 /* amocas.q t1, t3, (%0): even pairs */" : : "r"(q) : "t1", "t2", "t3", "t4", "memory");
  trap_disarm();
  check("amocas-q-cause", mtrap.cause, CAUSE_BREAKPOINT);
  disarm();
  finish();
}
