// MAP_SHARED memory across fork, as a program sharing buffers with its children uses it:
// anonymous shared memory counted up by parent and child with atomics (amoadd and lr/sc), a
// shared file mapping written by the child (the parent and the file see it; the fd closed after
// mmap), a grandchild, /dev/zero, mremap'ed and mprotect'ed shared memory, madvise(DONTNEED)
// keeping shared contents, munmap in the child, and private memory staying private. The file
// mapshared.dat is left in the cwd for the caller to read.
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define N 20000
#define PG 4096

static void wait_child(pid_t pid) {
  int st;
  if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
    printf("child %s status %d\n", pid > 0 ? "failed" : "missing", st);
    exit(1);
  }
}

static void count(long *c, long *cas, int n) {
  for (int i = 0; i < n; i++) {
    __atomic_fetch_add(c, 1, __ATOMIC_SEQ_CST);
    long v = __atomic_load_n(cas, __ATOMIC_RELAXED);
    while (!__atomic_compare_exchange_n(cas, &v, v + 1, 1, __ATOMIC_SEQ_CST, __ATOMIC_RELAXED)) {}
  }
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  // 1. Shared anonymous memory: parent and child count with atomics at the same time.
  long *a = mmap(NULL, 4 * PG, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  long *priv = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (a == MAP_FAILED || priv == MAP_FAILED) { perror("mmap"); return 1; }
  a[512] = 7; // second page, written before the fork
  *priv = 1;
  pid_t pid = fork();
  if (pid == 0) {
    count(&a[0], &a[1], N);
    a[1024] = a[512] + 1; // third page: a page the parent never touched
    *priv = 2;
    _exit(0);
  }
  count(&a[0], &a[1], N);
  wait_child(pid);
  printf("anon: amoadd %ld lr/sc %ld child wrote %ld private %ld\n", a[0], a[1], a[1024], *priv);

  // 2. A grandchild's stores reach the grandparent.
  pid = fork();
  if (pid == 0) {
    pid_t g = fork();
    if (g == 0) { count(&a[0], &a[1], 1000); a[1536] = 42; _exit(0); }
    wait_child(g);
    a[1537] = a[1536] + 1;
    _exit(0);
  }
  wait_child(pid);
  printf("nested: amoadd %ld lr/sc %ld grandchild %ld child %ld\n", a[0], a[1], a[1536], a[1537]);

  // 3. A shared file mapping (its fd closed at once): the child writes, parent and file see it.
  int fd = open("mapshared.dat", O_RDWR | O_CREAT | O_TRUNC, 0644);
  if (fd < 0 || ftruncate(fd, 3 * PG) != 0) { perror("file"); return 1; }
  char *f = mmap(NULL, 3 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (f == MAP_FAILED) { perror("mmap file"); return 1; }
  close(fd);
  strcpy(f, "parent before fork");
  pid = fork();
  if (pid == 0) {
    printf("file child sees: %s\n", f);
    strcpy(f + 100, "written by the child");
    strcpy(f + 2 * PG + 10, "last page");
    pid_t g = fork();
    if (g == 0) { strcpy(f + PG, "grandchild"); _exit(0); }
    wait_child(g);
    _exit(0);
  }
  wait_child(pid);
  char buf[64] = "";
  fd = open("mapshared.dat", O_RDONLY);
  pread(fd, buf, 32, 100);
  printf("file: mapping '%s' '%s' '%s' read() '%s'", f + 100, f + PG, f + 2 * PG + 10, buf);
  pread(fd, buf, 32, PG);
  printf(" '%s'\n", buf);
  close(fd);

  // 4. /dev/zero MAP_SHARED is shared anonymous memory.
  fd = open("/dev/zero", O_RDWR);
  int *z = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  close(fd);
  pid = fork();
  if (pid == 0) { z[3] = 33; _exit(0); }
  wait_child(pid);
  printf("dev/zero: %d\n", z[3]);

  // 5. Moved with mremap, then made read-only in the child: still the same memory.
  void *dest = mmap(NULL, 4 * PG, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  long *m = mremap(a, 4 * PG, 4 * PG, MREMAP_MAYMOVE | MREMAP_FIXED, dest);
  if (m == MAP_FAILED) { perror("mremap"); return 1; }
  int p2c[2], c2p[2];
  pipe(p2c);
  pipe(c2p);
  pid = fork();
  if (pid == 0) {
    mprotect(m, 4 * PG, PROT_READ);
    char c;
    write(c2p[1], "r", 1);
    read(p2c[0], &c, 1); // the parent stored meanwhile
    printf("mremap+mprotect child sees %ld %ld\n", m[512], m[1500]);
    // madvise(DONTNEED) on shared memory keeps its contents (here and in the parent).
    madvise(m, 4 * PG, MADV_DONTNEED);
    printf("after DONTNEED child sees %ld\n", m[512]);
    munmap(m, 4 * PG);
    _exit(0);
  }
  char c;
  read(c2p[0], &c, 1);
  m[512] = 512;
  m[1500] = 3000;
  write(p2c[1], "w", 1);
  wait_child(pid);
  m[1501] = 1; // the child's munmap left ours alone
  printf("parent after child munmap: %ld %ld %ld\n", m[0], m[512], m[1501]);

  // 6. A shrunk mapping: the part still mapped is shared.
  m = mremap(m, 4 * PG, PG, 0);
  pid = fork();
  if (pid == 0) { m[5] = 55; _exit(0); }
  wait_child(pid);
  printf("shrunk: %ld\n", m[5]);
  return 0;
}
