/* SO_RCVTIMEO and SO_SNDTIMEO: a blocking recv, read, accept and a send or write into a full socket buffer end
 * with EAGAIN once the timeout passes; a handler (SA_RESTART) interrupting a timed recv gives
 * EINTR, not a restart (socket(7)); data arriving before the timeout is received. */
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec / 1e9; }
static void on_alrm(int s) { (void)s; }
static void *writer(void *p) { usleep(100000); if (write(*(int *)p, "late", 4) != 4) return p; return NULL; }

static void timeo(int fd, int opt, int ms) {
  struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };
  setsockopt(fd, SOL_SOCKET, opt, &tv, sizeof tv);
}

static void report_within(const char *what, long r, double t0, double min, double max) {
  int e = errno;
  double t = now() - t0;
  printf("%s: %ld %s, waited enough %d, not forever %d\n", what, r, r < 0 ? strerror(e) : "ok", t >= min, t < max);
}
static void report(const char *what, long r, double t0, double min) { report_within(what, r, t0, min, 10); }

int main(void) {
  int sv[2];
  char buf[64];
  socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
  timeo(sv[0], SO_RCVTIMEO, 300);
  double t0 = now();
  report("recv", recv(sv[0], buf, sizeof buf, 0), t0, 0.25);
  /* The data comes long before: the writer thread starts and sleeps 0.1 s. Under emulation on a
   * busy host starting a thread can take seconds (4 s was not enough at load 26), so the timeout
   * is generous; a recv that ignored the data would still end with EAGAIN, not with 4. */
  timeo(sv[0], SO_RCVTIMEO, 60000);
  pthread_t t;
  pthread_create(&t, NULL, writer, &sv[1]);
  t0 = now();
  long n = recv(sv[0], buf, sizeof buf, 0);
  report_within("recv with data in time", n, t0, 0.05, 60);
  pthread_join(t, NULL);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_alrm;
  sa.sa_flags = SA_RESTART;
  sigaction(SIGALRM, &sa, NULL);
  timeo(sv[0], SO_RCVTIMEO, 30000); /* the 0.2 s alarm interrupts long before, however busy the host */
  struct itimerval it = { { 0, 0 }, { 0, 200000 } };
  setitimer(ITIMER_REAL, &it, NULL);
  t0 = now();
  report("recv interrupted", recv(sv[0], buf, sizeof buf, 0), t0, 0.15);
  int big = 4096;
  setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &big, sizeof big);
  timeo(sv[1], SO_SNDTIMEO, 300);
  static char chunk[65536];
  long sent = 0, r;
  t0 = now();
  while ((r = send(sv[1], chunk, sizeof chunk, 0)) > 0) sent += r;
  report("send when full", r, t0, 0.25);
  t0 = now();
  report("write when full", write(sv[1], chunk, sizeof chunk), t0, 0.25);
  timeo(sv[0], SO_RCVTIMEO, 300);
  char drain[65536];
  while (recv(sv[0], drain, sizeof drain, MSG_DONTWAIT) > 0) {}
  t0 = now();
  report("read", read(sv[0], buf, sizeof buf), t0, 0.25);
  int l = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
  bind(l, (struct sockaddr *)&a, sizeof a);
  listen(l, 1);
  timeo(l, SO_RCVTIMEO, 300);
  t0 = now();
  report("accept", accept(l, NULL, NULL), t0, 0.25);
  return 0;
}
