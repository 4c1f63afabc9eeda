/* System V IPC between processes: a shared memory segment inherited by a forked child and
 * attached again by id (writes seen both ways), semaphores a child blocks on, message queues,
 * the *ctl calls (IPC_STAT, GETALL/SETALL, IPC_RMID) and EINTR for a blocked semop. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/wait.h>
#include <unistd.h>

struct msg { long type; char text[32]; };
static void on_alarm(int sig) { (void)sig; }

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  int shm = shmget(IPC_PRIVATE, 10000, IPC_CREAT | 0600);
  char *p = shmat(shm, NULL, 0);
  printf("shmat: %s\n", p == (void *)-1 ? strerror(errno) : "ok");
  strcpy(p, "parent");
  strcpy(p + 8192, "second page");
  pid_t c = fork();
  if (c == 0) {
    printf("child sees: %s / %s\n", p, p + 8192);
    strcpy(p, "child was here");
    char *q = shmat(shm, NULL, SHM_RDONLY);
    printf("child second attach: %s\n", q);
    shmdt(q);
    _exit(0);
  }
  int st;
  waitpid(c, &st, 0);
  printf("parent sees: %s\n", p);
  struct shmid_ds ds;
  shmctl(shm, IPC_STAT, &ds);
  printf("shm_segsz %zu nattch %lu mode %o\n", ds.shm_segsz, (unsigned long)ds.shm_nattch, ds.shm_perm.mode & 0777);
  printf("shmdt: %d\n", shmdt(p));
  errno = 0;
  int r = shmdt(p);
  printf("shmdt again: %d %s\n", r, strerror(errno));
  shmctl(shm, IPC_RMID, NULL);

  int sem = semget(IPC_PRIVATE, 2, IPC_CREAT | 0600);
  unsigned short vals[2] = {0, 5};
  semctl(sem, 0, SETALL, vals);
  c = fork();
  if (c == 0) {
    struct sembuf down = {0, -1, 0};
    int r2 = semop(sem, &down, 1);
    printf("child semop: %d\n", r2);
    _exit(0);
  }
  usleep(100000);
  struct sembuf up = {0, 1, 0};
  semop(sem, &up, 1);
  waitpid(c, &st, 0);
  printf("child exited %d\n", WEXITSTATUS(st));
  unsigned short got[2];
  semctl(sem, 0, GETALL, got);
  printf("GETALL %d %d GETVAL(1) %d\n", got[0], got[1], semctl(sem, 1, GETVAL));
  struct semid_ds sds;
  semctl(sem, 0, IPC_STAT, &sds);
  printf("sem_nsems %lu otime set %d\n", (unsigned long)sds.sem_nsems, sds.sem_otime != 0);
  struct sembuf nowait = {0, -1, IPC_NOWAIT};
  errno = 0;
  r = semop(sem, &nowait, 1);
  printf("IPC_NOWAIT on 0: %d %s\n", r, strerror(errno));
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_alarm;
  sa.sa_flags = SA_RESTART;
  sigaction(SIGALRM, &sa, NULL);
  ualarm(100000, 0);
  struct sembuf down = {0, -1, 0};
  errno = 0;
  r = semop(sem, &down, 1);
  printf("blocked semop with SA_RESTART alarm: %d %s\n", r, strerror(errno));
  struct timespec t = {0, 50000000};
  errno = 0;
  r = semtimedop(sem, &down, 1, &t);
  printf("semtimedop: %d %s\n", r, strerror(errno));
  semctl(sem, 0, IPC_RMID);

  int q = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
  c = fork();
  if (c == 0) {
    struct msg m;
    ssize_t n = msgrcv(q, &m, sizeof m.text, 1, 0);
    printf("child msgrcv type 1: %zd %s\n", n, m.text);
    _exit(0);
  }
  usleep(100000);
  struct msg m2 = {2, "two"}, m1 = {1, "one"};
  msgsnd(q, &m2, 4, 0);
  msgsnd(q, &m1, 4, 0);
  waitpid(c, &st, 0);
  struct msqid_ds mds;
  msgctl(q, IPC_STAT, &mds);
  printf("qnum %lu cbytes %lu\n", (unsigned long)mds.msg_qnum, (unsigned long)mds.msg_cbytes);
  struct msg m;
  memset(&m, 0, sizeof m);
  ssize_t n = msgrcv(q, &m, sizeof m.text, 0, IPC_NOWAIT);
  printf("msgrcv any: %zd type %ld %s\n", n, m.type, m.text);
  errno = 0;
  n = msgrcv(q, &m, sizeof m.text, 0, IPC_NOWAIT);
  printf("empty: %zd %s\n", n, strerror(errno));
  printf("msgctl IPC_RMID: %d\n", msgctl(q, IPC_RMID, NULL));
  return 0;
}
