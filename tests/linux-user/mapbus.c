// A shared file mapping whose file shrinks under it: an access past the file's end is SIGBUS
// BUS_ADRERR at that address (the process's own ftruncate, or another process's), a system
// call given such memory fails with EFAULT, the file's page is back once the file grows over
// it, and a mapping made longer than its file faults past the end from the start.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define PG 4096
static sigjmp_buf jb;
static volatile char *want;

static void on_bus(int sig, siginfo_t *si, void *uc) {
  (void)uc;
  printf("  SIGBUS %d code %d at %s\n", sig, si->si_code, (char *)si->si_addr == want ? "the address" : "another address");
  siglongjmp(jb, 1);
}

static void touch(const char *what, volatile char *p, int store) {
  want = p;
  if (sigsetjmp(jb, 1) == 0) {
    if (store) *p = 'x';
    char c = *p;
    printf("%s: read %d\n", what, c);
  } else {
    printf("%s: faulted\n", what);
  }
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_bus;
  sa.sa_flags = SA_SIGINFO;
  sigaction(SIGBUS, &sa, NULL);
  int fd = open("mapbus.dat", O_RDWR | O_CREAT | O_TRUNC, 0644);
  ftruncate(fd, 2 * PG);
  char *p = mmap(NULL, 3 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (p == MAP_FAILED) { perror("mmap"); return 1; }
  p[0] = 'a';
  p[PG] = 'b';
  touch("page 0", p, 0);
  touch("page 2 (past the end at mmap)", p + 2 * PG, 0);
  ftruncate(fd, 10); // our own truncation: page 1 is past the end now
  touch("page 1 after ftruncate 10", p + PG + 8, 0);
  touch("page 0 (the end's page)", p + 5, 0);
  ssize_t n = write(1, p + PG, 4);
  printf("write() from page 1: %zd errno %d\n", n, n < 0 ? errno : 0);
  ftruncate(fd, 2 * PG); // grown back: the file's page again (zeros)
  pwrite(fd, "B", 1, PG);
  touch("page 1 after growing", p + PG, 0);
  // Another process shrinks it.
  pid_t pid = fork();
  if (pid == 0) { ftruncate(fd, 0); _exit(0); }
  waitpid(pid, NULL, 0);
  touch("page 1 after the child's truncate", p + PG, 1);
  touch("page 0 after the child's truncate", p, 0);
  // A child touching the parent's mapping past the end dies of SIGBUS like the parent.
  pid = fork();
  if (pid == 0) { signal(SIGBUS, SIG_DFL); return p[0]; }
  int st;
  waitpid(pid, &st, 0);
  printf("child: signaled %d sig %d\n", WIFSIGNALED(st), WIFSIGNALED(st) ? WTERMSIG(st) : 0);
  unlink("mapbus.dat");
  return 0;
}
