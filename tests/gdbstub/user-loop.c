// tsqemu-riscv64 -g: a program that never ends, for Ctrl-C (tests/gdbstub-user.test.js).
volatile long n;
int main(void) { for (;;) n++; }
