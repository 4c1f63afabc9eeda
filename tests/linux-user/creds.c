/* Credentials, capabilities and prctl passed to the host (as root): ids, groups, set*id with a
 * second thread (glibc's setxid broadcast), setfsuid, capget/capset, prctl KEEPCAPS, DUMPABLE,
 * NO_NEW_PRIVS, PDEATHSIG, TIMERSLACK, CAPBSET_READ, all inherited by a new thread; a forked child (the second fork comes
 * from tsqemu's fork server) sees ids and groups changed after the first fork. */
#define _GNU_SOURCE
#include <grp.h>
#include <linux/capability.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/fsuid.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static void ids(const char *what) {
  uid_t r, e, s; gid_t gr, ge, gs; gid_t g[16];
  getresuid(&r, &e, &s); getresgid(&gr, &ge, &gs);
  int n = getgroups(16, g);
  printf("%s: uid %u %u %u gid %u %u %u groups %d:", what, r, e, s, gr, ge, gs, n);
  for (int i = 0; i < n; i++) printf(" %u", g[i]);
  printf("\n");
}

static pthread_barrier_t bar;
static void *other(void *arg) {
  (void)arg;
  pthread_barrier_wait(&bar); /* main changes ids */
  pthread_barrier_wait(&bar);
  ids("thread");
  return NULL;
}

static void *later(void *arg) {
  struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
  struct __user_cap_data_struct d[2];
  syscall(SYS_capget, &h, d);
  int k = prctl(PR_GET_KEEPCAPS), n = prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0), t = prctl(PR_GET_TIMERSLACK);
  printf("new thread: keepcaps %d nnp %d timerslack %d chown %d\n", k, n, t, (d[0].effective >> CAP_CHOWN) & 1);
  return arg;
}

static void child(const char *what) {
  pid_t c = fork();
  if (c == 0) { ids(what); fflush(stdout); _exit(0); }
  int st; waitpid(c, &st, 0);
}

int main(void) {
  if (getuid() != 0) { printf("not root\n"); return 0; }
  ids("start");
  fflush(stdout);
  child("child1"); /* tsqemu keeps a spare emulator from here on */
  gid_t g[3] = { 5, 7, 100 };
  printf("setgroups %d\n", setgroups(3, g));
  printf("setresgid %d\n", setresgid(0, 1234, 42));
  pthread_t t;
  pthread_barrier_init(&bar, NULL, 2);
  pthread_create(&t, NULL, other, NULL);
  pthread_barrier_wait(&bar);
  printf("setresuid %d\n", setresuid(0, 1000, 0));
  pthread_barrier_wait(&bar);
  pthread_join(t, NULL);
  ids("main");
  fflush(stdout);
  child("child2");
  printf("setfsuid %d\n", setfsuid(-1));
  int b1 = setresuid(-1, 0, -1), b2 = setresgid(0, 0, 0), b3 = setgroups(0, NULL);
  printf("back %d %d %d\n", b1, b2, b3);
  ids("end");
  struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
  struct __user_cap_data_struct d[2];
  int r = syscall(SYS_capget, &h, d);
  printf("capget %d chown %d\n", r, (d[0].effective >> CAP_CHOWN) & 1);
  h.version = 0; h.pid = 0;
  r = syscall(SYS_capget, &h, NULL);
  printf("capget probe %d version %#x\n", r, h.version);
  h.version = _LINUX_CAPABILITY_VERSION_3;
  d[0].effective &= ~(1u << CAP_CHOWN);
  printf("capset %d\n", (int)syscall(SYS_capset, &h, d));
  syscall(SYS_capget, &h, d);
  printf("chown now %d\n", (d[0].effective >> CAP_CHOWN) & 1);
  /* One call per statement: the order of a printf's arguments is not defined. */
  int k0 = prctl(PR_GET_KEEPCAPS);
  int k1 = prctl(PR_SET_KEEPCAPS, 1);
  int k2 = prctl(PR_GET_KEEPCAPS);
  printf("keepcaps %d set %d now %d\n", k0, k1, k2);
  int d0 = prctl(PR_GET_DUMPABLE), n0 = prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0);
  int n1 = prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), n2 = prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0);
  printf("dumpable %d nnp %d set %d now %d\n", d0, n0, n1, n2);
  int sig0 = -1, sig1 = -1;
  int p0 = prctl(PR_GET_PDEATHSIG, &sig0);
  prctl(PR_SET_PDEATHSIG, 10);
  int p1 = prctl(PR_GET_PDEATHSIG, &sig1);
  printf("pdeathsig %d %d now %d %d\n", p0, sig0, p1, sig1);
  int t0 = prctl(PR_SET_TIMERSLACK, 77777), t1 = prctl(PR_GET_TIMERSLACK);
  printf("timerslack set %d now %d\n", t0, t1);
  int c0 = prctl(PR_CAPBSET_READ, CAP_CHOWN), c1 = prctl(PR_CAPBSET_READ, 999);
  printf("capbset chown %d bogus %d\n", c0, c1);
  /* A thread created now has its creator's per-thread keepcaps, no_new_privs, slack and caps. */
  pthread_t t2;
  pthread_create(&t2, NULL, later, NULL);
  pthread_join(t2, NULL);
  /* A forked child keeps the forking thread's caps, keepcaps, no_new_privs and slack (a fresh
   * child emulator is an execve, which would give root its caps back and clear keepcaps). */
  fflush(stdout);
  pid_t pc = fork();
  if (pc == 0) {
    struct __user_cap_header_struct h2 = { _LINUX_CAPABILITY_VERSION_3, 0 };
    struct __user_cap_data_struct d2[2];
    syscall(SYS_capget, &h2, d2);
    int kc = prctl(PR_GET_KEEPCAPS), nn = prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0), sl = prctl(PR_GET_TIMERSLACK);
    printf("forked child: keepcaps %d nnp %d timerslack %d chown %d\n", kc, nn, sl, (d2[0].effective >> CAP_CHOWN) & 1);
    fflush(stdout);
    _exit(0);
  }
  waitpid(pc, NULL, 0);
  return 0;
}
