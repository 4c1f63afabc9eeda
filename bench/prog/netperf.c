/* Guest side of bench/net.js: TCP throughput and request/response latency, timed in the guest.
 *   netperf send IP PORT MIB   write MIB MiB to IP:PORT, then close
 *   netperf recv IP PORT       connect, read until EOF
 *   netperf rr IP PORT N       N round trips of 1 byte on one connection
 * Prints one "NETPERF mode=... bytes=... seconds=... mibps=... us_per_rr=..." line. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
  if (argc < 4) { fprintf(stderr, "usage: netperf send|recv|rr IP PORT [MIB|N]\n"); return 2; }
  int s = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(atoi(argv[3])) };
  inet_pton(AF_INET, argv[2], &a.sin_addr);
  int one = 1;
  setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (connect(s, (struct sockaddr *)&a, sizeof a) < 0) { perror("connect"); return 1; }
  static char buf[65536];
  double t0 = now();
  long long bytes = 0;
  long n = 0;
  if (!strcmp(argv[1], "send")) {
    long long total = atoll(argv[4]) << 20;
    memset(buf, 'x', sizeof buf);
    while (bytes < total) {
      ssize_t w = write(s, buf, sizeof buf);
      if (w <= 0) { perror("write"); return 1; }
      bytes += w;
    }
    shutdown(s, SHUT_WR);
    while (read(s, buf, sizeof buf) > 0) {} /* the host closes after counting every byte */
  } else if (!strcmp(argv[1], "recv")) {
    ssize_t r;
    while ((r = read(s, buf, sizeof buf)) > 0) bytes += r;
  } else {
    n = atol(argv[4]);
    for (long i = 0; i < n; i++) {
      if (write(s, "q", 1) != 1 || read(s, buf, 1) != 1) { perror("rr"); return 1; }
    }
  }
  double dt = now() - t0;
  printf("NETPERF mode=%s bytes=%lld seconds=%.3f mibps=%.2f us_per_rr=%.1f\n", argv[1], bytes, dt,
         bytes / dt / 1048576.0, n ? dt * 1e6 / n : 0.0);
  close(s);
  return 0;
}
