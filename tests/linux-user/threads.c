/* 8 pthreads: a mutex-protected counter, a condition variable barrier, and joins. */
#include <pthread.h>
#include <stdio.h>

#define N 8
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static long counter;
static int arrived, go;

static void *worker(void *arg) {
  long id = (long)arg;
  for (int i = 0; i < 20000; i++) {
    pthread_mutex_lock(&lock);
    counter++;
    pthread_mutex_unlock(&lock);
  }
  pthread_mutex_lock(&lock);
  arrived++;
  pthread_cond_broadcast(&cond);
  while (!go) pthread_cond_wait(&cond, &lock);
  pthread_mutex_unlock(&lock);
  return (void *)(id * id);
}

int main(void) {
  pthread_t t[N];
  for (long i = 0; i < N; i++) pthread_create(&t[i], NULL, worker, (void *)i);
  pthread_mutex_lock(&lock);
  while (arrived < N) pthread_cond_wait(&cond, &lock);
  go = 1;
  pthread_cond_broadcast(&cond);
  pthread_mutex_unlock(&lock);
  long sum = 0;
  for (int i = 0; i < N; i++) {
    void *r;
    pthread_join(t[i], &r);
    sum += (long)r;
  }
  printf("counter=%ld sum=%ld\n", counter, sum);
  return 0;
}
