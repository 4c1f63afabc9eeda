/* vfork suspends the parent until the child exec's (or exits). Real qemu-riscv64 runs vfork as
 * fork (the parent does not wait), so this one is checked against Linux's rule, not qemu. */
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc > 1) return 3;
  pid_t pid = vfork();
  if (pid == 0) {
    usleep(300000);
    write(1, "child before exec\n", 18);
    execl(argv[0], argv[0], "child", (char *)NULL);
    _exit(127);
  }
  write(1, "parent resumed\n", 15);
  int st;
  waitpid(pid, &st, 0);
  printf("child status %d\n", WEXITSTATUS(st));
  pid = vfork();
  if (pid == 0) _exit(5);
  waitpid(pid, &st, 0);
  printf("second child status %d\n", WEXITSTATUS(st));
  return 0;
}
