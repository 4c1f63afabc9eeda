/* File locks between two processes are real: fcntl record locks, OFD locks and flock.
 * Usage: locks DIR. Output is deterministic (each side waits for the other through pipes). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

static int lk(int fd, int cmd, short type) {
  struct flock fl = { .l_type = type, .l_whence = SEEK_SET, .l_start = 0, .l_len = 100 };
  return fcntl(fd, cmd, &fl) < 0 ? -errno : 0;
}

static void say(const char *who, const char *what, int r) {
  printf("%s: %s = %s\n", who, what, r == 0 ? "ok" : strerror(-r));
  fflush(stdout);
}

static void on_alarm(int sig) { (void)sig; }

int main(int argc, char **argv) {
  char path[4096];
  snprintf(path, sizeof path, "%s/db", argc > 1 ? argv[1] : ".");
  int fd = open(path, O_RDWR | O_CREAT, 0644);
  int ofd = open(path, O_RDWR);
  int ffd = open(path, O_RDWR);
  int go[2], back[2];
  if (fd < 0 || pipe(go) < 0 || pipe(back) < 0) return 1;
  say("parent", "F_SETLK write", lk(fd, F_SETLK, F_WRLCK));
  /* (OFD and process locks of one process conflict too: the OFD one is on another range) */
  struct flock ofl = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 100, .l_len = 10 };
  say("parent", "F_OFD_SETLK write", fcntl(ofd, F_OFD_SETLK, &ofl) < 0 ? -errno : 0);
  say("parent", "flock LOCK_EX", flock(ffd, LOCK_EX) < 0 ? -errno : 0);
  pid_t pid = fork();
  char c;
  if (pid == 0) {
    int cfd = open(path, O_RDWR);
    say("child", "F_SETLK write (held by parent)", lk(cfd, F_SETLK, F_WRLCK));
    say("child", "F_SETLK read (held by parent)", lk(cfd, F_SETLK, F_RDLCK));
    struct flock q = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 1 };
    fcntl(cfd, F_GETLK, &q);
    printf("child: F_GETLK type %s, holder is parent %d\n", q.l_type == F_WRLCK ? "F_WRLCK" : "other", q.l_pid == getppid());
    struct flock o = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 105, .l_len = 1 };
    say("child", "F_OFD_SETLK (held by parent)", fcntl(cfd, F_OFD_SETLK, &o) < 0 ? -errno : 0);
    say("child", "flock LOCK_EX|LOCK_NB (held by parent)", flock(cfd, LOCK_EX | LOCK_NB) < 0 ? -errno : 0);
    /* A signal interrupts a waiting F_SETLKW (the parent sends SIGUSR1 until we say so). */
    struct sigaction sa = { .sa_handler = on_alarm };
    sigaction(SIGUSR1, &sa, NULL);
    if (write(back[1], "s", 1) != 1) return 1;
    say("child", "F_SETLKW interrupted by SIGUSR1", lk(cfd, F_SETLKW, F_WRLCK));
    if (write(back[1], "i", 1) != 1) return 1;
    /* Now wait for real: the parent lets go after we said so. */
    if (write(back[1], "w", 1) != 1) return 1;
    say("child", "F_SETLKW (waits for the parent)", lk(cfd, F_SETLKW, F_WRLCK));
    say("child", "flock LOCK_EX (waits for the parent)", flock(cfd, LOCK_EX) < 0 ? -errno : 0);
    _exit(0);
  }
  signal(SIGUSR1, SIG_IGN);
  if (read(back[0], &c, 1) != 1) return 1;
  fcntl(back[0], F_SETFL, O_NONBLOCK);
  while (read(back[0], &c, 1) != 1) { kill(pid, SIGUSR1); usleep(100000); }
  fcntl(back[0], F_SETFL, 0);
  if (read(back[0], &c, 1) != 1) return 1;
  usleep(200000);
  printf("parent: releasing\n");
  fflush(stdout);
  lk(fd, F_SETLK, F_UNLCK);
  flock(ffd, LOCK_UN);
  int st;
  waitpid(pid, &st, 0);
  say("parent", "F_SETLK after the child exited", lk(fd, F_SETLK, F_WRLCK));
  unlink(path);
  return WIFEXITED(st) ? WEXITSTATUS(st) : 99;
}
