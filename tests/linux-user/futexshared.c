// A futex word in MAP_SHARED memory shared by a parent and its forked child (LTP's checkpoints):
// the child waits (shared futex, not FUTEX_PRIVATE), the parent wakes it and counts the woken;
// a timed wait that nobody wakes ends in ETIMEDOUT.
#include <errno.h>
#include <linux/futex.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long futex(uint32_t *w, int op, uint32_t val, const struct timespec *t) {
  return syscall(SYS_futex, w, op, val, t, NULL, 0);
}

int main(void) {
  uint32_t *w = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (w == MAP_FAILED) return 1;
  pid_t pid = fork();
  if (pid == 0) {
    struct timespec t = { 20, 0 };
    long r = futex(&w[0], FUTEX_WAIT, 0, &t);
    printf("child: wait %ld errno %s\n", r, r ? (errno == ETIMEDOUT ? "ETIMEDOUT" : "other") : "-");
    fflush(stdout);
    _exit(r == 0 ? 0 : 1);
  }
  // Wake until the child is woken (it may not have started waiting yet): 1 woken at last.
  long woken = 0;
  for (int i = 0; i < 4000 && woken == 0; i++) {
    woken = futex(&w[0], FUTEX_WAKE, 1, NULL);
    if (woken == 0) usleep(5000);
  }
  printf("parent: woke %ld\n", woken);
  int st;
  waitpid(pid, &st, 0);
  printf("child exit %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
  // Nobody waits: FUTEX_WAKE wakes 0; a short wait times out.
  printf("wake none: %ld\n", futex(&w[1], FUTEX_WAKE, 1, NULL));
  struct timespec t = { 0, 20000000 };
  long r = futex(&w[1], FUTEX_WAIT, 0, &t);
  printf("timed wait: %ld %s\n", r, r && errno == ETIMEDOUT ? "ETIMEDOUT" : "?");
  // The word differs: EAGAIN at once.
  w[2] = 5;
  r = futex(&w[2], FUTEX_WAIT, 4, &t);
  printf("differs: %ld %s\n", r, r && errno == EAGAIN ? "EAGAIN" : "?");
  // A negative count to wake or requeue: EINVAL.
  r = syscall(SYS_futex, &w[2], FUTEX_CMP_REQUEUE, -1, 1, &w[3], 5);
  printf("requeue -1: %ld %s\n", r, r && errno == EINVAL ? "EINVAL" : "?");
  r = syscall(SYS_futex, &w[2], FUTEX_CMP_REQUEUE, 1, -1, &w[3], 5);
  printf("requeue 1 -1: %ld %s\n", r, r && errno == EINVAL ? "EINVAL" : "?");
  return 0;
}
