/* 4000 system calls then a line on stdout: under -strace, ~120 KiB of log to stderr, more than
 * a pipe holds, for a reader that is not reading yet. */
#include <stdio.h>
#include <unistd.h>

int main(void) {
  long sum = 0;
  for (int i = 0; i < 4000; i++) sum += getppid() > 0;
  printf("calls %ld\n", sum);
  return 0;
}
