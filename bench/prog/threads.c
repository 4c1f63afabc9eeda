/* A fixed total of compute split over N threads (argv[1], default 1): each thread runs TOTAL/N
 * rounds of an integer hash and a small private table walk; prints a line when all are done.
 * bench/threads.js compares 1 and 8 guest threads (the same work) on 2 host cores. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define TOTAL (1u << 27)

struct job { unsigned start, count; uint64_t sum; };

static void *work(void *arg) {
    struct job *j = arg;
    uint32_t tab[256];
    for (unsigned i = 0; i < 256; i++) tab[i] = i * 2654435761u;
    uint64_t s = 0;
    for (unsigned i = j->start; i < j->start + j->count; i++) {
        uint32_t x = i * 0x9e3779b9u;
        x ^= x >> 15; x *= 0x85ebca6bu; x ^= x >> 13;
        tab[x & 255] += x;
        s += tab[(x >> 8) & 255] ^ x;
    }
    j->sum = s;
    return NULL;
}

int main(int argc, char **argv) {
    unsigned n = argc > 1 ? (unsigned)atoi(argv[1]) : 1;
    if (n < 1 || n > 64) return 2;
    pthread_t t[64];
    struct job jobs[64];
    unsigned per = TOTAL / n;
    for (unsigned i = 0; i < n; i++) {
        jobs[i].start = i * per;
        jobs[i].count = i == n - 1 ? TOTAL - i * per : per;
        if (pthread_create(&t[i], NULL, work, &jobs[i])) return 3;
    }
    uint64_t sum = 0;
    for (unsigned i = 0; i < n; i++) { pthread_join(t[i], NULL); sum += jobs[i].sum; }
    printf("threads=%u done %llx\n", n, (unsigned long long)sum);
    return 0;
}
