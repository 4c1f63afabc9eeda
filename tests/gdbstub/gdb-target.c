/* The program tests/gdbstub.test.js debugs with gdb-multiarch, on QEMU and on tsqemu. */
#include "common.h"

/* Data on pages of their own: stores next to code would invalidate its translated blocks. */
volatile u64 counter __attribute__((aligned(4096)));
u64 total __attribute__((aligned(4096))) = 7;

__attribute__((noinline)) u64 work(u64 i)
{
    counter += i;
    total = total * 3 + i;
    return total;
}

int main(void)
{
    for (u64 i = 0;; i++)
        work(i);
    return 0;
}
