/* Sockets over loopback (AF_UNIX pair and bound path, AF_INET/AF_INET6 TCP with a forked or
 * threaded server, UDP), SCM_RIGHTS, socket options, poll/select/epoll readiness, eventfd,
 * timerfd, memfd, O_NONBLOCK via fcntl, and blocking calls interrupted by signals.
 * argv[1]: a scratch directory. Prints only what is the same from run to run. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define CHECK(x) do { if ((x) < 0) { printf("%s: %s\n", #x, strerror(errno)); exit(1); } } while (0)

static void unix_pair(void) {
  int sv[2];
  CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
  CHECK(write(sv[0], "hello", 5));
  char buf[32];
  ssize_t n = read(sv[1], buf, sizeof buf);
  printf("pair: read %zd '%.*s'\n", n, (int)n, buf);
  /* Pass one end of a pipe over the pair. */
  int p[2];
  CHECK(pipe(p));
  char cbuf[CMSG_SPACE(sizeof(int))];
  memset(cbuf, 0, sizeof cbuf);
  struct iovec iov = { "fd", 2 };
  struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof cbuf };
  struct cmsghdr *c = CMSG_FIRSTHDR(&m);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(c), &p[0], sizeof(int));
  printf("sendmsg: %zd\n", sendmsg(sv[1], &m, 0));
  close(p[0]);
  CHECK(write(p[1], "via pipe", 8));
  char data[8];
  struct iovec riov = { data, sizeof data };
  char rcbuf[64];
  struct msghdr r = { .msg_iov = &riov, .msg_iovlen = 1, .msg_control = rcbuf, .msg_controllen = sizeof rcbuf };
  n = recvmsg(sv[0], &r, 0);
  struct cmsghdr *rc = CMSG_FIRSTHDR(&r);
  int got = -1;
  if (rc && rc->cmsg_type == SCM_RIGHTS) memcpy(&got, CMSG_DATA(rc), sizeof(int));
  printf("recvmsg: %zd '%.*s' controllen %zu fd received %d\n", n, (int)n, data, (size_t)r.msg_controllen, got >= 0);
  n = read(got, buf, sizeof buf);
  printf("read from passed fd: '%.*s'\n", (int)n, buf);
  close(got);
  close(p[1]);
  /* Readiness: nothing to read, then data, then the peer gone. */
  struct pollfd pf = { sv[0], POLLIN, 0 };
  printf("poll empty: %d revents %#x\n", poll(&pf, 1, 0), pf.revents);
  CHECK(write(sv[1], "xyz", 3));
  printf("poll data: %d revents %#x\n", poll(&pf, 1, 1000), pf.revents);
  int avail = -1;
  CHECK(ioctl(sv[0], FIONREAD, &avail));
  printf("FIONREAD: %d\n", avail);
  read(sv[0], buf, 2);
  shutdown(sv[1], SHUT_WR);
  read(sv[0], buf, 1);
  printf("after shutdown: read %zd\n", read(sv[0], buf, sizeof buf));
  close(sv[1]);
  printf("poll closed: %d revents %#x\n", poll(&pf, 1, 1000), pf.revents);
  close(sv[0]);
}

static void unix_path(const char *dir) {
  struct sockaddr_un a = { .sun_family = AF_UNIX };
  snprintf(a.sun_path, sizeof a.sun_path, "%s/sock", dir);
  int s = socket(AF_UNIX, SOCK_STREAM, 0);
  CHECK(bind(s, (struct sockaddr *)&a, sizeof a));
  CHECK(listen(s, 4));
  int c = socket(AF_UNIX, SOCK_STREAM, 0);
  CHECK(connect(c, (struct sockaddr *)&a, sizeof a));
  struct sockaddr_un peer;
  socklen_t len = sizeof peer;
  int d = accept(s, (struct sockaddr *)&peer, &len);
  printf("unix accept: %d family %d len %u\n", d >= 0, peer.sun_family, (unsigned)len);
  CHECK(send(c, "over path", 9, 0));
  char buf[32];
  ssize_t n = recv(d, buf, sizeof buf, 0);
  printf("unix recv: '%.*s'\n", (int)n, buf);
  struct sockaddr_un name;
  len = sizeof name;
  CHECK(getsockname(s, (struct sockaddr *)&name, &len));
  printf("getsockname matches: %d\n", strcmp(name.sun_path, a.sun_path) == 0);
  int type;
  len = sizeof type;
  CHECK(getsockopt(c, SOL_SOCKET, SO_TYPE, &type, &len));
  printf("SO_TYPE %d len %u\n", type, (unsigned)len);
  printf("bind again: %d %s\n", bind(socket(AF_UNIX, SOCK_STREAM, 0), (struct sockaddr *)&a, sizeof a), strerror(errno));
  close(c); close(d); close(s);
  unlink(a.sun_path);
}

/* A TCP echo of one message: upper-cases what it reads. */
static void serve_one(int ls) {
  int c = accept4(ls, NULL, NULL, SOCK_CLOEXEC);
  if (c < 0) { perror("accept4"); return; }
  char buf[64];
  ssize_t n = recv(c, buf, sizeof buf, 0);
  for (ssize_t i = 0; i < n; i++) if (buf[i] >= 'a' && buf[i] <= 'z') buf[i] -= 32;
  send(c, buf, n, 0);
  close(c);
}

static void *server_thread(void *arg) { serve_one(*(int *)arg); return NULL; }

static void tcp_client(int family, struct sockaddr *a, socklen_t alen, const char *msg) {
  int c = socket(family, SOCK_STREAM, 0);
  CHECK(c);
  int one = 1;
  CHECK(setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one));
  CHECK(connect(c, a, alen));
  struct sockaddr_storage peer;
  socklen_t len = sizeof peer;
  CHECK(getpeername(c, (struct sockaddr *)&peer, &len));
  printf("connected: peer family %d len %u\n", peer.ss_family, (unsigned)len);
  CHECK(send(c, msg, strlen(msg), 0));
  char buf[64];
  ssize_t n, total = 0;
  while ((n = recv(c, buf + total, sizeof buf - total, 0)) > 0) total += n;
  printf("echo: '%.*s'\n", (int)total, buf);
  int nodelay;
  len = sizeof nodelay;
  CHECK(getsockopt(c, IPPROTO_TCP, TCP_NODELAY, &nodelay, &len));
  printf("TCP_NODELAY %d\n", nodelay != 0);
  close(c);
}

static void tcp4(void) {
  int ls = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  CHECK(setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one));
  struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
  CHECK(bind(ls, (struct sockaddr *)&a, sizeof a));
  CHECK(listen(ls, 4));
  socklen_t len = sizeof a;
  CHECK(getsockname(ls, (struct sockaddr *)&a, &len));
  char ip[32];
  printf("tcp4 listening on %s port set %d\n", inet_ntop(AF_INET, &a.sin_addr, ip, sizeof ip), a.sin_port != 0);
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) { serve_one(ls); _exit(0); }
  close(ls);
  tcp_client(AF_INET, (struct sockaddr *)&a, sizeof a, "hello over ipv4");
  int st;
  waitpid(pid, &st, 0);
  printf("server exited %d\n", WEXITSTATUS(st));
}

static void tcp6(void) {
  int ls = socket(AF_INET6, SOCK_STREAM, 0);
  struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };
  if (ls < 0 || bind(ls, (struct sockaddr *)&a, sizeof a) < 0) { printf("tcp6: unavailable: %s\n", strerror(errno)); return; }
  CHECK(listen(ls, 4));
  socklen_t len = sizeof a;
  CHECK(getsockname(ls, (struct sockaddr *)&a, &len));
  char ip[64];
  printf("tcp6 listening on %s len %u\n", inet_ntop(AF_INET6, &a.sin6_addr, ip, sizeof ip), (unsigned)len);
  pthread_t t;
  pthread_create(&t, NULL, server_thread, &ls);
  tcp_client(AF_INET6, (struct sockaddr *)&a, sizeof a, "hello over ipv6");
  pthread_join(t, NULL);
  close(ls);
}

static void udp(void) {
  int s = socket(AF_INET, SOCK_DGRAM, 0), c = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
  CHECK(bind(s, (struct sockaddr *)&a, sizeof a));
  socklen_t len = sizeof a;
  CHECK(getsockname(s, (struct sockaddr *)&a, &len));
  struct sockaddr_in b = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
  CHECK(bind(c, (struct sockaddr *)&b, sizeof b));
  len = sizeof b;
  CHECK(getsockname(c, (struct sockaddr *)&b, &len));
  printf("sendto: %zd\n", sendto(c, "datagram", 8, 0, (struct sockaddr *)&a, sizeof a));
  char buf[32];
  struct sockaddr_in from;
  len = sizeof from;
  ssize_t n = recvfrom(s, buf, sizeof buf, 0, (struct sockaddr *)&from, &len);
  printf("recvfrom: %zd '%.*s' from the client: %d len %u\n", n, (int)n, buf, from.sin_port == b.sin_port, (unsigned)len);
  n = recvfrom(s, buf, sizeof buf, MSG_DONTWAIT, NULL, NULL);
  printf("recvfrom empty: %zd %s\n", n, strerror(errno));
  /* select for writability and readability */
  sendto(c, "again", 5, 0, (struct sockaddr *)&a, sizeof a);
  fd_set r, w;
  FD_ZERO(&r); FD_ZERO(&w);
  FD_SET(s, &r); FD_SET(c, &w); FD_SET(c, &r);
  struct timeval tv = { 1, 0 };
  int k = select((s > c ? s : c) + 1, &r, &w, NULL, &tv);
  printf("select: %d s readable %d c writable %d c readable %d\n", k, FD_ISSET(s, &r), FD_ISSET(c, &w), FD_ISSET(c, &r));
  close(s); close(c);
}

static void epoll_test(void) {
  int sv[2];
  CHECK(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv));
  int ep = epoll_create1(EPOLL_CLOEXEC);
  struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 0x1122334455667788ULL };
  CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, sv[0], &ev));
  struct epoll_event out[4];
  printf("epoll empty: %d\n", epoll_wait(ep, out, 4, 0));
  CHECK(send(sv[1], "e", 1, 0));
  int n = epoll_wait(ep, out, 4, 1000);
  printf("epoll: %d events %#x data %#llx\n", n, out[0].events, (unsigned long long)out[0].data.u64);
  printf("epoll add twice: %d %s\n", epoll_ctl(ep, EPOLL_CTL_ADD, sv[0], &ev), strerror(errno));
  CHECK(epoll_ctl(ep, EPOLL_CTL_DEL, sv[0], NULL));
  printf("epoll after del: %d\n", epoll_wait(ep, out, 4, 0));
  close(ep); close(sv[0]); close(sv[1]);
}

static void eventfd_timerfd(void) {
  int e = eventfd(3, EFD_NONBLOCK);
  uint64_t v = 4;
  CHECK(write(e, &v, 8));
  CHECK(read(e, &v, 8));
  printf("eventfd: %llu\n", (unsigned long long)v);
  printf("eventfd empty: %zd %s\n", read(e, &v, 8), strerror(errno));
  close(e);
  int t = timerfd_create(CLOCK_MONOTONIC, 0);
  struct itimerspec its = { .it_value = { 0, 50 * 1000 * 1000 } };
  CHECK(timerfd_settime(t, 0, &its, NULL));
  struct pollfd pf = { t, POLLIN, 0 };
  printf("timerfd before: %d\n", poll(&pf, 1, 0));
  printf("timerfd poll: %d revents %#x\n", poll(&pf, 1, 2000), pf.revents);
  CHECK(read(t, &v, 8));
  printf("timerfd expirations: %llu\n", (unsigned long long)v);
  struct itimerspec cur;
  CHECK(timerfd_gettime(t, &cur));
  printf("timerfd disarmed: %d\n", cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec == 0);
  close(t);
  int m = memfd_create("tsq", MFD_CLOEXEC);
  CHECK(write(m, "memfd data", 10));
  printf("memfd seek: %ld\n", (long)lseek(m, 6, SEEK_SET));
  char buf[16];
  ssize_t n = read(m, buf, sizeof buf);
  printf("memfd read: '%.*s'\n", (int)n, buf);
  close(m);
}

static void on_usr1(int sig) { (void)sig; }

static volatile int read_done;

/* Signals the reader every 100 ms until its read returned: a signal that came before the read
 * blocked (a slow start under load) would leave a read with no writer blocked for good. */
static void *kicker(void *arg) {
  int *p = arg;
  do {
    usleep(100 * 1000);
    pthread_kill((pthread_t)*(pthread_t *)(p + 2), SIGUSR1);
  } while (p[1] < 0 && !read_done);
  if (p[1] >= 0) { usleep(100 * 1000); write(p[1], "x", 1); }
  return NULL;
}

static void nonblock_and_eintr(void) {
  int p[2];
  CHECK(pipe(p));
  int fl = fcntl(p[0], F_GETFL);
  CHECK(fcntl(p[0], F_SETFL, fl | O_NONBLOCK));
  char c;
  printf("nonblocking pipe read: %zd %s, O_NONBLOCK %d\n", read(p[0], &c, 1), strerror(errno), (fcntl(p[0], F_GETFL) & O_NONBLOCK) != 0);
  CHECK(fcntl(p[0], F_SETFL, fl));
  for (int restart = 0; restart < 2; restart++) {
    struct sigaction sa = { .sa_handler = on_usr1, .sa_flags = restart ? SA_RESTART : 0 };
    sigaction(SIGUSR1, &sa, NULL);
    struct { int fds[2]; pthread_t self; } arg = { { p[0], restart ? p[1] : -1 }, pthread_self() };
    pthread_t t;
    read_done = 0;
    pthread_create(&t, NULL, kicker, &arg);
    ssize_t n = read(p[0], &c, 1);
    read_done = 1;
    printf("blocking read with %s: %zd %s\n", restart ? "SA_RESTART" : "no SA_RESTART", n, n < 0 ? strerror(errno) : "ok");
    pthread_join(t, NULL);
  }
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  unix_pair();
  unix_path(argc > 1 ? argv[1] : "/tmp");
  tcp4();
  tcp6();
  udp();
  epoll_test();
  eventfd_timerfd();
  nonblock_and_eintr();
  return 0;
}
