/* Extensions QEMU 7.2 does not have (so no differential reference): Zicond, Zfa, Zacas, Zimop,
 * Zcmop, Zcb, Zicbom/Zicboz, Zawrs, Zkr, plus a Zbb corner where QEMU 7.2 is wrong (ctzw).
 * Expected values are written from the specifications' text. Instructions gas 2.40 does not
 * know are spelled with .insn / .2byte. Run by tests/tcg-riscv64-ext.test.js with
 * -cpu rv64,zicond=on,zacas=on,zimop=on,zcmop=on,zcb=on,zkr=on,zfh=on. */
#include "common.h"

#define FFLAGS_NV 0x10
#define FFLAGS_NX 0x01

static u64 czero(int nez, u64 a, u64 b) {
  u64 r;
  if (nez) asm volatile(".insn r 0x33, 7, 7, %0, %1, %2" : "=r"(r) : "r"(a), "r"(b));
  else asm volatile(".insn r 0x33, 5, 7, %0, %1, %2" : "=r"(r) : "r"(a), "r"(b));
  return r;
}

static void test_zicond(void) {
  check("czero.eqz-zero", czero(0, 5, 0), 0);
  check("czero.eqz-nonzero", czero(0, 5, 7), 5);
  check("czero.nez-zero", czero(1, 5, 0), 5);
  check("czero.nez-nonzero", czero(1, 5, 7), 0);
  check("czero.eqz-x0-cond", ({ u64 r; asm volatile(".insn r 0x33, 5, 7, %0, %1, x0" : "=r"(r) : "r"(9UL)); r; }), 0);
}

/* ---- Zfa ---- */
#define FLI(fmt7, idx) ({ u64 r_; asm volatile(".insn r 0x53, 0, " #fmt7 ", f1, x" #idx ", x1\n fmv.x.d %0, f1" : "=r"(r_) : : "f1"); r_; })
static u64 fflags_swap(void) { return csr_swap(fflags, 0); }

#define FOP2(f3, f7, a, b) ({ u64 r_; asm volatile("fmv.d.x f1, %1\n fmv.d.x f2, %2\n .insn r 0x53, " #f3 ", " #f7 ", f3, f1, f2\n fmv.x.d %0, f3" \
  : "=r"(r_) : "r"(a), "r"(b) : "f1", "f2", "f3"); r_; })
#define FCMPQ(f3, f7, a, b) ({ u64 r_; asm volatile("fmv.d.x f1, %1\n fmv.d.x f2, %2\n .insn r 0x53, " #f3 ", " #f7 ", %0, f1, f2" \
  : "=r"(r_) : "r"(a), "r"(b) : "f1", "f2"); r_; })
#define FROUND(rm, rs2, a) ({ u64 r_; asm volatile("fmv.d.x f1, %1\n .insn r 0x53, " #rm ", 0x21, f3, f1, x" #rs2 "\n fmv.x.d %0, f3" \
  : "=r"(r_) : "r"(a) : "f1", "f3"); r_; })
#define FCVTMOD(a) ({ u64 r_; asm volatile("fmv.d.x f1, %1\n .insn r 0x53, 1, 0x61, %0, f1, x8" : "=r"(r_) : "r"(a) : "f1"); r_; })

#define D_ONE 0x3ff0000000000000UL
#define D_TWO 0x4000000000000000UL
#define D_QNAN 0x7ff8000000000000UL

static void test_zfa(void) {
  check("fli.d-1", FLI(0x79, 16), D_ONE);
  check("fli.d-minus1", FLI(0x79, 0), 0xbff0000000000000UL);
  check("fli.d-min-normal", FLI(0x79, 1), 0x0010000000000000UL);
  check("fli.d-65536", FLI(0x79, 29), 0x40f0000000000000UL);
  check("fli.d-inf", FLI(0x79, 30), 0x7ff0000000000000UL);
  check("fli.d-nan", FLI(0x79, 31), D_QNAN);
  check("fli.d-0.3125", FLI(0x79, 9), 0x3fd4000000000000UL);
  check("fli.s-2^-16", FLI(0x78, 2), 0xffffffff37800000UL);
  check("fli.s-min-normal", FLI(0x78, 1), 0xffffffff00800000UL);
  check("fli.h-min-normal", FLI(0x7a, 1), 0xffffffffffff0400UL);
  check("fli.h-2^-16-subnormal", FLI(0x7a, 2), 0xffffffffffff0100UL);
  check("fli.h-65536-is-inf", FLI(0x7a, 29), 0xffffffffffff7c00UL);
  fflags_swap();
  check("fminm.d-nan", FOP2(2, 0x15, D_ONE, D_QNAN), D_QNAN);
  check("fmin.d-nan", FOP2(0, 0x15, D_ONE, D_QNAN), D_ONE);
  check("fmaxm.d-zeros", FOP2(3, 0x15, 0x8000000000000000UL, 0UL), 0);
  check("fminm.d-zeros", FOP2(2, 0x15, 0UL, 0x8000000000000000UL), 0x8000000000000000UL);
  check("fminm-qnan-flags", fflags_swap(), 0);
  check("fmaxm.d-snan", FOP2(3, 0x15, 0x7ff4000000000000UL, D_ONE), D_QNAN);
  check("fmaxm-snan-flags", fflags_swap(), FFLAGS_NV);
  check("fround.d-2.5-rne", FROUND(0, 4, 0x4004000000000000UL), D_TWO);
  check("fround-flags", fflags_swap(), 0);
  check("froundnx.d-2.5-rne", FROUND(0, 5, 0x4004000000000000UL), D_TWO);
  check("froundnx-flags", fflags_swap(), FFLAGS_NX);
  check("fround.d-2.5-rmm", FROUND(4, 4, 0x4004000000000000UL), 0x4008000000000000UL);
  check("fround.d-minus0.5-rup", FROUND(3, 4, 0xbfe0000000000000UL), 0x8000000000000000UL);
  check("fround.d-1e300", FROUND(0, 5, 0x7e37e43c8800759cUL), 0x7e37e43c8800759cUL);
  check("fround.d-snan", FROUND(0, 4, 0x7ff4000000000000UL), D_QNAN);
  check("fround-snan-flags", fflags_swap(), FFLAGS_NV);
  /* fcvtmod.w.d: rounds toward zero, result modulo 2^32 */
  check("fcvtmod.w.d-2^32+5", FCVTMOD(0x41f0000000500000UL), 5);
  check("fcvtmod-range-flags", fflags_swap(), FFLAGS_NV);
  check("fcvtmod.w.d-minus3.7", FCVTMOD(0xc00d99999999999aUL), (u64)-3L);
  check("fcvtmod-inexact-flags", fflags_swap(), FFLAGS_NX);
  check("fcvtmod.w.d-2^31", FCVTMOD(0x41e0000000000000UL), 0xffffffff80000000UL);
  check("fcvtmod-2^31-flags", fflags_swap(), FFLAGS_NV);
  check("fcvtmod.w.d-nan", FCVTMOD(D_QNAN), 0);
  check("fcvtmod-nan-flags", fflags_swap(), FFLAGS_NV);
  check("fleq.d-qnan", FCMPQ(4, 0x51, D_QNAN, D_ONE), 0);
  check("fleq-qnan-flags", fflags_swap(), 0);
  check("fltq.d", FCMPQ(5, 0x51, D_ONE, D_TWO), 1);
  check("fleq.d-equal", FCMPQ(4, 0x51, D_TWO, D_TWO), 1);
  check("fltq.d-snan", FCMPQ(5, 0x51, 0x7ff4000000000000UL, D_TWO), 0);
  check("fltq-snan-flags", fflags_swap(), FFLAGS_NV);
}

/* ---- Zacas ---- */
static volatile u64 amo_mem[4] __attribute__((aligned(16)));

/* rd (and the pairs' odd halves) set in an earlier block (an indirect jump ends it), run twenty
 * times so the block compiler translates it: the compare values are read from the registers. */
__attribute__((noinline)) static void zacas_fresh_block(int k) {
  u64 rd;
  amo_mem[0] = 42;
  asm volatile("li a4, 42\n li a5, 43\n la t5, 1f\n jr t5\n1: .insn r 0x2f, 3, 0x14, a4, %1, a5\n mv %0, a4"
               : "=r"(rd) : "r"(&amo_mem[0]) : "a4", "a5", "t5", "memory");
  checkf(amo_mem[0], 43, "amocas.d-rd-from-earlier-block-%d", k);
  amo_mem[2] = 7; amo_mem[3] = 8;
  u64 lo, hi;
  asm volatile("li a6, 7\n li a7, 8\n li t3, 9\n li t4, 10\n la t5, 1f\n jr t5\n"
               "1: .insn r 0x2f, 4, 0x14, a6, %2, t3\n mv %0, a6\n mv %1, a7\n li a7, 0\n li t4, 0"
               : "=r"(lo), "=r"(hi) : "r"(&amo_mem[2]) : "a6", "a7", "t3", "t4", "t5", "memory");
  checkf(amo_mem[2] == 9 && amo_mem[3] == 10 && lo == 7 && hi == 8, 1, "amocas.q-pair-from-earlier-block-%d", k);
}

static void test_zacas(void) {
  u64 rd;
  amo_mem[0] = 5;
  rd = 5;
  asm volatile(".insn r 0x2f, 3, 0x14, %0, %1, %2" : "+r"(rd) : "r"(&amo_mem[0]), "r"(9UL) : "memory");
  check("amocas.d-equal-rd", rd, 5);
  check("amocas.d-equal-mem", amo_mem[0], 9);
  rd = 1;
  asm volatile(".insn r 0x2f, 3, 0x14, %0, %1, %2" : "+r"(rd) : "r"(&amo_mem[0]), "r"(7UL) : "memory");
  check("amocas.d-differ-rd", rd, 9);
  check("amocas.d-differ-mem", amo_mem[0], 9);
  amo_mem[1] = 0x1234567880000000UL;
  rd = 0xffffffff80000000UL;
  asm volatile(".insn r 0x2f, 2, 0x14, %0, %1, %2" : "+r"(rd) : "r"((u64)&amo_mem[1] + 4), "r"(0x11UL) : "memory");
  check("amocas.w-differ-rd", rd, 0x0000000012345678UL);
  check("amocas.w-differ-mem", amo_mem[1], 0x1234567880000000UL);
  rd = 0;
  asm volatile(".insn r 0x2f, 2, 0x14, %0, %1, %2" : "+r"(rd) : "r"(&amo_mem[1]), "r"(0x11UL) : "memory");
  check("amocas.w-old-sext", rd, 0xffffffff80000000UL);
  rd = 0xffffffff80000000UL;
  asm volatile(".insn r 0x2f, 2, 0x14, %0, %1, %2" : "+r"(rd) : "r"(&amo_mem[1]), "r"(0x11UL) : "memory");
  check("amocas.w-equal-mem", amo_mem[1], 0x1234567800000011UL);
  /* amocas.q on the pairs a0:a1 (compare/result) and a2:a3 (new value) */
  amo_mem[2] = 1; amo_mem[3] = 2;
  {
    register u64 a0 asm("a0") = 1, a1 asm("a1") = 2, a2 asm("a2") = 3, a3 asm("a3") = 4;
    asm volatile(".insn r 0x2f, 4, 0x14, a0, %4, a2" : "+r"(a0), "+r"(a1) : "r"(a2), "r"(a3), "r"(&amo_mem[2]) : "memory");
    u64 lo = a0, hi = a1; /* register variables do not survive calls */
    check("amocas.q-equal-lo", lo, 1); check("amocas.q-equal-hi", hi, 2);
    check("amocas.q-equal-mem-lo", amo_mem[2], 3); check("amocas.q-equal-mem-hi", amo_mem[3], 4);
    a0 = 1; a1 = 2; a2 = 5; a3 = 6;
    asm volatile(".insn r 0x2f, 4, 0x14, a0, %4, a2" : "+r"(a0), "+r"(a1) : "r"(a2), "r"(a3), "r"(&amo_mem[2]) : "memory");
    lo = a0; hi = a1;
    check("amocas.q-differ-lo", lo, 3); check("amocas.q-differ-hi", hi, 4);
    check("amocas.q-differ-mem-lo", amo_mem[2], 3); check("amocas.q-differ-mem-hi", amo_mem[3], 4);
  }
  for (int k = 0; k < 20; k++) zacas_fresh_block(k);
  /* odd rd: reserved */
  trap_arm();
  asm volatile(".insn r 0x2f, 4, 0x14, a1, %0, a2" : : "r"(&amo_mem[2]) : "a1", "memory");
  trap_disarm();
  check("amocas.q-odd-rd-illegal", mtrap.cause, CAUSE_ILLEGAL);
  /* misaligned */
  trap_arm();
  asm volatile(".insn r 0x2f, 3, 0x14, a1, %0, a2" : : "r"((u64)&amo_mem[0] + 4) : "a1", "memory");
  trap_disarm();
  check("amocas.d-misaligned", mtrap.cause, CAUSE_MISALIGNED_STORE);
}

/* ---- Zimop / Zcmop ---- */
static void test_mop(void) {
  u64 r = 77, r2 = 77;
  asm volatile(".insn i 0x73, 4, %0, %1, -2020" : "+r"(r) : "r"(5UL)); /* mop.r.0 */
  check("mop.r.0", r, 0);
  asm volatile(".insn i 0x73, 4, %0, %1, -801" : "+r"(r2) : "r"(5UL)); /* mop.r.31 */
  check("mop.r.31", r2, 0);
  r = 77;
  asm volatile(".insn r 0x73, 4, 0x67, %0, %1, %2" : "+r"(r) : "r"(5UL), "r"(6UL)); /* mop.rr.7 */
  check("mop.rr.7", r, 0);
  {
    register u64 ra_ asm("ra") = 0x1234, t0 asm("t0") = 0x5678;
    asm volatile(".2byte 0x6081\n .2byte 0x6281\n .2byte 0x6781" : "+r"(ra_), "+r"(t0)); /* c.mop.1, c.mop.5, c.mop.15 */
    u64 x1 = ra_, x5 = t0;
    check("c.mop.1-writes-nothing", x1, 0x1234);
    check("c.mop.5-writes-nothing", x5, 0x5678);
  }
}

/* ---- Zcb (s0 = base, a0 = rd'/rs2', a1 = rs2' of c.mul) ---- */
static volatile u8 zcb_buf[8] __attribute__((aligned(8))) = { 0x81, 0xf2, 0x83, 0x94, 0, 0, 0, 0 };

#define ZCB_LD(hw) ({ register u64 s0_ asm("s0") = (u64)zcb_buf; register u64 a0_ asm("a0"); \
  asm volatile(".2byte " #hw : "=r"(a0_) : "r"(s0_) : "memory"); a0_; })
#define ZCB_ST(hw, v) do { register u64 s0_ asm("s0") = (u64)zcb_buf; register u64 a0_ asm("a0") = (v); \
  asm volatile(".2byte " #hw : : "r"(s0_), "r"(a0_) : "memory"); } while (0)
#define ZCB_UN(hw, v) ({ register u64 a0_ asm("a0") = (v); asm volatile(".2byte " #hw : "+r"(a0_)); a0_; })

static void test_zcb(void) {
  check("c.lbu-1", ZCB_LD(0x8048), 0xf2);
  check("c.lhu-2", ZCB_LD(0x8428), 0x9483);
  check("c.lh-2", ZCB_LD(0x8468), 0xffffffffffff9483UL);
  ZCB_ST(0x8868, 0x1a5); /* c.sb a0, 3(s0) */
  check("c.sb-3", zcb_buf[3], 0xa5);
  ZCB_ST(0x8c28, 0x12345678); /* c.sh a0, 2(s0) */
  check("c.sh-2", zcb_buf[2] | (zcb_buf[3] << 8), 0x5678);
  check("c.zext.b", ZCB_UN(0x9d61, 0x12345681UL), 0x81);
  check("c.sext.b", ZCB_UN(0x9d65, 0x12345681UL), 0xffffffffffffff81UL);
  check("c.zext.h", ZCB_UN(0x9d69, 0x1234f681UL), 0xf681);
  check("c.sext.h", ZCB_UN(0x9d6d, 0x1234f681UL), 0xfffffffffffff681UL);
  check("c.zext.w", ZCB_UN(0x9d71, 0xffffffff80000001UL), 0x80000001UL);
  check("c.not", ZCB_UN(0x9d75, 0x00ff00ff00ff00ffUL), 0xff00ff00ff00ff00UL);
  {
    register u64 a0 asm("a0") = 0x100000001UL, a1 asm("a1") = 3;
    asm volatile(".2byte 0x9d4d" : "+r"(a0) : "r"(a1)); /* c.mul a0, a1 */
    check("c.mul", a0, 0x300000003UL);
  }
}

/* ---- Zbb corner: ctzw counts within the low word (QEMU 7.2 answers 62 here) ---- */
static void test_ctzw(void) {
  u64 r;
  asm volatile(".option push\n.option arch, +zbb\n ctzw %0, %1\n.option pop" : "=r"(r) : "r"(0x4000000000000000UL));
  check("ctzw-low-word-zero", r, 32);
}

/* ---- Zicbom / Zicboz ---- */
static volatile u8 cbo_buf[192] __attribute__((aligned(64)));

static u64 do_cbo_zero(u64 addr) {
  asm volatile(".option push\n.option arch, +zicboz\n cbo.zero (%0)\n.option pop" : : "r"(addr) : "memory");
  return 0;
}
static u64 do_cbo_clean(u64 addr) {
  asm volatile(".option push\n.option arch, +zicbom\n cbo.clean (%0)\n.option pop" : : "r"(addr) : "memory");
  return 0;
}
static u64 do_cbo_inval(u64 addr) {
  asm volatile(".option push\n.option arch, +zicbom\n cbo.inval (%0)\n.option pop" : : "r"(addr) : "memory");
  return 0;
}

static void test_zicbo(void) {
  for (int i = 0; i < 192; i++) cbo_buf[i] = 0xff;
  do_cbo_zero((u64)cbo_buf + 64 + 37);
  int zero = 1, ff = 1;
  for (int i = 64; i < 128; i++) zero &= cbo_buf[i] == 0;
  for (int i = 0; i < 64; i++) ff &= cbo_buf[i] == 0xff;
  for (int i = 128; i < 192; i++) ff &= cbo_buf[i] == 0xff;
  check("cbo.zero-block", zero, 1);
  check("cbo.zero-neighbours", ff, 1);
  do_cbo_clean((u64)cbo_buf);
  check("cbo.clean-keeps-data", cbo_buf[0], 0xff);
  /* Below M the menvcfg enables decide; in U senvcfg's too. */
  csr_write(0x30a, 0);
  csr_write(0x10a, 0);
  trap_arm(); run_in_mode(PRV_S, do_cbo_zero, (u64)cbo_buf); trap_disarm();
  check("cbo.zero-S-disabled", mtrap.cause, CAUSE_ILLEGAL);
  trap_arm(); run_in_mode(PRV_S, do_cbo_inval, (u64)cbo_buf); trap_disarm();
  check("cbo.inval-S-disabled", mtrap.cause, CAUSE_ILLEGAL);
  csr_write(0x30a, 0xf0);
  check("menvcfg-cbo-bits", csr_read(0x30a), 0xf0);
  cbo_buf[0] = 0xff;
  trap_arm(); run_in_mode(PRV_S, do_cbo_zero, (u64)cbo_buf); trap_disarm();
  check("cbo.zero-S-enabled", mtrap.count, 0);
  check("cbo.zero-S-wrote", cbo_buf[0], 0);
  trap_arm(); run_in_mode(PRV_U, do_cbo_clean, (u64)cbo_buf); trap_disarm();
  check("cbo.clean-U-senvcfg-off", mtrap.cause, CAUSE_ILLEGAL);
  csr_write(0x10a, 0xf0);
  trap_arm(); run_in_mode(PRV_U, do_cbo_clean, (u64)cbo_buf); trap_disarm();
  check("cbo.clean-U-enabled", mtrap.count, 0);
  csr_write(0x30a, 0);
  csr_write(0x10a, 0);
  /* A block outside memory: the store of cbo.zero faults with the block's address. */
  trap_arm(); do_cbo_zero(0x90000000UL + 0x47); trap_disarm();
  check("cbo.zero-fault-cause", mtrap.cause, CAUSE_STORE_ACCESS);
  check("cbo.zero-fault-tval", mtrap.tval, 0x90000000UL + 0x40);
}

/* ---- Zawrs ---- */
static u64 do_wrs_nto(u64 arg) { (void)arg; asm volatile(".4byte 0x00d00073"); return 0; }
static u64 do_wrs_sto(u64 arg) { (void)arg; asm volatile(".4byte 0x01d00073"); return 0; }

static void test_zawrs(void) {
  trap_arm(); do_wrs_nto(0); do_wrs_sto(0); trap_disarm();
  check("wrs-M", mtrap.count, 0);
  csr_set(mstatus, MSTATUS_TW);
  trap_arm(); run_in_mode(PRV_U, do_wrs_nto, 0); trap_disarm();
  check("wrs.nto-U-TW-illegal", mtrap.cause, CAUSE_ILLEGAL);
  trap_arm(); run_in_mode(PRV_U, do_wrs_sto, 0); trap_disarm();
  check("wrs.sto-U-TW-ok", mtrap.count, 0);
  csr_clear(mstatus, MSTATUS_TW);
  trap_arm(); run_in_mode(PRV_S, do_wrs_nto, 0); trap_disarm();
  check("wrs.nto-S-ok", mtrap.count, 0);
}

/* ---- Zkr ---- */
static u64 do_seed(u64 arg) { (void)arg; u64 r; asm volatile("csrrw %0, 0x015, x0" : "=r"(r)); return r; }

static void test_zkr(void) {
  u64 a = do_seed(0), b = do_seed(0), c = do_seed(0);
  check("seed-opst-es16", a >> 30, 2);
  check("seed-reserved-zero", (a >> 16) & 0x3fff, 0);
  /* three 16-bit draws all equal: 1 in 2^32 for a working source */
  check("seed-varies", a == b && b == c, 0);
  trap_arm(); asm volatile("csrr t0, 0x015" ::: "t0"); trap_disarm();
  check("seed-read-only-access-illegal", mtrap.cause, CAUSE_ILLEGAL);
  trap_arm(); run_in_mode(PRV_S, do_seed, 0); trap_disarm();
  check("seed-S-without-sseed", mtrap.cause, CAUSE_ILLEGAL);
  csr_write(0x747, 0x300);
  check("mseccfg-useed-sseed", csr_read(0x747), 0x300);
  trap_arm(); u64 s = run_in_mode(PRV_S, do_seed, 0); trap_disarm();
  check("seed-S-with-sseed", mtrap.count == 0 && (s >> 30) == 2, 1);
  trap_arm(); u64 u = run_in_mode(PRV_U, do_seed, 0); trap_disarm();
  check("seed-U-with-useed", mtrap.count == 0 && (u >> 30) == 2, 1);
  csr_write(0x747, 0x100);
  trap_arm(); run_in_mode(PRV_S, do_seed, 0); trap_disarm();
  check("seed-S-useed-only", mtrap.cause, CAUSE_ILLEGAL);
  csr_write(0x747, 0);
}

int main(void) {
  test_zicond();
  test_zfa();
  test_zacas();
  test_mop();
  test_zcb();
  test_ctzw();
  test_zicbo();
  test_zawrs();
  test_zkr();
  finish();
}
