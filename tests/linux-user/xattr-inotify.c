/* Extended attributes and inotify. Usage: xattr-inotify DIR */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/xattr.h>
#include <unistd.h>

int main(int argc, char **argv) {
  char f[4096], g[4096], buf[4096];
  snprintf(f, sizeof f, "%s/file", argv[1]);
  snprintf(g, sizeof g, "%s/new", argv[1]);
  int fd = open(f, O_CREAT | O_RDWR, 0644);
  int r = setxattr(f, "user.color", "blue", 4, 0);
  if (r < 0 && errno == ENOTSUP) { printf("xattrs not supported here\n"); }
  else {
    printf("setxattr = %d\n", r);
    printf("fsetxattr = %d\n", fsetxattr(fd, "user.size", "42", 2, XATTR_CREATE));
    printf("fsetxattr XATTR_CREATE again = %d (%s)\n", fsetxattr(fd, "user.size", "42", 2, XATTR_CREATE), strerror(errno));
    memset(buf, 0, sizeof buf);
    printf("getxattr size query = %zd\n", getxattr(f, "user.color", NULL, 0));
    printf("getxattr = %zd %s\n", getxattr(f, "user.color", buf, sizeof buf), buf);
    printf("getxattr small buffer = %zd (%s)\n", getxattr(f, "user.color", buf, 2), strerror(errno));
    ssize_t n = listxattr(f, buf, sizeof buf);
    int color = 0, size = 0;
    for (char *p = buf; p < buf + n; p += strlen(p) + 1) { color |= !strcmp(p, "user.color"); size |= !strcmp(p, "user.size"); }
    printf("listxattr has both %d\n", color && size);
    printf("removexattr = %d, then getxattr = %zd (%s)\n", removexattr(f, "user.color"), getxattr(f, "user.color", buf, 8), strerror(errno));
  }
  int in = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  int wd = inotify_add_watch(in, argv[1], IN_CREATE | IN_MODIFY);
  printf("inotify watch ok %d, empty read = %zd (%s)\n", wd > 0, read(in, buf, sizeof buf), strerror(errno));
  close(open(g, O_CREAT | O_WRONLY, 0644));
  if (write(fd, "x", 1) != 1) return 1;
  struct pollfd p = { .fd = in, .events = POLLIN };
  printf("poll = %d\n", poll(&p, 1, 2000));
  ssize_t n = read(in, buf, sizeof buf);
  for (char *q = buf; q < buf + n;) {
    struct inotify_event *e = (struct inotify_event *)q;
    printf("event %s %s\n", e->mask & IN_CREATE ? "IN_CREATE" : e->mask & IN_MODIFY ? "IN_MODIFY" : "other", e->len ? e->name : "");
    q += sizeof *e + e->len;
  }
  printf("rm_watch = %d\n", inotify_rm_watch(in, wd));
  return 0;
}
