/* vfrec7.v / vfrsqrt7.v edge cases (subnormals, overflow per rounding mode, zeros, infinities,
 * NaNs, negatives) at SEW 32 and 64, all five rounding modes: results and fflags. */
#include <stdio.h>
#include <stdint.h>
int main(void) {
  static uint32_t in[16] = { 0x00000001, 0x80000001, 0x00200000, 0x80300000, 0x00400000, 0x00600000, 0, 0x80000000,
    0x7f800000, 0xff800000, 0x7fc00000, 0x7fa00000, 0x7f7fffff, 0x00800000, 0x7e800000, 0xbf800000 };
  static uint64_t din[8] = { 1, 0x8000000000000003ull, 0x0004000000000000ull, 0x0008000000000000ull, 0x7fefffffffffffffull, 0x7fd0000000000000ull, 0x3ff8000000000000ull, 0xfff0000000000000ull };
  for (int rm = 0; rm < 5; rm++) {
    uint32_t o1[16], o2[16]; uint64_t d1[8], d2[8]; unsigned long fl1, fl2;
    asm volatile("fsrm %0\ncsrw fflags, zero" :: "r"(rm));
    asm volatile(".option push\n.option arch,+v\nvsetivli zero,16,e32,m4,ta,ma\nvle32.v v4,(%1)\nvfrec7.v v8,v4\nvse32.v v8,(%2)\nvfrsqrt7.v v12,v4\nvse32.v v12,(%3)\ncsrr %0, fflags\n.option pop" : "=r"(fl1) : "r"(in), "r"(o1), "r"(o2) : "memory");
    asm volatile("csrw fflags, zero\n.option push\n.option arch,+v\nvsetivli zero,8,e64,m4,ta,ma\nvle64.v v4,(%1)\nvfrec7.v v8,v4\nvse64.v v8,(%2)\nvfrsqrt7.v v12,v4\nvse64.v v12,(%3)\ncsrr %0, fflags\n.option pop" : "=r"(fl2) : "r"(din), "r"(d1), "r"(d2) : "memory");
    printf("rm %d fl %lx %lx:", rm, fl1, fl2);
    for (int i = 0; i < 16; i++) printf(" %x/%x", o1[i], o2[i]);
    for (int i = 0; i < 8; i++) printf(" %llx/%llx", (unsigned long long)d1[i], (unsigned long long)d2[i]);
    printf("\n");
  }
  return 0;
}
