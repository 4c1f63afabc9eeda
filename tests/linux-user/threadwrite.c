/* A thread that shares its worker with another (tsqemu's thread hosting) makes calls that never
 * wait: getrlimit, prlimit64, small writes to a pipe with room, /dev/null, a regular file of any
 * size. With "pipe": it fills a pipe whose reader is still waiting on a condition variable (the
 * writes that find the pipe full must not block the reader's worker). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/uio.h>
#include <unistd.h>

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t c = PTHREAD_COND_INITIALIZER;
static int go;
static int pfd[2];
static long got;

static void wait_go(void) {
  pthread_mutex_lock(&m);
  while (!go) pthread_cond_wait(&c, &m);
  pthread_mutex_unlock(&m);
}

static void set_go(void) {
  pthread_mutex_lock(&m);
  go = 1;
  pthread_cond_broadcast(&c);
  pthread_mutex_unlock(&m);
}

static void *waiter(void *a) { (void)a; wait_go(); return 0; }

static void *reader(void *a) {
  (void)a;
  wait_go();
  char buf[8192];
  ssize_t n;
  while ((n = read(pfd[0], buf, sizeof buf)) > 0) got += n;
  return 0;
}

int main(int argc, char **argv) {
  static char big[100000];
  pthread_t t;
  if (argc > 2 && strcmp(argv[2], "pipe") == 0) {
    if (pipe(pfd) != 0) return 1;
    pthread_create(&t, 0, reader, 0);
    memset(big, 'p', 4096);
    set_go();
    for (int i = 0; i < 40; i++) if (write(pfd[1], big, 4096) != 4096) return 2;
    close(pfd[1]);
    pthread_join(t, 0);
    printf("pipe read %ld\n", got);
    return 0;
  }
  int nul = open("/dev/null", O_WRONLY); /* (open may wait: before the thread) */
  int fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC, 0600);
  pthread_create(&t, 0, waiter, 0);
  struct rlimit r, s;
  if (getrlimit(RLIMIT_NOFILE, &r) != 0 || prlimit(0, RLIMIT_STACK, 0, &s) != 0) return 3;
  if (write(1, "line 1\n", 7) != 7) return 4;
  struct iovec iov[2] = { { "line ", 5 }, { "2\n", 2 } };
  if (writev(1, iov, 2) != 7) return 5;
  if (nul < 0 || write(nul, big, 1) != 1) return 6;
  memset(big, 'f', sizeof big);
  if (fd < 0 || write(fd, big, sizeof big) != (ssize_t)sizeof big || pwrite(fd, "g", 1, 5) != 1) return 7;
  set_go();
  pthread_join(t, 0);
  close(fd);
  close(nul);
  printf("nofile %d stack %d\n", r.rlim_cur > 0, s.rlim_cur > 0);
  return 0;
}
