/* A dup()ed descriptor joins the epoll set its original is in; each reports its own data. */
#include <stdio.h>
#include <sys/epoll.h>
#include <unistd.h>

int main(void) {
  int p[2];
  if (pipe(p) < 0) return 1;
  int d = dup(p[0]);
  int ep = epoll_create1(0);
  struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 111 };
  printf("add original = %d\n", epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev));
  ev.data.u64 = 222;
  printf("add dup = %d\n", epoll_ctl(ep, EPOLL_CTL_ADD, d, &ev));
  printf("add dup again = %d\n", epoll_ctl(ep, EPOLL_CTL_ADD, d, &ev));
  if (write(p[1], "x", 1) != 1) return 1;
  struct epoll_event out[4];
  int n = epoll_wait(ep, out, 4, 1000);
  unsigned long sum = 0;
  for (int i = 0; i < n; i++) sum += out[i].data.u64;
  printf("ready %d, data sum %lu\n", n, sum);
  char c;
  printf("read through the dup = %zd\n", read(d, &c, 1));
  printf("del dup = %d\n", epoll_ctl(ep, EPOLL_CTL_DEL, d, NULL));
  if (write(p[1], "y", 1) != 1) return 1;
  n = epoll_wait(ep, out, 4, 1000);
  printf("ready %d, data %lu\n", n, n > 0 ? (unsigned long)out[0].data.u64 : 0);
  return 0;
}
