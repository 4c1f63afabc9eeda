/* A forked child shares its parent's cwd even once that directory is removed (bash in a removed
 * directory running `pwd`, `ls`): getcwd fails with ENOENT and no file can be made there; the
 * child started in / (its getcwd said "/", relative names were /'s). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static void show(const char *who, int create) {
  char buf[4096];
  errno = 0;
  char *r = getcwd(buf, sizeof buf);
  int e = errno;
  errno = 0;
  int fd = create ? open("new.txt", O_CREAT | O_WRONLY, 0644) : -1;
  if (fd >= 0) close(fd);
  printf("%s: getcwd %s (%s), create %s\n", who, r ? "ok" : "failed", strerror(e), !create ? "-" : fd >= 0 ? "ok" : strerror(errno));
  fflush(stdout);
}

int main(void) {
  char dir[] = "/tmp/tsq-cwdgone-XXXXXX";
  if (!mkdtemp(dir) || chdir(dir) != 0 || rmdir(dir) != 0) return 2;
  show("parent", 1);
  pid_t pid = fork();
  if (pid == 0) { show("child", 1); _exit(0); }
  int st;
  waitpid(pid, &st, 0);
  pid = fork();
  if (pid == 0) { if (chdir("..") != 0) _exit(3); show("child after chdir(..)", 0); _exit(0); }
  waitpid(pid, &st, 0);
  return 0;
}
