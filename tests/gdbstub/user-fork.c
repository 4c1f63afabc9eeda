/* gdb's fork following (tests/gdbstub-user-fork.test.js): the parent forks a child that runs
 * in_child() and exits 7; the parent calls before_wait(), waits for the child and exits with its
 * status + 1 (in_parent()). */
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

int counter = 10;

int in_child(int v)
{
    counter += v;
    return counter;
}

int before_wait(int pid)
{
    return pid > 0;
}

int in_parent(int st)
{
    return st + 1;
}

int main(void)
{
    pid_t pid = fork();
    if (pid == 0) {
        int r = in_child(5);
        printf("child %d\n", r);
        return 7;
    }
    int st = 0;
    before_wait(pid);
    waitpid(pid, &st, 0);
    printf("parent saw %d\n", WEXITSTATUS(st));
    return in_parent(WEXITSTATUS(st));
}
