/* AT_HWCAP and riscv_hwprobe (nr 258) as the program sees them: prints "hwcap=<hex>" and one
 * "key <k> = <value>" line per key 0..10 (key -1 when the kernel does not know it), then the
 * WHICH_CPUS answer for the IMA_EXT_0 value just read and for an impossible one. */
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <sys/auxv.h>
#include <sys/syscall.h>

struct pair { int64_t key; uint64_t value; };

static long hwprobe(struct pair *p, long n, long setsize, unsigned long *cpus, unsigned flags) {
    return syscall(258, p, n, setsize, cpus, flags);
}

int main(void) {
    printf("hwcap=%lx\n", getauxval(AT_HWCAP));
    struct pair p[11];
    for (int i = 0; i < 11; i++) { p[i].key = i; p[i].value = 0xdead; }
    long r = hwprobe(p, 11, 0, NULL, 0);
    printf("ret=%ld\n", r);
    if (r != 0) return 1;
    for (int i = 0; i < 11; i++) printf("key %d: %lld = %llx\n", i, (long long)p[i].key, (unsigned long long)p[i].value);
    unsigned long cpus = 1;
    struct pair q = { 4, p[4].value };
    r = hwprobe(&q, 1, sizeof cpus, &cpus, 1);
    printf("which-match ret=%ld cpus=%lx\n", r, cpus);
    cpus = 1;
    q.value = p[4].value | (1ULL << 62);
    r = hwprobe(&q, 1, sizeof cpus, &cpus, 1);
    printf("which-miss ret=%ld cpus=%lx\n", r, cpus);
    printf("badflags ret=%ld\n", hwprobe(p, 1, 0, NULL, 2) == -1 ? -1L : 0L);
    return 0;
}
