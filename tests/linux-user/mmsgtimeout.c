/* recvmmsg's timeout, as Linux checks it: after each datagram received (an expired timeout ends
 * the batch early, the time left is written back), EINVAL for a bad one. qemu-riscv64 7.2
 * ignores the argument. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int recv_batch(int fd, int vlen, struct timespec *t) {
  char in[4][16];
  struct iovec iov[4];
  struct mmsghdr r[4];
  memset(r, 0, sizeof r);
  for (int i = 0; i < 4; i++) {
    iov[i].iov_base = in[i];
    iov[i].iov_len = sizeof in[i];
    r[i].msg_hdr.msg_iov = &iov[i];
    r[i].msg_hdr.msg_iovlen = 1;
  }
  return recvmmsg(fd, r, vlen, 0, t);
}

int main(void) {
  int u[2];
  if (socketpair(AF_UNIX, SOCK_DGRAM, 0, u) < 0) return 1;
  for (int i = 0; i < 3; i++) send(u[0], "abc", 3, 0);
  struct timespec t = { 0, 0 };
  int n = recv_batch(u[1], 4, &t);
  printf("zero timeout, 3 queued: %d left %ld.%09ld\n", n, (long)t.tv_sec, t.tv_nsec);
  t.tv_sec = 10;
  n = recv_batch(u[1], 2, &t);
  printf("10 s, 2 wanted: %d left 9-10 s %d\n", n, t.tv_sec == 9 || (t.tv_sec == 10 && t.tv_nsec == 0));
  t.tv_sec = 0;
  t.tv_nsec = 2000000000;
  send(u[0], "abc", 3, 0);
  n = recv_batch(u[1], 2, &t);
  printf("bad timeout: %d errno %s\n", n, n < 0 && errno == EINVAL ? "EINVAL" : "other");
  t.tv_nsec = 0;
  n = recv_batch(u[1], 1, NULL);
  printf("no timeout: %d\n", n);
  return 0;
}
