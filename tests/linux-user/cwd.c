/* The working directory is a directory, not a string: getcwd after the directory is renamed
 * gives the new name, after it is removed ENOENT (and relative opens fail), and a directory
 * deeper than PATH_MAX can be entered, used and left with relative paths. Usage: cwd DIR */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char buf[PATH_MAX * 4];

static const char *tail(const char *p, const char *base) {
  size_t n = strlen(base);
  return strncmp(p, base, n) == 0 ? p + n : p;
}

int main(int argc, char **argv) {
  char base[PATH_MAX];
  if (!realpath(argv[1], base)) return 1;
  if (chdir(base) != 0) return 2;
  mkdir("old", 0755);
  chdir("old");
  int fd = open("file", O_CREAT | O_WRONLY, 0644);
  close(fd);
  rename("../old", "../new");
  errno = 0;
  char *r = getcwd(buf, sizeof buf);
  printf("after rename: %s %s\n", r ? tail(r, base) : "NULL", strerror(errno));
  printf("relative open after rename: %s\n", access("file", F_OK) == 0 ? "found" : strerror(errno));
  int s = open(".", O_RDONLY);
  struct stat st;
  printf("stat . ok: %d\n", fstat(s, &st) == 0);
  close(s);
  unlink("file");
  rmdir("../new");
  errno = 0;
  r = getcwd(buf, sizeof buf);
  printf("after rmdir: %s %s\n", r ? tail(r, base) : "NULL", strerror(errno));
  errno = 0;
  fd = open("x", O_CREAT | O_WRONLY, 0644);
  printf("create in removed cwd: %d %s\n", fd, strerror(errno));
  chdir(base);

  /* 40 levels of 200-character names: 8 KiB deep. */
  char name[201];
  memset(name, 'd', 200);
  name[200] = 0;
  int depth = 0;
  for (; depth < 40; depth++) {
    if (mkdir(name, 0755) != 0 || chdir(name) != 0) { printf("deep: stopped at %d: %s\n", depth, strerror(errno)); break; }
  }
  fd = open("leaf", O_CREAT | O_WRONLY, 0644);
  printf("deep leaf created: %d\n", fd >= 0);
  close(fd);
  r = getcwd(buf, sizeof buf);
  printf("deep getcwd: %s length %zu\n", r ? "ok" : strerror(errno), r ? strlen(tail(r, base)) : 0);
  unlink("leaf");
  for (int i = 0; i < depth; i++) {
    chdir("..");
    if (rmdir(name) != 0) { printf("rmdir at %d: %s\n", i, strerror(errno)); break; }
  }
  r = getcwd(buf, sizeof buf);
  printf("back: %s\n", r ? (strcmp(r, base) == 0 ? "base" : r) : strerror(errno));
  return 0;
}
