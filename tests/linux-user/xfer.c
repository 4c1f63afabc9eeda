/* splice, sendfile and copy_file_range between files, pipes and sockets. Usage: xfer DIR */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <unistd.h>

static char path[4096], out[4096], buf[1 << 17];

static void show(const char *what, long r) { printf("%s = %ld\n", what, r); }

int main(int argc, char **argv) {
  snprintf(path, sizeof path, "%s/in", argv[1]);
  snprintf(out, sizeof out, "%s/out", argv[1]);
  int in = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
  for (int i = 0; i < 100000; i++) buf[i] = 'a' + i % 26;
  if (write(in, buf, 100000) != 100000) return 1;
  int o = open(out, O_RDWR | O_CREAT | O_TRUNC, 0644);

  lseek(in, 10, SEEK_SET);
  show("sendfile file->file (fd offset)", sendfile(o, in, NULL, 50000));
  show("  input offset now", lseek(in, 0, SEEK_CUR));
  off_t off = 99990;
  show("sendfile with an offset (to EOF)", sendfile(o, in, &off, 1000));
  show("  offset after", off);
  show("  input offset kept", lseek(in, 0, SEEK_CUR));

  int p[2];
  if (pipe(p) < 0) return 1;
  loff_t lo = 26;
  show("splice file->pipe", splice(in, &lo, p[1], NULL, 52, 0));
  show("  offset after", lo);
  memset(buf, 0, 64);
  show("read pipe", read(p[0], buf, 64));
  printf("  data %.52s\n", buf);
  if (write(p[1], "through the pipe", 16) != 16) return 1;
  show("splice pipe->file", splice(p[0], NULL, o, NULL, 100, 0));

  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0) return 1;
  off = 0;
  show("sendfile file->socket", sendfile(sv[0], in, &off, 20));
  memset(buf, 0, 64);
  show("recv", read(sv[1], buf, 64));
  printf("  data %s\n", buf);
  if (write(sv[1], "socket bytes", 12) != 12) return 1;
  show("splice socket->pipe", splice(sv[0], NULL, p[1], NULL, 100, 0));
  memset(buf, 0, 64);
  show("read pipe", read(p[0], buf, 64));
  printf("  data %s\n", buf);

  loff_t a = 0, b = 0;
  int c = open(out, O_RDWR);
  show("copy_file_range", copy_file_range(in, &a, c, &b, 5000, 0));
  printf("  offsets %ld %ld\n", (long)a, (long)b);
  show("size of out", lseek(o, 0, SEEK_END));
  show("splice with no pipe", splice(in, NULL, o, NULL, 10, 0));
  return 0;
}
