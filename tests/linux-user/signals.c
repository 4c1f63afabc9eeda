/* Handlers, masks, raise/kill, sigaltstack and a SIGSEGV handler that recovers. */
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t got;
static sigjmp_buf env;
static void *fault_addr;

static void on_usr(int sig) { got += sig; }
static void on_segv(int sig, siginfo_t *si, void *uc) {
  (void)uc;
  fault_addr = si->si_addr;
  siglongjmp(env, sig);
}

int main(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_usr;
  sigaction(SIGUSR1, &sa, NULL);
  raise(SIGUSR1);
  printf("after raise: %d\n", got);
  kill(getpid(), SIGUSR1);
  printf("after kill: %d\n", got);
  sigset_t set, old;
  sigemptyset(&set);
  sigaddset(&set, SIGUSR1);
  sigprocmask(SIG_BLOCK, &set, &old);
  raise(SIGUSR1);
  printf("blocked: %d\n", got);
  sigset_t pend;
  sigpending(&pend);
  printf("pending: %d\n", sigismember(&pend, SIGUSR1));
  sigprocmask(SIG_SETMASK, &old, NULL);
  printf("unblocked: %d\n", got);
  static char altstack[65536];
  stack_t ss = {.ss_sp = altstack, .ss_size = sizeof altstack, .ss_flags = 0};
  sigaltstack(&ss, NULL);
  sa.sa_sigaction = on_segv;
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
  sigaction(SIGSEGV, &sa, NULL);
  for (int i = 0; i < 3; i++) {
    int r = sigsetjmp(env, 1);
    if (r == 0) *(volatile int *)(0x1000 + i * 8) = 1;
    printf("recovered from signal %d at %p\n", r, fault_addr);
  }
  signal(SIGUSR2, SIG_IGN);
  raise(SIGUSR2);
  printf("ignored SIGUSR2\n");
  signal(SIGTERM, SIG_DFL);
  fflush(stdout);
  raise(SIGTERM);
  printf("not reached\n");
  return 0;
}
