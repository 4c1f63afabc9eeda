/* fork, pipes, exec of ourselves, wait statuses. */
/* With TSQ_NO_EXEC set the child calls child_main() directly instead of exec'ing itself: the
 * test runs real qemu-riscv64 that way (without binfmt_misc it cannot exec a riscv64 program)
 * and expects the same output from tsqemu-riscv64 doing the real exec. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int child_main(void) {
  char buf[64];
  ssize_t n = read(0, buf, sizeof buf);
  printf("child got %zd bytes: %.*s\n", n, (int)n, buf);
  return 7;
}

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "child") == 0) return child_main();
  int p[2];
  pipe(p);
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    close(p[1]);
    dup2(p[0], 0);
    close(p[0]);
    if (getenv("TSQ_NO_EXEC")) exit(child_main());
    execl(argv[0], argv[0], "child", (char *)NULL);
    perror("execl");
    _exit(127);
  }
  close(p[0]);
  write(p[1], "ping", 4);
  close(p[1]);
  int status;
  waitpid(pid, &status, 0);
  printf("exited=%d status=%d\n", WIFEXITED(status), WEXITSTATUS(status));
  pid = fork();
  if (pid == 0) { abort(); }
  waitpid(pid, &status, 0);
  printf("signaled=%d sig=%d\n", WIFSIGNALED(status), WTERMSIG(status));
  int q[2];
  pipe(q);
  pid = fork();
  if (pid == 0) {
    close(q[0]);
    for (int i = 0; i < 1000; i++) dprintf(q[1], "%d\n", i);
    _exit(0);
  }
  close(q[1]);
  FILE *f = fdopen(q[0], "r");
  long sum = 0, v;
  while (fscanf(f, "%ld", &v) == 1) sum += v;
  wait(NULL);
  printf("sum over pipe=%ld\n", sum);
  printf("no more children: %d\n", wait(NULL));
  return 0;
}
