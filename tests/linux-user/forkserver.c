/* A fork after the first one (tsqemu hands it to its spare emulator, the fork server) must see
 * exactly what a fresh fork sees: memory written since, fds opened since at their numbers (a
 * pipe, dup2 to 7 and 300, O_NONBLOCK, a shared file offset, close-on-exec), the cwd, umask,
 * ignored and handled signals, the blocked mask; a pipe's reader gets EOF when the writers
 * exit (no spare holds a copy); the child forks again (its own spare); vfork + exec of itself. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char big[1 << 20];
static volatile int handled;
static void on_usr2(int s) { (void)s; handled++; }

static int wait_child(pid_t c) { int st; waitpid(c, &st, 0); return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st); }

static void report(const char *who) {
  char cwd[256];
  struct sigaction sa;
  sigset_t m;
  sigprocmask(SIG_BLOCK, NULL, &m);
  sigaction(SIGUSR1, NULL, &sa);
  int ign = sa.sa_handler == SIG_IGN;
  sigaction(SIGUSR2, NULL, &sa);
  mode_t um = umask(0); umask(um);
  printf("%s: big %d %d cwd %s umask %03o usr1 %s usr2 %s blocked %d\n", who, big[4096], big[sizeof big - 1],
         getcwd(cwd, sizeof cwd), (unsigned)um, ign ? "ign" : "dfl", sa.sa_handler == on_usr2 ? "handler" : "?",
         sigismember(&m, SIGHUP));
  printf("%s: fd7 %d fd300 %d nonblock %d cloexec %d\n", who, fcntl(7, F_GETFD) >= 0, fcntl(300, F_GETFD) >= 0,
         (fcntl(7, F_GETFL) & O_NONBLOCK) != 0, fcntl(8, F_GETFD) & FD_CLOEXEC);
  fflush(stdout);
}

int main(int argc, char **argv) {
  if (argc > 1) { printf("exec'd: %s fd7 %d fd8 %d\n", argv[1], fcntl(7, F_GETFD) >= 0, fcntl(8, F_GETFD) >= 0); return 3; }
  setvbuf(stdout, NULL, _IOLBF, 0);
  pid_t c = fork(); /* the first: tsqemu starts its spare now */
  if (c == 0) _exit(0);
  printf("first %d\n", wait_child(c));
  /* What changed since. */
  memset(big, 1, sizeof big);
  big[sizeof big - 1] = 9;
  int p[2];
  if (pipe(p)) return 1;
  dup2(p[1], 7);
  dup2(p[1], 300);
  close(p[1]);
  fcntl(7, F_SETFL, O_NONBLOCK);
  char tmpl[] = "/tmp/tsqemu-forkserver-XXXXXX";
  int f = mkstemp(tmpl);
  unlink(tmpl);
  dup2(f, 8); close(f);
  fcntl(8, F_SETFD, FD_CLOEXEC);
  if (chdir("/tmp")) return 1;
  umask(027);
  signal(SIGUSR1, SIG_IGN);
  signal(SIGUSR2, on_usr2);
  sigset_t m; sigemptyset(&m); sigaddset(&m, SIGHUP); sigprocmask(SIG_BLOCK, &m, NULL);
  report("parent");
  c = fork();
  if (c == 0) {
    report("child");
    if (write(7, "x", 1) != 1 || write(300, "y", 1) != 1 || write(8, "12345", 5) != 5) _exit(1);
    raise(SIGUSR2);
    pid_t g = fork(); /* the child's own first fork, then its spare's */
    if (g == 0) _exit(11);
    int r1 = wait_child(g);
    g = fork();
    if (g == 0) { if (write(7, "z", 1) != 1) _exit(1); _exit(12); }
    printf("grandchildren %d %d handled %d\n", r1, wait_child(g), handled);
    _exit(5);
  }
  close(7); close(300);
  char buf[16];
  ssize_t n, total = 0;
  fcntl(p[0], F_SETFL, 0);
  while ((n = read(p[0], buf + total, sizeof buf - total)) > 0) total += n; /* EOF: every writer gone */
  buf[total] = 0;
  printf("child %d read %s eof %zd offset %ld\n", wait_child(c), buf, n, (long)lseek(8, 0, SEEK_CUR));
  c = vfork();
  if (c == 0) { execl("/proc/self/exe", argv[0], "again", (char *)NULL); _exit(127); }
  printf("vfork child %d\n", wait_child(c));
  return 0;
}
