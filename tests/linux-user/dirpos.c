/* The directory read position belongs to the open file description: shared by threads, dup()s
 * and a forked child; lseek(0) rewinds. Usage: dirpos DIR (empty). */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static int dfd;

/* Entries returned by one getdents64 call of at most 64 bytes (a couple of entries). */
static int batch(int fd) {
  char buf[64];
  long n = syscall(SYS_getdents64, fd, buf, sizeof buf), k = 0;
  for (long off = 0; off < n; off += *(unsigned short *)(buf + off + 16)) k++;
  return (int)k;
}

static void *rest(void *a) {
  (void)a;
  long t = 0;
  for (int k; (k = batch(dfd)) > 0;) t += k;
  return (void *)t;
}

int main(int argc, char **argv) {
  char p[4096];
  for (int i = 0; i < 20; i++) {
    snprintf(p, sizeof p, "%s/f%02d", argv[1], i);
    close(open(p, O_CREAT | O_WRONLY, 0644));
  }
  dfd = open(argv[1], O_RDONLY | O_DIRECTORY);
  int first = batch(dfd);
  pthread_t t;
  void *res;
  pthread_create(&t, NULL, rest, NULL);
  pthread_join(t, &res);
  printf("thread: first %d + rest %ld = 22: %d; then at the end: %d\n", first > 0, (long)res > 0, first + (long)res == 22, batch(dfd) == 0);
  lseek(dfd, 0, SEEK_SET);
  int d2 = dup(dfd);
  first = batch(dfd);
  first += batch(d2);
  pid_t pid = fork();
  if (pid == 0) _exit((int)(long)rest(NULL));
  int st;
  waitpid(pid, &st, 0);
  printf("dup + child: %d; parent then at the end: %d\n", first + WEXITSTATUS(st) == 22, batch(dfd) == 0);
  lseek(dfd, 0, SEEK_SET);
  DIR *d = fdopendir(dfd);
  int cnt = 0;
  while (readdir(d)) cnt++;
  printf("rewound: %d entries\n", cnt);
  return 0;
}
