// accept on descriptors that can never give a connection fails at once (LTP accept01/accept03):
// a bound TCP socket not listening (EINVAL), UDP (EOPNOTSUPP), a pipe, a file, eventfd (ENOTSOCK).
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

static void try(const char *what, int fd) {
  struct sockaddr_in a;
  socklen_t len = sizeof a;
  int r = accept(fd, (struct sockaddr *)&a, &len);
  printf("%s: %d %s\n", what, r, r < 0 ? strerror(errno) : "");
}

int main(void) {
  struct sockaddr_in a = { .sin_family = AF_INET };
  int tcp = socket(AF_INET, SOCK_STREAM, 0), udp = socket(AF_INET, SOCK_DGRAM, 0);
  bind(tcp, (struct sockaddr *)&a, sizeof a);
  bind(udp, (struct sockaddr *)&a, sizeof a);
  try("tcp not listening", tcp);
  try("udp", udp);
  int p[2];
  pipe(p);
  try("pipe", p[0]);
  try("file", open("/proc/self/maps", O_RDONLY));
  try("eventfd", eventfd(0, 0));
  try("closed", 400);
  // Listening, non-blocking, nothing queued: EAGAIN.
  listen(tcp, 1);
  fcntl(tcp, F_SETFL, O_NONBLOCK);
  try("listening nonblock", tcp);
  return 0;
}
