/* Zabha (byte/halfword AMOs, amocas.b/h with Zacas): QEMU 7.2 lacks it, so the expected values
 * are written from the specification's text (the old value sign-extended into rd, the memory
 * byte/halfword replaced, its neighbours untouched; a misaligned halfword AMO raises the
 * store/AMO address-misaligned exception). Also on a device page: the 16550's scratch register.
 * Run by tests/tcg-ext-zabha.test.js with -cpu rv64,zabha=on,zacas=on. */
#include "common.h"

static volatile u64 mem[2] __attribute__((aligned(16)));

/* One AMO: f7 = funct5 << 2, f3 = 0 (.b) or 1 (.h). */
#define AMO(f3, f7, rd, addr, src) \
  asm volatile(".insn r 0x2f, " #f3 ", " #f7 ", %0, %1, %2" : "=r"(rd) : "r"(addr), "r"(src) : "memory")
#define AMOCAS(f3, rd, addr, src) \
  asm volatile(".insn r 0x2f, " #f3 ", 0x14, %0, %1, %2" : "+r"(rd) : "r"(addr), "r"(src) : "memory")

#define BYTE(i) ((u64)&mem[0] + (i))

static void test_bytes(void) {
  u64 rd;
  mem[0] = 0x8877665544332211UL;
  AMO(0, 0x00, rd, BYTE(7), 0x1ffUL); /* amoadd.b: 0x88 + 0xff = 0x87 (carry dropped) */
  check("amoadd.b-old-sext", rd, 0xffffffffffffff88UL);
  check("amoadd.b-mem", mem[0], 0x8777665544332211UL);
  AMO(0, 0x04, rd, BYTE(1), 0xabUL); /* amoswap.b */
  check("amoswap.b-old", rd, 0x22);
  check("amoswap.b-mem", mem[0], 0x877766554433ab11UL);
  AMO(0, 0x10, rd, BYTE(2), 0xffUL); /* amoxor.b */
  check("amoxor.b", mem[0], 0x8777665544ccab11UL);
  AMO(0, 0x30, rd, BYTE(3), 0x0fUL); /* amoand.b */
  check("amoand.b", mem[0], 0x8777665504ccab11UL);
  AMO(0, 0x20, rd, BYTE(4), 0x80UL); /* amoor.b */
  check("amoor.b", mem[0], 0x877766d504ccab11UL);
  check("amoor.b-old", rd, 0x55);
  /* min/max: byte 6 = 0x77 (+119), byte 7 = 0x87 (-121) */
  AMO(0, 0x40, rd, BYTE(6), 0x80UL); /* amomin.b: min(119, -128) = -128 */
  check("amomin.b", mem[0], 0x878066d504ccab11UL);
  AMO(0, 0x50, rd, BYTE(7), 0x7fUL); /* amomax.b: max(-121, 127) = 127 */
  check("amomax.b", mem[0], 0x7f8066d504ccab11UL);
  check("amomax.b-old", rd, 0xffffffffffffff87UL);
  AMO(0, 0x60, rd, BYTE(6), 0x7fUL); /* amominu.b: minu(0x80, 0x7f) = 0x7f */
  check("amominu.b", mem[0], 0x7f7f66d504ccab11UL);
  AMO(0, 0x70, rd, BYTE(5), 0xffffffffffffff01UL); /* amomaxu.b: maxu(0x66, 0x01) = 0x66 (only the low byte counts) */
  check("amomaxu.b", mem[0], 0x7f7f66d504ccab11UL);
  AMO(0, 0x40, rd, BYTE(0), 0x00000000000001f0UL); /* amomin.b: rs2's byte 0xf0 = -16 < 0x11 */
  check("amomin.b-rs2-low-byte", mem[0], 0x7f7f66d504ccabf0UL);
}

static void test_halves(void) {
  u64 rd;
  mem[1] = 0x8000ffff12347fffUL;
  AMO(1, 0x00, rd, (u64)&mem[1], 1UL); /* amoadd.h: 0x7fff + 1 = 0x8000 */
  check("amoadd.h-old", rd, 0x7fff);
  check("amoadd.h-mem", mem[1], 0x8000ffff12348000UL);
  AMO(1, 0x40, rd, (u64)&mem[1] + 6, 0x7fffUL); /* amomin.h: min(-32768, 32767) */
  check("amomin.h-old-sext", rd, 0xffffffffffff8000UL);
  check("amomin.h-mem", mem[1], 0x8000ffff12348000UL);
  AMO(1, 0x70, rd, (u64)&mem[1] + 4, 0x1UL); /* amomaxu.h: maxu(0xffff, 1) */
  check("amomaxu.h", mem[1], 0x8000ffff12348000UL);
  AMO(1, 0x50, rd, (u64)&mem[1] + 4, 0x1UL); /* amomax.h: max(-1, 1) = 1 */
  check("amomax.h", mem[1], 0x8000000112348000UL);
  AMO(1, 0x04, rd, (u64)&mem[1] + 2, 0xdeadbeefUL); /* amoswap.h */
  check("amoswap.h", mem[1], 0x80000001beef8000UL);
  check("amoswap.h-old", rd, 0x1234);
  /* amocas.h: equal (rd's low half compared, its upper bits ignored) and different */
  rd = 0xabcdbeefUL;
  AMOCAS(1, rd, (u64)&mem[1] + 2, 0x5555UL);
  check("amocas.h-equal-rd", rd, 0xffffffffffffbeefUL);
  check("amocas.h-equal-mem", mem[1], 0x8000000155558000UL);
  rd = 0x1234;
  AMOCAS(1, rd, (u64)&mem[1] + 2, 0x6666UL);
  check("amocas.h-differ-rd", rd, 0x5555);
  check("amocas.h-differ-mem", mem[1], 0x8000000155558000UL);
  rd = 0xffffffffffffff80UL;
  AMOCAS(0, rd, (u64)&mem[1] + 7, 0x01UL);
  check("amocas.b-equal", mem[1], 0x0100000155558000UL);
  check("amocas.b-old", rd, 0xffffffffffffff80UL);
}

static void test_misaligned(void) {
  u64 rd = 0;
  trap_arm();
  AMO(1, 0x00, rd, (u64)&mem[1] + 1, 1UL);
  trap_disarm();
  check("amoadd.h-misaligned-cause", mtrap.cause, 6);
  check("amoadd.h-misaligned-tval", mtrap.tval, (u64)&mem[1] + 1);
  trap_arm();
  rd = 0;
  AMOCAS(1, rd, (u64)&mem[1] + 3, 1UL);
  trap_disarm();
  check("amocas.h-misaligned-cause", mtrap.cause, 6);
}

/* A device page: the 16550's scratch register (offset 7) holds what is written. */
static void test_mmio(void) {
  u64 rd;
  volatile u8 *scr = (volatile u8 *)(UART_BASE + 7);
  *scr = 0x90;
  AMO(0, 0x00, rd, (u64)scr, 0x05UL);
  check("amoadd.b-mmio-old", rd, 0xffffffffffffff90UL);
  check("amoadd.b-mmio-new", *scr, 0x95);
  AMO(0, 0x60, rd, (u64)scr, 0x10UL);
  check("amominu.b-mmio", *scr, 0x10);
  rd = 0x10;
  AMOCAS(0, rd, (u64)scr, 0x77UL);
  check("amocas.b-mmio", *scr, 0x77);
}

int main(void) {
  for (int i = 0; i < 3; i++) {
    test_bytes();
    test_halves();
    test_misaligned();
    test_mmio();
  }
  finish();
}
