// fcntl's owner, signal and lease commands (LTP fcntl23-27, fcntl32): F_SETOWN/F_GETOWN,
// F_SETSIG/F_GETSIG, F_SETLEASE/F_GETLEASE (a read lease on a file open read-only, EAGAIN for
// one open for writing), each as the host kernel answers.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void show(const char *what, int r) { printf("%s: %d %s\n", what, r, r < 0 ? strerror(errno) : ""); }

int main(void) {
  char name[] = "fcntlown.XXXXXX";
  int w = mkstemp(name);
  write(w, "x", 1);
  close(w);
  int fd = open(name, O_RDONLY);
  show("setown", fcntl(fd, F_SETOWN, getpid()));
  int own = fcntl(fd, F_GETOWN);
  printf("getown is pid: %d\n", own == getpid());
  if (own != getpid()) printf("own %d pid %d\n", own, getpid());
  show("setsig", fcntl(fd, F_SETSIG, SIGUSR1));
  show("getsig", fcntl(fd, F_GETSIG));
  show("setlease rd", fcntl(fd, F_SETLEASE, F_RDLCK));
  show("getlease", fcntl(fd, F_GETLEASE));
  show("setlease un", fcntl(fd, F_SETLEASE, F_UNLCK));
  show("getlease", fcntl(fd, F_GETLEASE));
  int rw = open(name, O_RDWR);
  show("setlease rd on rw", fcntl(rw, F_SETLEASE, F_RDLCK));
  show("setlease bad", fcntl(fd, F_SETLEASE, 42));
  unlink(name);
  return 0;
}
