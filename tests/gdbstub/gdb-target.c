/* The program tests/gdbstub.test.js debugs with gdb-multiarch, on QEMU and on tsqemu. */
#include "common.h"

volatile u64 counter;
u64 total = 7;

__attribute__((noinline)) u64 work(u64 i)
{
    counter += i;
    total = total * 3 + i;
    return total;
}

int main(void)
{
    for (u64 i = 0; i < 100000; i++)
        work(i);
    for (;;)
        counter++;
    return 0;
}
