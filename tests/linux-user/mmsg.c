/* sendmmsg/recvmmsg over a UDP socket pair on 127.0.0.1 and a unix datagram pair. */
#define _GNU_SOURCE
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void batch(int a, int b, const char *what) {
  char data[3][8] = { "one", "two!", "three" }, in[4][16];
  struct iovec siov[3], riov[4];
  struct mmsghdr s[3], r[4];
  memset(s, 0, sizeof s);
  memset(r, 0, sizeof r);
  for (int i = 0; i < 3; i++) {
    siov[i].iov_base = data[i];
    siov[i].iov_len = strlen(data[i]);
    s[i].msg_hdr.msg_iov = &siov[i];
    s[i].msg_hdr.msg_iovlen = 1;
  }
  for (int i = 0; i < 4; i++) {
    riov[i].iov_base = in[i];
    riov[i].iov_len = sizeof in[i];
    r[i].msg_hdr.msg_iov = &riov[i];
    r[i].msg_hdr.msg_iovlen = 1;
  }
  int n = sendmmsg(a, s, 3, 0);
  printf("%s: sendmmsg = %d, lens %u %u %u\n", what, n, s[0].msg_len, s[1].msg_len, s[2].msg_len);
  n = recvmmsg(b, r, 4, MSG_WAITFORONE, NULL);
  printf("%s: recvmmsg = %d:", what, n);
  for (int i = 0; i < n; i++) printf(" %.*s", (int)r[i].msg_len, in[i]);
  printf("\n");
}

int main(void) {
  int u[2];
  if (socketpair(AF_UNIX, SOCK_DGRAM, 0, u) < 0) return 1;
  batch(u[0], u[1], "unix");
  int a = socket(AF_INET, SOCK_DGRAM, 0), b = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
  socklen_t l = sizeof sa;
  bind(b, (struct sockaddr *)&sa, sizeof sa);
  getsockname(b, (struct sockaddr *)&sa, &l);
  connect(a, (struct sockaddr *)&sa, sizeof sa);
  batch(a, b, "udp");
  return 0;
}
