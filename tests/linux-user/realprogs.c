/* What Debian's riscv64 programs found different from qemu-riscv64 (scripts/user-debian-diff.js):
 * readdir gives the host's order (find, ls -U, tar: was sorted by name), getrusage is the
 * host's (RUSAGE_SELF's ru_maxrss was 0, `who` was ignored, children were zeros), and a process
 * killed by its own SIGKILL dies of it (the emulator crashed: uv_signal_start EINVAL). */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
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
