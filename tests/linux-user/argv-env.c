/* argv, environment and auxv values a program can see. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

int main(int argc, char **argv, char **envp) {
  for (int i = 0; i < argc; i++) printf("argv[%d]=%s\n", i, argv[i]);
  const char *v = getenv("TSQ_TEST_VAR");
  printf("TSQ_TEST_VAR=%s\n", v ? v : "(unset)");
  printf("TSQ_UNSET_ME=%s\n", getenv("TSQ_UNSET_ME") ? "set" : "(unset)");
  int n = 0;
  for (char **e = envp; *e; e++) n += strncmp(*e, "TSQ_", 4) == 0;
  printf("TSQ_ vars: %d\n", n);
  printf("pagesz=%lu hwcap=%lx secure=%lu\n", getauxval(AT_PAGESZ), getauxval(AT_HWCAP), getauxval(AT_SECURE));
  printf("uid match=%d\n", getauxval(AT_UID) == getuid());
  printf("execfn=%s\n", (const char *)getauxval(AT_EXECFN));
  fprintf(stderr, "to stderr\n");
  return argc;
}
