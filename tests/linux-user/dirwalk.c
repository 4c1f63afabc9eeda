/* Build a tree in argv[1] and walk it with nftw and readdir (sorted output). */
#define _XOPEN_SOURCE 700
#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char *names[256];
static int count;
static size_t rootlen;

static int visit(const char *p, const struct stat *st, int type, struct FTW *ftw) {
  char line[512];
  snprintf(line, sizeof line, "%s %c %ld depth=%d", p + rootlen, type == FTW_D ? 'd' : type == FTW_SL ? 'l' : 'f',
           S_ISREG(st->st_mode) ? (long)st->st_size : 0L, ftw->level);
  names[count++] = strdup(line);
  return 0;
}

static int cmp(const void *a, const void *b) { return strcmp(*(char **)a, *(char **)b); }

int main(int argc, char **argv) {
  if (argc < 2 || chdir(argv[1])) return 2;
  mkdir("t", 0755);
  for (int i = 0; i < 3; i++) {
    char d[64];
    snprintf(d, sizeof d, "t/dir%d", i);
    mkdir(d, 0755);
    for (int j = 0; j <= i; j++) {
      char f[96];
      snprintf(f, sizeof f, "%s/file%d", d, j);
      FILE *fp = fopen(f, "w");
      fprintf(fp, "%*s", i * 10 + j, "");
      fclose(fp);
    }
  }
  symlink("dir0", "t/sl");
  rootlen = 0;
  nftw("t", visit, 16, FTW_PHYS);
  qsort(names, count, sizeof *names, cmp);
  for (int i = 0; i < count; i++) puts(names[i]);
  DIR *dir = opendir("t/dir2");
  struct dirent *e;
  int n = 0;
  while ((e = readdir(dir))) n++;
  closedir(dir);
  printf("entries in dir2: %d\n", n);
  return 0;
}
