/* tsqemu-riscv64 -g with threads (tests/gdbstub-user-threads.test.js). The main thread starts
 * NTHREADS workers one by one; each says it is ready and blocks on its own semaphore (a futex
 * wait). With all of them blocked, main calls all_ready (a breakpoint: gdb sees every thread),
 * then lets the workers go one at a time, joining each before the next (so the order of the
 * breakpoint hits at worker_mark, and the threads gdb sees at each, are fixed). */
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <unistd.h>

#define NTHREADS 3

__thread int tls_value = 7;
static int done[NTHREADS];
static sem_t ready, go[NTHREADS];

void worker_mark(int id) {
  done[id] = tls_value;
}

void all_ready(int n) {
  done[0] = n;
}

static void *worker(void *arg) {
  int id = (int)(long)arg;
  tls_value = 100 + id;
  sem_post(&ready);
  sem_wait(&go[id]);
  worker_mark(id);
  return NULL;
}

int main(void) {
  pthread_t t[NTHREADS];
  sem_init(&ready, 0, 0);
  for (int i = 0; i < NTHREADS; i++) {
    sem_init(&go[i], 0, 0);
    pthread_create(&t[i], NULL, worker, (void *)(long)i);
    sem_wait(&ready);
  }
  usleep(300000); /* the last worker gets from sem_post into its sem_wait */
  all_ready(NTHREADS);
  for (int i = 0; i < NTHREADS; i++) {
    sem_post(&go[i]);
    pthread_join(t[i], NULL);
  }
  printf("%d %d %d %d\n", done[0], done[1], done[2], tls_value);
  return 0;
}
