/* setpgid by the parent on its child: allowed before the child's execve, EACCES after it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc == 4 && strcmp(argv[1], "child") == 0) { /* after the exec */
    int out = atoi(argv[2]), in = atoi(argv[3]);
    char c;
    if (write(out, "x", 1) != 1) return 3;
    while (read(in, &c, 1) > 0) {} /* until the parent is done */
    return 0;
  }
  int up[2], down[2];
  if (pipe(up) || pipe(down)) return 1;
  pid_t c = fork();
  if (c == 0) {
    char c1;
    close(up[0]);
    close(down[1]);
    if (read(down[0], &c1, 1) != 1) _exit(4);
    char o[16], i[16];
    snprintf(o, sizeof o, "%d", up[1]);
    snprintf(i, sizeof i, "%d", down[0]);
    execl(argv[0], argv[0], "child", o, i, (char *)NULL);
    _exit(5);
  }
  close(up[1]);
  close(down[0]);
  int r = setpgid(c, c);
  printf("before exec: setpgid %d\n", r);
  printf("child's group is its pid: %d\n", getpgid(c) == c);
  if (write(down[1], "g", 1) != 1) return 1;
  char x;
  if (read(up[0], &x, 1) != 1) return 1;
  errno = 0;
  r = setpgid(c, 0);
  printf("after exec: setpgid %d %s\n", r, strerror(errno));
  errno = 0;
  r = setpgid(c, getpgrp());
  printf("after exec, back to ours: setpgid %d %s\n", r, strerror(errno));
  close(down[1]);
  int st;
  waitpid(c, &st, 0);
  printf("child status %d\n", WEXITSTATUS(st));
  return 0;
}
