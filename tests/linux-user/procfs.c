/* /proc/self as a program sees it: each check prints "name: ok" or "name: FAIL why". */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static void result(const char *name, int ok, const char *why) {
  printf("%s: %s%s\n", name, ok ? "ok" : "FAIL ", ok ? "" : why);
}

static ssize_t slurp(const char *path, char *buf, size_t size) {
  int fd = open(path, O_RDONLY);
  if (fd < 0) return -1;
  ssize_t n = 0, r;
  while (n < (ssize_t)size && (r = read(fd, buf + n, size - n)) > 0) n += r;
  close(fd);
  return n;
}

static char buf[1 << 20], want[1 << 20];

int main(int argc, char **argv) {
  char path[PATH_MAX], real[PATH_MAX], link[PATH_MAX];
  ssize_t n;
  if (argc > 2 && strcmp(argv[2], "child") == 0) return 42;

  /* exe: the guest program, also through /proc/<pid>. */
  if (!realpath(argv[0], real)) strcpy(real, "?");
  n = readlink("/proc/self/exe", link, sizeof link - 1);
  link[n < 0 ? 0 : n] = 0;
  result("exe", strcmp(link, real) == 0, link);
  snprintf(path, sizeof path, "/proc/%d/exe", getpid());
  n = readlink(path, link, sizeof link - 1);
  link[n < 0 ? 0 : n] = 0;
  result("pid-exe", strcmp(link, real) == 0, link);
  n = slurp("/proc/self/exe", buf, 4);
  result("exe-open", n == 4 && memcmp(buf, "\177ELF", 4) == 0 && buf[4 - 4] == 0x7f, "not the ELF");

  /* cmdline: argv, NUL-separated. */
  size_t w = 0;
  for (int i = 0; i < argc; i++) { strcpy(want + w, argv[i]); w += strlen(argv[i]) + 1; }
  n = slurp("/proc/self/cmdline", buf, sizeof buf);
  result("cmdline", n == (ssize_t)w && memcmp(buf, want, w) == 0, buf);

  /* environ: this program's environment, nothing else. */
  w = 0;
  for (char **e = environ; *e; e++) { strcpy(want + w, *e); w += strlen(*e) + 1; }
  n = slurp("/proc/self/environ", buf, sizeof buf);
  result("environ", n == (ssize_t)w && memcmp(buf, want, w) == 0, "differs from environ");
  result("environ-no-host", n > 0 && !memmem(buf, n, "TSQ_HOST_ONLY=", 14), "host variable visible");

  /* comm: the program's name, then PR_SET_NAME's. */
  const char *base = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
  snprintf(want, 16, "%s", base);
  strcat(want, "\n");
  n = slurp("/proc/self/comm", buf, 64);
  buf[n < 0 ? 0 : n] = 0;
  result("comm", strcmp(buf, want) == 0, buf);
  prctl(PR_SET_NAME, "renamed-thing");
  n = slurp("/proc/self/comm", buf, 64);
  buf[n < 0 ? 0 : n] = 0;
  result("comm-prctl", strcmp(buf, "renamed-thing\n") == 0, buf);
  char name[16] = {0};
  prctl(PR_GET_NAME, name);
  result("pr-get-name", strcmp(name, "renamed-thing") == 0, name);

  /* fd/N and /dev/fd/N reopen the guest's descriptor; readlink names its file. */
  int tfd = open(argv[1], O_RDONLY);
  int hi = fcntl(tfd, F_DUPFD, 100);
  snprintf(path, sizeof path, "/proc/self/fd/%d", hi);
  n = readlink(path, link, sizeof link - 1);
  link[n < 0 ? 0 : n] = 0;
  if (!realpath(argv[1], real)) strcpy(real, "?");
  result("fd-readlink", strcmp(link, real) == 0, link);
  n = slurp(path, buf, 5);
  result("fd-reopen", n == 5 && memcmp(buf, "hello", 5) == 0, "cannot reopen");
  snprintf(path, sizeof path, "/dev/fd/%d", hi);
  n = slurp(path, buf, 5);
  result("dev-fd-reopen", n == 5 && memcmp(buf, "hello", 5) == 0, "cannot reopen");
  int p[2];
  if (pipe(p) < 0 || write(p[1], "piped", 5) != 5) return 1;
  snprintf(path, sizeof path, "/proc/self/fd/%d", p[0]);
  int pr = open(path, O_RDONLY);
  n = pr < 0 ? -1 : read(pr, buf, 5);
  result("fd-reopen-pipe", n == 5 && memcmp(buf, "piped", 5) == 0, "cannot reopen pipe");
  lseek(tfd, 3, SEEK_SET);
  snprintf(path, sizeof path, "/proc/self/fdinfo/%d", tfd);
  n = slurp(path, buf, sizeof buf - 1);
  buf[n < 0 ? 0 : n] = 0;
  result("fdinfo-pos", strstr(buf, "pos:\t3\n") != NULL, buf);
  snprintf(path, sizeof path, "/proc/self/fd/%d", 999);
  result("fd-closed", access(path, F_OK) < 0, "closed fd visible");

  /* fd/ lists exactly the open descriptors. */
  DIR *d = opendir("/proc/self/fd");
  int listed = 0, bad = 0;
  struct dirent *de;
  while (d && (de = readdir(d))) {
    if (de->d_name[0] == '.') continue;
    listed++;
    if (fcntl(atoi(de->d_name), F_GETFD) < 0) bad++;
  }
  int open_fds = 0;
  for (int fd = 0; fd < 1024; fd++) if (fcntl(fd, F_GETFD) >= 0) open_fds++;
  snprintf(want, 64, "listed %d, open %d, bad %d", listed, open_fds, bad);
  result("fd-list", d && listed == open_fds && bad == 0, want);
  /* readlinkat relative to the fd/ directory. */
  snprintf(path, sizeof path, "%d", hi);
  n = d ? readlinkat(dirfd(d), path, link, sizeof link - 1) : -1;
  link[n < 0 ? 0 : n] = 0;
  result("fd-readlinkat", strcmp(link, real) == 0, link);
  if (d) closedir(d);

  /* maps: the stack line holds our locals, the program's own lines name it. */
  int local = 0;
  unsigned long a = (unsigned long)&local, from, to;
  n = slurp("/proc/self/maps", buf, sizeof buf - 1);
  buf[n < 0 ? 0 : n] = 0;
  int stack_ok = 0, exe_ok = 0;
  if (!realpath(argv[0], real)) strcpy(real, "?");
  for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
    if (sscanf(line, "%lx-%lx", &from, &to) != 2) continue;
    if (strstr(line, "[stack]") && from <= a && a < to) stack_ok = 1;
    if (strstr(line, real) && from <= (unsigned long)main && (unsigned long)main < to && strstr(line, "r-x")) exe_ok = 1;
  }
  result("maps-stack", stack_ok, "no [stack] line around a local");
  result("maps-exe", exe_ok, "no r-x line of the program around main");

  /* glibc finds the main thread's stack through maps (Dart: "Failed to retrieve stack bounds"). */
  pthread_attr_t at;
  void *sa;
  size_t ss;
  int r = pthread_getattr_np(pthread_self(), &at);
  if (r == 0) pthread_attr_getstack(&at, &sa, &ss);
  result("stack-bounds", r == 0 && (unsigned long)sa <= a && a < (unsigned long)sa + ss, "pthread_getattr_np");

  /* auxv: the vector the program started with. */
  n = slurp("/proc/self/auxv", buf, sizeof buf);
  int aux_ok = n > 0 && n % 16 == 0, seen = 0;
  for (ssize_t i = 0; aux_ok && i < n; i += 16) {
    unsigned long k = *(unsigned long *)(buf + i), v = *(unsigned long *)(buf + i + 8);
    if (k == AT_PAGESZ || k == AT_ENTRY || k == AT_PHDR || k == AT_RANDOM) { seen++; if (v != getauxval(k)) aux_ok = 0; }
  }
  result("auxv", aux_ok && seen == 4, "differs from getauxval");

  /* stat: pid, (comm), ppid. */
  n = slurp("/proc/self/stat", buf, sizeof buf - 1);
  buf[n < 0 ? 0 : n] = 0;
  int spid = 0, sppid = 0;
  char state;
  char *close_paren = strrchr(buf, ')');
  sscanf(buf, "%d", &spid);
  if (close_paren) sscanf(close_paren + 2, "%c %d", &state, &sppid);
  result("stat", spid == getpid() && sppid == getppid(), buf);

  /* Re-executing ourselves through /proc/self/exe (BusyBox's applets do). */
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    execl("/proc/self/exe", argv[0], argv[1], "child", (char *)NULL);
    _exit(1);
  }
  int st = 0;
  waitpid(pid, &st, 0);
  result("reexec", WIFEXITED(st) && WEXITSTATUS(st) == 42, "exec of /proc/self/exe");
  return 0;
}
