/* The second program tests/gdbstub-more.test.js debugs on QEMU and on tsqemu: calls to step
 * over and into, a string for x/s and find, a double for the FP registers. */
#include "common.h"

volatile u64 counter __attribute__((aligned(4096)));
u64 total __attribute__((aligned(4096))) = 7;
char message[64] __attribute__((aligned(4096))) = "hello from the guest";
volatile double scale = 1.5;

__attribute__((noinline)) u64 square(u64 x)
{
    return x * x;
}

__attribute__((noinline)) u64 work(u64 i)
{
    u64 s = square(i);
    counter += i;
    total = total * 3 + s;
    scale = scale * 2.0;
    return total;
}

int main(void)
{
    for (u64 i = 0;; i++) {
        work(i);
        message[0] = 'h';
    }
    return 0;
}
