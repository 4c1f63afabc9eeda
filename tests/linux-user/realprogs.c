/* What Debian's riscv64 programs found different from qemu-riscv64 (scripts/user-debian-diff.js):
 * readdir gives the host's order (find, ls -U, tar: was sorted by name), getrusage is the
 * host's (RUSAGE_SELF's ru_maxrss was 0, `who` was ignored, children were zeros), the CPU clocks
 * of clock_getcpuclockid/pthread_getcpuclockid read (were EINVAL), and a process killed by its
 * own SIGKILL dies of it (the emulator crashed: uv_signal_start EINVAL). */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <errno.h>
#include <pthread.h>
#include <time.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/times.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc < 2 || chdir(argv[1]) != 0) return 2;
  /* readdir order: the host's for the same names made in the same order. */
  mkdir("d", 0755);
  const char *names[] = { "zeta", "alpha", "mid", "b", "a0", "yy", "c.txt", "deep", "Q", "_x" };
  for (unsigned i = 0; i < sizeof names / sizeof names[0]; i++) {
    char p[64];
    snprintf(p, sizeof p, "d/%s", names[i]);
    FILE *f = fopen(p, "w");
    if (f) fclose(f);
  }
  DIR *d = opendir("d");
  struct dirent *e;
  printf("readdir:");
  while ((e = readdir(d)) != NULL) printf(" %s", e->d_name);
  printf("\n");
  closedir(d);

  struct rusage ru;
  memset(&ru, 0, sizeof ru);
  printf("self: %d maxrss>0 %d\n", getrusage(RUSAGE_SELF, &ru), ru.ru_maxrss > 0);
  printf("thread: %d maxrss>0 %d\n", getrusage(RUSAGE_THREAD, &ru), ru.ru_maxrss > 0);
  errno = 0;
  printf("bad who: %d %s\n", getrusage(5, &ru), strerror(errno));
  memset(&ru, 0, sizeof ru);
  printf("children before: %d maxrss %ld\n", getrusage(RUSAGE_CHILDREN, &ru), ru.ru_maxrss);

  /* CPU clocks of the process and the thread (Python's time.pthread_getcpuclockid test). */
  clockid_t pc, tc;
  struct timespec t1 = { 0, 0 }, t2 = { 0, 0 }, res;
  int r1 = clock_getcpuclockid(0, &pc), r2 = pthread_getcpuclockid(pthread_self(), &tc);
  int g1 = clock_gettime(pc, &t1), g2 = clock_gettime(tc, &t2), g3 = clock_getres(tc, &res);
  printf("cpu clocks: %d %d gettime %d %d getres %d nonzero %d %d\n", r1, r2, g1, g2, g3,
         t1.tv_sec || t1.tv_nsec, t2.tv_sec || t2.tv_nsec);
  errno = 0;
  printf("bad cpu clock: %d %s\n", clock_gettime((clockid_t)((~(clockid_t)0x7ffff0) << 3 | 2), &t1), strerror(errno));

  /* A memfd's seals (F_ADD_SEALS / F_GET_SEALS were EINVAL). */
  int mfd = memfd_create("seals", MFD_ALLOW_SEALING);
  int a = fcntl(mfd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW);
  int g = fcntl(mfd, F_GET_SEALS);
  errno = 0;
  int tr = ftruncate(mfd, 4096);
  printf("seals: add %d get %#x truncate %d %s\n", a, g, tr, strerror(errno));
  close(mfd);

  pid_t pid = fork();
  if (pid == 0) {
    kill(getpid(), SIGKILL);
    _exit(3);
  }
  int st = 0;
  waitpid(pid, &st, 0);
  printf("child: signaled %d sig %d\n", WIFSIGNALED(st), WIFSIGNALED(st) ? WTERMSIG(st) : -1);
  memset(&ru, 0, sizeof ru);
  printf("children after: %d maxrss>0 %d\n", getrusage(RUSAGE_CHILDREN, &ru), ru.ru_maxrss > 0);
  fflush(stdout);
  kill(getpid(), SIGKILL);
  return 0;
}
