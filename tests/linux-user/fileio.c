/* File I/O in the directory given as argv[1]. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc < 2) return 2;
  if (chdir(argv[1])) { perror("chdir"); return 1; }
  int fd = open("a.txt", O_CREAT | O_RDWR | O_TRUNC, 0644);
  if (fd < 0) { perror("open"); return 1; }
  for (int i = 0; i < 100; i++) dprintf(fd, "line %d\n", i);
  printf("size after write: %ld\n", (long)lseek(fd, 0, SEEK_CUR));
  lseek(fd, 10, SEEK_SET);
  char buf[64] = {0};
  ssize_t n = read(fd, buf, 20);
  printf("read %zd: [%.*s]\n", n, (int)n, buf);
  printf("pread: %zd\n", pread(fd, buf, 5, 0));
  pwrite(fd, "XXXX", 4, 0);
  struct stat st;
  fstat(fd, &st);
  printf("fstat size=%ld mode=%o nlink=%lu\n", (long)st.st_size, st.st_mode & 0777, (unsigned long)st.st_nlink);
  ftruncate(fd, 100);
  fstat(fd, &st);
  printf("truncated size=%ld\n", (long)st.st_size);
  close(fd);
  FILE *f = fopen("a.txt", "r");
  fgets(buf, sizeof buf, f);
  printf("first line: %s", buf);
  fclose(f);
  f = fopen("b.txt", "a");
  fputs("appended\n", f);
  fclose(f);
  f = fopen("b.txt", "a+");
  fputs("again\n", f);
  fseek(f, 0, SEEK_SET);
  while (fgets(buf, sizeof buf, f)) printf("b: %s", buf);
  fclose(f);
  if (rename("b.txt", "c.txt")) perror("rename");
  printf("stat b: %d errno=%s\n", stat("b.txt", &st), strerror(errno));
  printf("access c: %d\n", access("c.txt", R_OK | W_OK));
  mkdir("d", 0755);
  symlink("../c.txt", "d/link");
  char target[64] = {0};
  printf("readlink: %zd %s\n", readlink("d/link", target, sizeof target - 1), target);
  printf("lstat is link: %d\n", lstat("d/link", &st) == 0 && S_ISLNK(st.st_mode));
  link("c.txt", "hard.txt");
  stat("c.txt", &st);
  printf("nlink=%lu\n", (unsigned long)st.st_nlink);
  int d = dup(1);
  dup2(d, 5);
  write(5, "via dup2\n", 9);
  close(d);
  close(5);
  fd = open("w.txt", O_WRONLY | O_CREAT | O_EXCL, 0600);
  printf("excl again: %d %s\n", open("w.txt", O_WRONLY | O_CREAT | O_EXCL, 0600), strerror(errno));
  writev(fd, (struct iovec[]){{"ab", 2}, {"cd\n", 3}}, 2);
  close(fd);
  unlink("hard.txt");
  unlink("d/link");
  printf("rmdir: %d\n", rmdir("d"));
  printf("open missing: %d %s\n", open("missing", O_RDONLY), strerror(errno));
  char cwd[256];
  printf("cwd ends with dir: %d\n", strstr(getcwd(cwd, sizeof cwd), "") != NULL);
  return 0;
}
