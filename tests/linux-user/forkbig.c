/* fork with a 512 MiB mapping, a few MiB of it written (at its start, middle and end, so above
 * and below 2 GiB of the emulator's memory): each child sees exactly the parent's data, zeros
 * elsewhere, and its writes stay its own; a shared file mapping the parent never read shows the
 * file in the child. */
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define SIZE (512UL << 20)
#define PAGE 4096UL

static uint64_t sum(const unsigned char *p, size_t len) {
  uint64_t s = 0;
  for (size_t i = 0; i < len; i += 8) s = (s ^ *(const uint64_t *)(p + i)) * 0x100000001b3ULL + i;
  return s;
}

int main(void) {
  unsigned char *p = mmap(0, SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) { perror("mmap"); return 1; }
  for (size_t i = 0; i < (4UL << 20); i += 64) p[i] = (unsigned char)(i >> 6) | 1;
  for (size_t i = 0; i < PAGE; i += 8) *(uint64_t *)(p + SIZE / 2 + i) = 0x8000000000000000ULL; /* -0.0 */
  memset(p + SIZE - 2 * PAGE, 0x5a, PAGE);
  char path[] = "/tmp/forkbig-XXXXXX";
  int fd = mkstemp(path);
  if (fd < 0 || write(fd, "the file's bytes\n", 17) != 17) return 1;
  unlink(path);
  const char *file = mmap(0, PAGE, PROT_READ, MAP_SHARED, fd, 0); /* not read before the forks */
  if (file == MAP_FAILED) { perror("mmap file"); return 1; }
  uint64_t head = sum(p, 4UL << 20), mid = sum(p + SIZE / 2, PAGE), tail = sum(p + SIZE - 2 * PAGE, 2 * PAGE);
  printf("parent: head %016llx mid %016llx tail %016llx\n", (unsigned long long)head, (unsigned long long)mid, (unsigned long long)tail);
  for (int k = 0; k < 3; k++) {
    pid_t c = fork();
    if (c == 0) {
      int ok = sum(p, 4UL << 20) == head && sum(p + SIZE / 2, PAGE) == mid && sum(p + SIZE - 2 * PAGE, 2 * PAGE) == tail;
      for (size_t i = 8UL << 20; i < SIZE / 2; i += 1UL << 20) ok &= p[i] == 0;
      ok &= memcmp(file, "the file's bytes\n", 17) == 0;
      memset(p, 0xee, 2 * PAGE);
      p[SIZE - 1] = 1;
      _exit(ok ? 0 : 1);
    }
    int st;
    waitpid(c, &st, 0);
    printf("child %d: %s\n", k, WIFEXITED(st) && WEXITSTATUS(st) == 0 ? "same memory" : "DIFFERENT");
  }
  printf("parent after: %s\n", sum(p, 4UL << 20) == head && p[SIZE - 1] == 0 ? "unchanged" : "CHANGED");
  return 0;
}
