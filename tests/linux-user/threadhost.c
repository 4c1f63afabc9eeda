/* Several guest threads per worker (src/linux-user/thread-host.ts): contended mutexes and
 * condition variables (futex waits parked beside running threads), timed waits, a nanosleep
 * interrupted by a signal from another thread, signals to a given thread, AMOs and LR/SC
 * across threads, thread exits and joins, mmap/munmap by one thread while others store.
 * Prints only what is the same on every run (tests/user-thread-hosting.test.js compares it
 * with qemu-riscv64's). */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define NT 6
#define ROUNDS 20000

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static long locked_count;
static atomic_long amo_count;
static long cas_count;

static void *counter(void *arg) {
    (void)arg;
    for (int i = 0; i < ROUNDS; i++) {
        pthread_mutex_lock(&mu);
        locked_count++;
        pthread_mutex_unlock(&mu);
        atomic_fetch_add(&amo_count, 1);
        long old = __atomic_load_n(&cas_count, __ATOMIC_RELAXED);
        while (!__atomic_compare_exchange_n(&cas_count, &old, old + 1, 1, __ATOMIC_SEQ_CST, __ATOMIC_RELAXED)) {}
    }
    return NULL;
}

static pthread_mutex_t pm = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t pc = PTHREAD_COND_INITIALIZER;
static int turn, pings;

static void *pingpong(void *arg) {
    int me = (int)(intptr_t)arg;
    for (int i = 0; i < 2000; i++) {
        pthread_mutex_lock(&pm);
        while (turn != me) pthread_cond_wait(&pc, &pm);
        pings++;
        turn = !me;
        pthread_cond_broadcast(&pc);
        pthread_mutex_unlock(&pm);
    }
    return NULL;
}

static volatile sig_atomic_t usr1_tid;
static void on_usr1(int sig) { (void)sig; usr1_tid = (sig_atomic_t)syscall(SYS_gettid); }

static atomic_int sleeper_ready, sleeper_done;
static pid_t sleeper_tid;
static int sleep_result, sleep_errno;
static struct timespec sleep_rem;

static void *sleeper(void *arg) {
    (void)arg;
    sleeper_tid = (pid_t)syscall(SYS_gettid);
    atomic_store(&sleeper_ready, 1);
    struct timespec req = { 5, 0 };
    do {
        sleep_rem = (struct timespec){ 0, 0 };
        sleep_result = nanosleep(&req, &sleep_rem);
        sleep_errno = errno;
    } while (sleep_result == 0);
    atomic_store(&sleeper_done, 1);
    return NULL;
}

static atomic_int spin_stop;
static void *spinner(void *arg) {
    volatile unsigned long *x = arg;
    while (!atomic_load(&spin_stop)) (*x)++;
    return NULL;
}

static atomic_int mapper_stop;
static void *mapper(void *arg) {
    (void)arg;
    while (!atomic_load(&mapper_stop)) {
        char *p = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) abort();
        memset(p, 0x5a, 1 << 20);
        munmap(p, 1 << 20);
    }
    return NULL;
}

static void *storer(void *arg) {
    unsigned *buf = arg;
    int bad = 0;
    for (unsigned r = 0; r < 40; r++) {
        for (unsigned i = 0; i < 65536; i++) buf[i] = i * 2654435761u + r;
        for (unsigned i = 0; i < 65536; i++) bad += buf[i] != i * 2654435761u + r;
    }
    return (void *)(intptr_t)bad;
}

static int exited[NT];
static void *short_lived(void *arg) {
    int i = (int)(intptr_t)arg;
    volatile unsigned long s = 0;
    for (unsigned long k = 0; k < 20000ul * (unsigned long)(i + 1); k++) s += k;
    exited[i] = 1;
    return (void *)(intptr_t)(i * 10);
}

int main(void) {
    pthread_t t[NT];
    for (int i = 0; i < NT; i++) pthread_create(&t[i], NULL, counter, NULL);
    for (int i = 0; i < NT; i++) pthread_join(t[i], NULL);
    printf("mutex %ld amo %ld lr/sc %ld (want %d)\n", locked_count, (long)atomic_load(&amo_count), cas_count, NT * ROUNDS);

    pthread_t a, b;
    pthread_create(&a, NULL, pingpong, (void *)0);
    pthread_create(&b, NULL, pingpong, (void *)1);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    printf("condvar ping-pong %d\n", pings);

    /* A timed lock on a mutex another thread holds: ETIMEDOUT after the deadline. */
    pthread_mutex_lock(&mu);
    struct timespec dl;
    clock_gettime(CLOCK_REALTIME, &dl);
    dl.tv_nsec += 50 * 1000000;
    if (dl.tv_nsec >= 1000000000) { dl.tv_sec++; dl.tv_nsec -= 1000000000; }
    int tl = -1;
    pthread_t holder_test;
    struct tl_arg { struct timespec dl; int r; } ta = { dl, -1 };
    void *tl_fn(void *p);
    pthread_create(&holder_test, NULL, tl_fn, &ta);
    pthread_join(holder_test, NULL);
    tl = ta.r;
    pthread_mutex_unlock(&mu);
    printf("timedlock: %s\n", tl == ETIMEDOUT ? "ETIMEDOUT" : strerror(tl));

    /* A signal to one thread interrupts its nanosleep (EINTR, time left), while compute
     * threads share its worker. */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sigaction(SIGUSR1, &sa, NULL);
    unsigned long spins[2] = { 0, 0 };
    pthread_t sp[2], sl;
    for (int i = 0; i < 2; i++) pthread_create(&sp[i], NULL, spinner, &spins[i]);
    pthread_create(&sl, NULL, sleeper, NULL);
    while (!atomic_load(&sleeper_ready)) sched_yield();
    while (!atomic_load(&sleeper_done)) {
        struct timespec d = { 0, 30 * 1000000 };
        nanosleep(&d, NULL);
        if (!atomic_load(&sleeper_done)) pthread_kill(sl, SIGUSR1);
    }
    pthread_join(sl, NULL);
    atomic_store(&spin_stop, 1);
    for (int i = 0; i < 2; i++) pthread_join(sp[i], NULL);
    printf("nanosleep: %d %s, rem %s, handler ran on the sleeper: %s\n", sleep_result, sleep_errno == EINTR ? "EINTR" : strerror(sleep_errno),
           sleep_rem.tv_sec < 5 && (sleep_rem.tv_sec > 0 || sleep_rem.tv_nsec > 0) ? "in (0, 5 s)" : "wrong",
           usr1_tid == sleeper_tid ? "yes" : "no");

    /* mmap/munmap in one thread while others store and check their buffers. */
    pthread_t mp, st[4];
    unsigned *bufs[4];
    pthread_create(&mp, NULL, mapper, NULL);
    for (int i = 0; i < 4; i++) {
        bufs[i] = malloc(65536 * sizeof(unsigned));
        pthread_create(&st[i], NULL, storer, bufs[i]);
    }
    long bad = 0;
    for (int i = 0; i < 4; i++) { void *r; pthread_join(st[i], &r); bad += (intptr_t)r; free(bufs[i]); }
    atomic_store(&mapper_stop, 1);
    pthread_join(mp, NULL);
    printf("stores lost while another thread maps: %ld\n", bad);

    /* Threads that end at different times; each join sees its own result. */
    for (int i = 0; i < NT; i++) pthread_create(&t[i], NULL, short_lived, (void *)(intptr_t)i);
    int sum = 0, all = 1;
    for (int i = NT - 1; i >= 0; i--) { void *r; pthread_join(t[i], &r); sum += (int)(intptr_t)r; all &= exited[i]; }
    printf("joined %d threads, results %d, all exited %d\n", NT, sum, all);
    return 0;
}

void *tl_fn(void *p) {
    struct tl_arg { struct timespec dl; int r; } *a = p;
    a->r = pthread_mutex_timedlock(&mu, &a->dl);
    return NULL;
}
