/* One thread, many of the calls -strace decodes (flags, addresses, structs, a signal), for
 * comparing "tsqemu-riscv64 -strace" with "qemu-riscv64 -strace". argv[1]: a scratch dir. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static void on_usr1(int sig) { (void)sig; }

int main(int argc, char **argv) {
  if (argc < 2 || chdir(argv[1])) return 2;
  int fd = open("x1", O_WRONLY | O_CREAT | O_APPEND | O_EXCL | O_CLOEXEC | O_NONBLOCK, 0600);
  write(fd, "abc", 3);
  close(fd);
  fd = open(".", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_NOCTTY);
  fcntl(fd, F_SETFL, O_NONBLOCK | O_APPEND);
  fcntl(fd, F_GETFD);
  fcntl(fd, F_SETFD, FD_CLOEXEC);
  dup3(fd, 20, O_CLOEXEC);
  close(20);
  close(fd);
  fd = open("x1", O_RDWR);
  lseek(fd, 1, SEEK_SET);
  lseek(fd, 0, SEEK_END);
  char *m = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  mprotect(m, 4096, PROT_READ);
  madvise(m, 4096, MADV_WILLNEED);
  munmap(m, 8192);
  ftruncate(fd, 100);
  close(fd);
  access("x1", R_OK | W_OK);
  access("x1", F_OK);
  struct stat st;
  fstatat(AT_FDCWD, "x1", &st, AT_SYMLINK_NOFOLLOW);
  mkdir("d", 0750);
  unlinkat(AT_FDCWD, "d", AT_REMOVEDIR);
  symlink("x1", "sl");
  unlink("sl");
  unlink("x1");
  umask(027);
  int s = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  struct sockaddr_un un = { .sun_family = AF_UNIX, .sun_path = "sock" };
  bind(s, (struct sockaddr *)&un, sizeof un);
  listen(s, 2);
  accept4(s, NULL, NULL, SOCK_CLOEXEC);
  socklen_t len = sizeof un;
  accept(s, (struct sockaddr *)&un, &len);
  close(s);
  unlink("sock");
  int u = socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
  struct sockaddr_in in = { .sin_family = AF_INET, .sin_port = htons(0), .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
  bind(u, (struct sockaddr *)&in, sizeof in);
  close(u);
  close(socket(AF_INET, SOCK_STREAM, IPPROTO_TCP));
  struct sigaction sa = { .sa_handler = on_usr1 };
  sigaction(SIGUSR1, &sa, NULL);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGUSR2);
  sigprocmask(SIG_BLOCK, &set, NULL);
  sigprocmask(SIG_UNBLOCK, &set, NULL);
  kill(getpid(), SIGUSR1);
  struct timespec ts = { 0, 1000000 };
  nanosleep(&ts, NULL);
  clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, NULL);
  int p[2];
  pipe2(p, O_CLOEXEC);
  write(p[1], "x", 1);
  char c;
  read(p[0], &c, 1);
  printf("done\n");
  return 0;
}
