// tsqemu-riscv64 -g: the program tests/gdbstub-user.test.js debugs with gdb (built -static -g -O0).
#include <stdio.h>
volatile int counter = 5;
int square(int x) { return x * x; }
int main(int argc, char **argv) {
  int local = 41;
  local += argc;
  counter = square(local);
  printf("counter=%d\n", counter);
  return 3;
}
