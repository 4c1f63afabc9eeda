/* Loop shapes the block compiler turns into nested wasm loops (translate-block.ts
 * regionLayout): nested loops, loops with several back edges (continue), loops entered in the
 * middle (calls inside loops return to a run inside the loop group), partly overlapping back
 * edges (goto), and loads/stores that miss the TLB inside hot loops (pages 4 KiB apart and
 * pages aliasing in the direct-mapped TLB), so translated code leaves for the interpreter on a
 * miss and comes back. Loop groups peeled (tb-layout.ts peelable: every back edge to the first
 * run, entries after it run a copy of the rest of the group): list walks and reversals entered
 * at their condition, a loop entered after a call in its middle on every iteration, with loads
 * that miss the TLB (aliasing pages) in the copy and in the loop. Output must equal
 * qemu-riscv64's. */
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static uint64_t mix(uint64_t h, uint64_t v) { h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2); return h; }

__attribute__((noinline)) static uint64_t leaf(uint64_t x) { return x * 2654435761u + 7; }

static uint64_t nested(int n) {
  uint64_t h = 1;
  for (int i = 0; i < n; i++)
    for (int j = 0; j < i; j++) {
      if ((i ^ j) & 1) continue;
      for (int k = 0; k < 3; k++) h = mix(h, (uint64_t)i * j + k);
    }
  return h;
}

static uint64_t calls_in_loop(int n) {
  uint64_t h = 3;
  for (int i = 0; i < n; i++) {
    h = mix(h, leaf(i));
    if (i % 7 == 0) h = mix(h, leaf(h));
  }
  return h;
}

static uint64_t overlapping(int n) {
  uint64_t h = 5;
  int i = 0, j = 0;
a:
  h = mix(h, i);
  i++;
b:
  h = mix(h, j);
  j += 3;
  if (j % 5 == 1 && j < n) goto b;
  if (i < n && (h & 3)) goto a;
  if (j < 4 * n) goto b;
  return h;
}

static uint64_t pages(void) {
  /* 48 pages, touched with strides that alias in a 1024-entry TLB. */
  size_t sz = (size_t)4096 * 4096 * 3;
  uint8_t *m = malloc(sz);
  if (!m) return 0;
  uint64_t h = 9;
  for (int r = 0; r < 4; r++)
    for (size_t p = 0; p < sz; p += (size_t)4096 * 1024) {
      for (size_t q = 0; q < 3 * 4096; q += 4093) {
        m[p + q] = (uint8_t)(h + q);
        h = mix(h, m[p + q] + m[(p + q * 7) % sz]);
      }
    }
  free(m);
  return h;
}

static uint64_t strings(void) {
  char buf[8192];
  uint64_t h = 11;
  for (int r = 0; r < 200; r++) {
    memset(buf, 'a' + r % 26, sizeof buf);
    buf[r * 37 % sizeof buf] = 0;
    h = mix(h, strlen(buf));
  }
  return h;
}

struct node { struct node *next; uint64_t v; };

__attribute__((noinline)) static struct node *reverse(struct node *l) {
  struct node *r = 0;
  while (l) { struct node *n = l->next; l->next = r; r = l; l = n; }
  return r;
}

__attribute__((noinline)) static struct node *find(struct node *l, uint64_t v) {
  while (l && l->v != v) l = l->next;
  return l;
}

static uint64_t peeled(int n) {
  /* Nodes 4 MiB apart (they alias in the TLB), so walks miss it in the loop and in the copy. */
  enum { N = 24 };
  uint8_t *m = malloc((size_t)N << 22);
  if (!m) return 0;
  struct node *l = 0;
  for (int i = 0; i < N; i++) {
    struct node *e = (struct node *)(m + ((size_t)i << 22) + 64 * (i % 5));
    e->v = (uint64_t)i * 7 + 1; e->next = l; l = e;
  }
  uint64_t h = 13;
  for (int r = 0; r < n; r++) {
    l = reverse(l);
    struct node *f = find(l, (uint64_t)(r % (N + 3)) * 7 + 1);
    h = mix(h, f ? f->v : 0);
    /* A call in the middle: its return address is an entry after the group's first run. */
    uint64_t s = 0;
    for (struct node *p = l; p; p = p->next) { s += p->v; if (p->v & 8) s = leaf(s); }
    h = mix(h, s);
  }
  free(m);
  return h;
}

int main(void) {
  printf("nested %016llx\n", (unsigned long long)nested(300));
  printf("calls %016llx\n", (unsigned long long)calls_in_loop(200000));
  printf("overlap %016llx\n", (unsigned long long)overlapping(20000));
  printf("pages %016llx\n", (unsigned long long)pages());
  printf("strings %016llx\n", (unsigned long long)strings());
  printf("peeled %016llx\n", (unsigned long long)peeled(20000));
  return 0;
}
