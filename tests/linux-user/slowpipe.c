/* Writes to a pipe whose reader is slow, reads a pipe whose writer is slow (run as
 * `(sleep 1; printf abc) | prog | (sleep 3; wc -c)`): blocking fds must block, not fail with
 * EAGAIN, whatever the host descriptor is; the guest's own O_NONBLOCK must still give partial
 * writes and EAGAIN. With "plain", only the blocking part. Reports on stderr. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define SIZE (1 << 20)
static char buf[SIZE];

static int nonblocking(int fd) { return (fcntl(fd, F_GETFL) & O_NONBLOCK) != 0; }

int main(int argc, char **argv) {
  int plain = argc > 1 && strcmp(argv[1], "plain") == 0;
  memset(buf, 'x', sizeof buf);
  fprintf(stderr, "stdin nonblock=%d stdout nonblock=%d\n", nonblocking(0), nonblocking(1));
  size_t in = 0;
  for (;;) {
    ssize_t n = read(0, buf, sizeof buf);
    if (n < 0) { fprintf(stderr, "read: %s\n", strerror(errno)); return 1; }
    if (n == 0) break;
    in += n;
  }
  fprintf(stderr, "stdin %zu bytes\n", in);
  memset(buf, 'x', sizeof buf);
  size_t first = 0;
  if (!plain) {
    int fl = fcntl(1, F_GETFL);
    fcntl(1, F_SETFL, fl | O_NONBLOCK);
    ssize_t n = write(1, buf, SIZE);
    ssize_t again = write(1, buf, SIZE);
    fprintf(stderr, "nonblocking: write %zd, then %zd (%s), nonblock=%d\n", n, again,
            again < 0 ? strerror(errno) : "-", nonblocking(1));
    fcntl(1, F_SETFL, fl);
    first = n > 0 ? (size_t)n : 0;
  }
  ssize_t n = write(1, buf + first, SIZE - first);
  fprintf(stderr, "blocking: write %zd of %zu, nonblock=%d\n", n, SIZE - first, nonblocking(1));
  if (fwrite(buf, 1, SIZE, stdout) != SIZE || fflush(stdout) != 0) { perror("fwrite"); return 1; }
  fprintf(stderr, "stdio: done\n");
  return 0;
}
