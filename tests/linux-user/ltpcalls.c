/* What LTP's syscalls tests found different from qemu-riscv64 (README "LTP syscalls against
 * qemu-riscv64"): thread ids never reused by the next thread (gettid02), clone3 ENOSYS as QEMU's,
 * faccessat/faccessat2 argument checks and AT_EACCESS (faccessat202), fallocate's modes
 * (fallocate01-03), negative offsets and iovec lengths (pwrite02, pwritev02), getrandom's flags
 * (getrandom05), gettimeofday's timezone (gettimeofday01), nice/getpriority (nice01-04,
 * getpriority02), posix_fadvise's checks (posix_fadvise03/04), memfd_create's name length
 * (memfd_create02), uname's version (newuname01), the sched_* calls (sched_getparam03,
 * sched_get_priority_max01, sched_getattr01...). Prints results, never ids. Run as root in a scratch directory. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/utsname.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#ifndef FALLOC_FL_KEEP_SIZE
#define FALLOC_FL_KEEP_SIZE 1
#endif
#ifndef FALLOC_FL_PUNCH_HOLE
#define FALLOC_FL_PUNCH_HOLE 2
#endif

static pid_t tids[12];

static void *thread(void *arg) {
  tids[(long)arg] = syscall(SYS_gettid);
  return NULL;
}

static void res(const char *what, long r) {
  printf("%s: %ld %s\n", what, r, r < 0 ? strerror(errno) : "ok");
}


/* Round 14: kcmp (LTP kcmp01/02), renameat2 flags (renameat201/202), readlinkat of an O_PATH
 * symlink fd with an empty path (readlinkat01), sync_file_range and readahead. */
static volatile int usr1;
static void on_usr1(int sig) { (void)sig; usr1++; }

/* Round 15: linkat's flags: a link to a symlink itself, AT_SYMLINK_FOLLOW to its target (a chain
 * of two, one relative), bad flags, a dangling link followed, AT_EMPTY_PATH unprivileged. */
static void linkat_flags(void) {
  int fd = open("lt", O_CREAT | O_RDWR, 0644);
  close(fd);
  symlink("lt", "ls1");
  symlink("ls1", "ls2");
  symlink("missing", "ldang");
  struct stat a, b, t;
  res("linkat symlink itself", linkat(AT_FDCWD, "ls2", AT_FDCWD, "lh1", 0));
  lstat("lh1", &a);
  printf("lh1 is a symlink: %d\n", S_ISLNK(a.st_mode));
  res("linkat AT_SYMLINK_FOLLOW", linkat(AT_FDCWD, "ls2", AT_FDCWD, "lh2", AT_SYMLINK_FOLLOW));
  lstat("lh2", &b);
  stat("lt", &t);
  printf("lh2 is the target: %d, nlink %ld\n", S_ISREG(b.st_mode) && b.st_ino == t.st_ino, (long)t.st_nlink);
  res("linkat bad flags", linkat(AT_FDCWD, "lt", AT_FDCWD, "lh3", 0x1));
  res("linkat dangling followed", linkat(AT_FDCWD, "ldang", AT_FDCWD, "lh4", AT_SYMLINK_FOLLOW));
  res("linkat existing new path", linkat(AT_FDCWD, "lt", AT_FDCWD, "lh2", 0));
  res("linkat empty path", linkat(AT_FDCWD, "", AT_FDCWD, "lh5", 0));
}

static void round14(void) {
  int a = open("k1", O_CREAT | O_RDWR, 0600), b = open("k2", O_CREAT | O_RDWR, 0600), c = dup(a);
  pid_t me = getpid();
  res("kcmp FILE same", syscall(SYS_kcmp, me, me, 0, a, c));
  res("kcmp FILE different (1 or 2)", syscall(SYS_kcmp, me, me, 0, a, b) > 0);
  res("kcmp FILE bad fd", syscall(SYS_kcmp, me, me, 0, a, 999));
  res("kcmp bad pid", syscall(SYS_kcmp, me, 0x3fffff00, 0, a, a));
  res("kcmp bad type", syscall(SYS_kcmp, me, me, 99, a, a));
  res("kcmp VM self", syscall(SYS_kcmp, me, me, 1, 0, 0));
  fflush(stdout);
  pid_t ch = fork();
  if (ch == 0) {
    /* The child's fd a is the parent's open file: equal across the two processes. */
    res("child: kcmp FILE parent's a vs mine", syscall(SYS_kcmp, getppid(), getpid(), 0, a, a));
    res("child: kcmp FILE parent's a vs my b (1 or 2)", syscall(SYS_kcmp, getppid(), getpid(), 0, a, b) > 0);
    res("child: kcmp VM (1 or 2)", syscall(SYS_kcmp, getppid(), getpid(), 1, 0, 0) > 0);
    fflush(stdout);
    _exit(0);
  }
  waitpid(ch, NULL, 0);

  write(a, "one", 3);
  write(b, "two", 3);
  res("renameat2 NOREPLACE onto existing", syscall(SYS_renameat2, AT_FDCWD, "k1", AT_FDCWD, "k2", 1));
  res("renameat2 EXCHANGE", syscall(SYS_renameat2, AT_FDCWD, "k1", AT_FDCWD, "k2", 2));
  char buf[64] = { 0 };
  int r = open("k1", O_RDONLY);
  read(r, buf, 3);
  close(r);
  printf("k1 now holds %s\n", buf);
  res("renameat2 EXCHANGE missing", syscall(SYS_renameat2, AT_FDCWD, "k1", AT_FDCWD, "k3", 2));
  res("renameat2 NOREPLACE|EXCHANGE", syscall(SYS_renameat2, AT_FDCWD, "k1", AT_FDCWD, "k2", 3));
  res("renameat2 NOREPLACE to new", syscall(SYS_renameat2, AT_FDCWD, "k1", AT_FDCWD, "k4", 1));

  symlink("k4", "kl");
  int o = open("kl", O_PATH | O_NOFOLLOW);
  memset(buf, 0, sizeof buf);
  res("readlinkat O_PATH symlink, empty path", readlinkat(o, "", buf, sizeof buf));
  printf("target %s\n", buf);
  res("readlinkat regular file fd, empty path", readlinkat(a, "", buf, sizeof buf));
  res("readlinkat AT_FDCWD, empty path", readlinkat(AT_FDCWD, "", buf, sizeof buf));

  int p[2];
  pipe(p);
  res("sync_file_range", syscall(SYS_sync_file_range, a, 0L, 0L, 2));
  res("sync_file_range bad flags", syscall(SYS_sync_file_range, a, 0L, 0L, 8));
  res("sync_file_range negative offset", syscall(SYS_sync_file_range, a, -1L, 0L, 2));
  res("sync_file_range pipe", syscall(SYS_sync_file_range, p[0], 0L, 0L, 2));
  res("readahead", syscall(SYS_readahead, a, 0L, 4096L));
  res("readahead pipe", syscall(SYS_readahead, p[0], 0L, 4096L));
  res("readahead bad fd", syscall(SYS_readahead, 999, 0L, 4096L));

  /* unshare: a new user namespace is EINVAL in a multi-threaded host process (QEMU's, ours). */
  res("unshare 0", syscall(SYS_unshare, 0));
  res("unshare CLONE_NEWUSER", syscall(SYS_unshare, 0x10000000));
  res("unshare unknown bit", syscall(SYS_unshare, 1));
  res("unshare CLONE_FILES|CLONE_FS", syscall(SYS_unshare, 0x600));

  /* vmsplice (LTP vmsplice01-04): into a pipe what fits (a partial count), EAGAIN when full
   * with SPLICE_F_NONBLOCK, out of the read end, EBADF for a file, EINVAL for too many iovecs. */
  static char big[200000];
  memset(big, 'v', sizeof big);
  struct iovec v = { big, sizeof big };
  int q[2];
  pipe(q);
  long n = syscall(SYS_vmsplice, q[1], &v, 1, 0);
  printf("vmsplice big: partial %d\n", n > 0 && n < (long)sizeof big);
  res("vmsplice full NONBLOCK", syscall(SYS_vmsplice, q[1], &v, 1, 2));
  struct iovec rv = { buf, 10 };
  res("vmsplice read end", syscall(SYS_vmsplice, q[0], &rv, 1, 0));
  res("vmsplice file", syscall(SYS_vmsplice, a, &v, 1, 0));
  res("vmsplice 1025 iovecs", syscall(SYS_vmsplice, q[1], &v, 1025, 0));
  res("vmsplice bad flags", syscall(SYS_vmsplice, q[1], &v, 1, 16));

  /* kill(0) and kill(-pgid) reach the caller's group (here: its own), kill(-1) the others. */
  setpgid(0, 0);
  signal(SIGUSR1, on_usr1);
  for (int i = 0; i < 2; i++) {
    int ready[2];
    pipe(ready);
    pid_t k = fork();
    if (k == 0) { signal(SIGUSR1, SIG_DFL); write(ready[1], "r", 1); for (;;) pause(); }
    char ch;
    read(ready[0], &ch, 1);
    if (i == 0) res("kill(-1, 0) with a child", kill(-1, 0));
    res(i == 0 ? "kill(0, SIGUSR1)" : "kill(-pgid, SIGUSR1)", kill(i == 0 ? 0 : -getpgid(0), SIGUSR1));
    int st;
    waitpid(k, &st, 0);
    printf("child killed by SIGUSR1: %d, handler ran %d\n", WIFSIGNALED(st) && WTERMSIG(st) == SIGUSR1, usr1);
  }
  res("kill(INT_MIN, 0)", kill(-2147483647 - 1, 0));
}

int main(void) {
  /* Each thread ends before the next starts: Linux still gives every one a new id. */
  for (long i = 0; i < 12; i++) {
    pthread_t t;
    pthread_create(&t, NULL, thread, (void *)i);
    pthread_join(t, NULL);
  }
  int same = 0;
  for (int i = 0; i < 12; i++)
    for (int j = i + 1; j < 12; j++) same += tids[i] == tids[j];
  printf("threads with a reused tid: %d, tid == pid: %d\n", same, tids[0] == getpid());

  /* clone3: ENOSYS under QEMU (glibc then uses clone). */
  char args[88] = { 0 };
  errno = 0;
  res("clone3", syscall(435, args, sizeof args));
  res("clone3 bad size", syscall(435, args, 1));

  int fd = open("f", O_CREAT | O_RDWR, 0644);
  if (fd < 0) { perror("open"); return 1; }
  close(fd);
  mkdir("d", 0755);
  res("faccessat mode -1", syscall(SYS_faccessat, AT_FDCWD, "f", -1));
  res("faccessat mode 8", syscall(SYS_faccessat, AT_FDCWD, "f", 8));
  res("faccessat R_OK", syscall(SYS_faccessat, AT_FDCWD, "f", R_OK));
  res("faccessat2 flags -1", syscall(439, AT_FDCWD, "f", R_OK, -1));
  res("faccessat2 mode -1", syscall(439, AT_FDCWD, "f", -1, 0));
  res("faccessat2 AT_SYMLINK_NOFOLLOW", syscall(439, AT_FDCWD, "f", W_OK, AT_SYMLINK_NOFOLLOW));
  res("faccessat2 AT_EACCESS (root)", syscall(439, AT_FDCWD, "f", R_OK | W_OK, AT_EACCESS));
  if (getuid() == 0 && setresuid(0, 65534, 0) == 0) {
    /* Real uid root, effective nobody: AT_EACCESS checks the effective one. */
    res("faccessat2 AT_EACCESS (euid nobody) W_OK", syscall(439, AT_FDCWD, "f", W_OK, AT_EACCESS));
    res("faccessat2 (real root) W_OK", syscall(439, AT_FDCWD, "f", W_OK, 0));
    res("faccessat2 AT_EACCESS (euid nobody) R_OK", syscall(439, AT_FDCWD, "f", R_OK, AT_EACCESS));
    if (setresuid(0, 0, 0) != 0) perror("setresuid");
  }

  fd = open("f", O_RDWR);
  res("fallocate 0", fallocate(fd, 0, 0, 8192));
  res("fallocate KEEP_SIZE", fallocate(fd, FALLOC_FL_KEEP_SIZE, 8192, 8192));
  struct stat st;
  fstat(fd, &st);
  printf("size %lld\n", (long long)st.st_size);
  res("fallocate PUNCH_HOLE|KEEP_SIZE", fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, 4096));
  res("fallocate PUNCH_HOLE alone", fallocate(fd, FALLOC_FL_PUNCH_HOLE, 0, 4096));
  res("fallocate len 0", fallocate(fd, 0, 0, 0));
  res("fallocate offset -1", fallocate(fd, 0, -1, 4096));
  close(fd);
  fd = open("f", O_RDONLY);
  res("fallocate read-only fd", fallocate(fd, 0, 0, 4096));
  close(fd);

  char buf[64] = "data";
  fd = open("f", O_RDWR);
  res("pwrite offset -1", pwrite(fd, buf, 4, -1));
  res("pread offset -1", pread(fd, buf, 4, -1));
  res("pwrite offset -1, bad fd", pwrite(-1, buf, 4, -1));
  struct iovec iov = { buf, (size_t)-1 };
  res("pwritev iov_len -1", pwritev(fd, &iov, 1, 0));
  res("readv iov_len -1", readv(fd, &iov, 1));
  iov.iov_len = 4;
  res("pwritev offset -1", pwritev(fd, &iov, 1, -1));
  res("pwritev offset 0", pwritev(fd, &iov, 1, 0));
  close(fd);

  res("getrandom flags -1", getrandom(buf, 8, -1));
  res("getrandom RANDOM|INSECURE", getrandom(buf, 8, GRND_RANDOM | 4));
  res("getrandom NONBLOCK", getrandom(buf, 8, GRND_NONBLOCK));
  struct timeval tv;
  struct timezone tz = { 99, 99 };
  res("gettimeofday tz", syscall(SYS_gettimeofday, &tv, &tz));
  printf("tz %d %d\n", tz.tz_minuteswest, tz.tz_dsttime);
  res("gettimeofday bad tz", syscall(SYS_gettimeofday, &tv, (void *)-1));

  fd = open("f", O_RDONLY);
  errno = posix_fadvise(fd, 0, 0, 6);
  res("fadvise advice 6", errno ? -1 : 0);
  errno = posix_fadvise(fd, 0, 0, -1);
  res("fadvise advice -1", errno ? -1 : 0);
  res("fadvise len -1", syscall(SYS_fadvise64, fd, 0, -1, 0));
  res("fadvise bad fd", syscall(SYS_fadvise64, 99, 0, 0, 0));
  res("fadvise DONTNEED", syscall(SYS_fadvise64, fd, 0, 0, 4));
  close(fd);
  int pp[2];
  if (pipe(pp) == 0) {
    res("fadvise pipe", syscall(SYS_fadvise64, pp[0], 0, 0, 0));
    close(pp[0]);
    close(pp[1]);
  }
  char name[300];
  memset(name, 'a', sizeof name);
  name[249] = 0;
  fd = syscall(SYS_memfd_create, name, 0);
  res("memfd_create name 249", fd);
  if (fd >= 0) close(fd);
  name[249] = 'a';
  name[250] = 0;
  res("memfd_create name 250", syscall(SYS_memfd_create, name, 0));
  name[299] = 0;
  res("memfd_create name 299", syscall(SYS_memfd_create, name, 0));
  struct utsname u;
  uname(&u);
  char version[256] = "";
  FILE *pv = fopen("/proc/sys/kernel/version", "r");
  if (pv && fgets(version, sizeof version, pv)) version[strcspn(version, "\n")] = 0;
  if (pv) fclose(pv);
  printf("uname version is /proc/sys/kernel/version: %d\n", strcmp(u.version, version) == 0);

  res("sched_get_priority_max(SCHED_FIFO)", sched_get_priority_max(SCHED_FIFO));
  res("sched_get_priority_min(SCHED_RR)", sched_get_priority_min(SCHED_RR));
  res("sched_get_priority_max(SCHED_OTHER)", sched_get_priority_max(SCHED_OTHER));
  res("sched_get_priority_max(99)", sched_get_priority_max(99));
  res("sched_getscheduler(0)", sched_getscheduler(0));
  res("sched_getscheduler(-1)", sched_getscheduler(-1));
  res("sched_getscheduler(4194304 * 2 + 1)", sched_getscheduler(4194304 * 2 + 1));
  struct sched_param sp = { 5 };
  res("sched_getparam(0)", syscall(SYS_sched_getparam, 0, &sp));
  printf("priority %d\n", sp.sched_priority);
  res("sched_getparam(0, NULL)", syscall(SYS_sched_getparam, 0, NULL));
  res("sched_getparam(-1)", syscall(SYS_sched_getparam, -1, &sp));
  res("sched_getparam(0, bad)", syscall(SYS_sched_getparam, 0, (void *)8));
  res("sched_setparam(0) 0", syscall(SYS_sched_setparam, 0, &sp));
  sp.sched_priority = 1;
  res("sched_setparam(0) 1 under SCHED_OTHER", syscall(SYS_sched_setparam, 0, &sp));
  struct timespec rr;
  res("sched_rr_get_interval(0)", syscall(SYS_sched_rr_get_interval, 0, &rr));
  unsigned attr[14] = { 0 };
  res("sched_getattr(0, 56)", syscall(SYS_sched_getattr, 0, attr, 56, 0));
  printf("attr size %u policy %u\n", attr[0], attr[1]);
  res("sched_getattr(0, 8)", syscall(SYS_sched_getattr, 0, attr, 8, 0));
  res("sched_getattr flags 1", syscall(SYS_sched_getattr, 0, attr, 56, 1));
  attr[0] = 48;
  attr[1] = 0;
  res("sched_setattr SCHED_OTHER", syscall(SYS_sched_setattr, 0, attr, 0));
  attr[0] = 40;
  res("sched_setattr size 40", syscall(SYS_sched_setattr, 0, attr, 0));
  printf("size written back %u\n", attr[0]);

  errno = 0;
  res("getpriority(-1, 0)", getpriority(-1, 0));
  res("getpriority(PRIO_PROCESS, -1)", getpriority(PRIO_PROCESS, -1));
  res("getpriority(PRIO_USER, -1)", getpriority(PRIO_USER, -1));
  res("raw getpriority self", syscall(SYS_getpriority, PRIO_PROCESS, 0));
  res("nice(3)", nice(3));
  res("raw getpriority self after", syscall(SYS_getpriority, PRIO_PROCESS, 0));
  res("getpriority(PRIO_PROCESS, getpid())", getpriority(PRIO_PROCESS, getpid()));
  if (getuid() == 0) res("nice(-5) as root", nice(-5));
  if (getuid() == 0 && setresuid(65534, 65534, 0) == 0) {
    errno = 0;
    res("nice(-1) as nobody", nice(-1));
    if (setresuid(0, 0, 0) != 0) perror("setresuid");
  }

  linkat_flags();
  round14();
  return 0;
}
