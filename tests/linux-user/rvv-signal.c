/* The V state in a signal frame (Linux 6.5+ layout): the handler finds the RISCV_V_MAGIC
 * header in the sigcontext's reserved FP tail, checks vl/vtype/vcsr/vlenb and the registers at
 * datap, then changes v1, vl and vxrm in the frame; after rt_sigreturn main sees the changed
 * values (restored from the frame) and the handler's own vector work is gone. With an argument
 * the handler corrupts the header's size and rt_sigreturn kills the process with SIGSEGV. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <stdint.h>
#include <ucontext.h>

#define ARCH ".option push\n.option arch, +v\n"
#define POP ".option pop\n"
#define V_MAGIC 0x53465457u

static volatile int seen, corrupt;
static unsigned long hvl, hvtype, hvcsr, hvlenb, hsize;
static unsigned char hv1[64];

static void handler(int sig, siginfo_t *si, void *ctx) {
  (void)sig; (void)si;
  ucontext_t *uc = ctx;
  unsigned char *sc = (unsigned char *)&uc->uc_mcontext;
  uint32_t *hdr = (uint32_t *)(sc + 256 + 520);
  if (hdr[0] != V_MAGIC) { printf("no V header: magic %x size %u\n", hdr[0], hdr[1]); seen = -1; return; }
  hsize = hdr[1];
  unsigned long *st = (unsigned long *)(hdr + 2);
  hvl = st[1]; hvtype = st[2]; hvcsr = st[3]; hvlenb = st[4];
  unsigned char *datap = (unsigned char *)st[5];
  memcpy(hv1, datap + 1 * hvlenb, hvlenb);
  uint32_t *end = (uint32_t *)((unsigned char *)hdr + hsize);
  printf("end header magic %u size %u\n", end[0], end[1]);
  /* change v1 (every byte + 1), vl (to 3) and vxrm (to 2) for the interrupted code */
  for (unsigned long i = 0; i < hvlenb; i++) datap[1 * hvlenb + i]++;
  st[1] = 3;
  st[3] = (2 << 1) | (hvcsr & 1);
  /* the handler's own vector work must not survive sigreturn */
  asm volatile(ARCH "vsetivli zero, 1, e64, m1, ta, ma\n vmv.v.i v2, 9\n csrwi vxrm, 1\n" POP);
  if (corrupt) hdr[1] = 12345; /* a wrong size: rt_sigreturn must refuse it (SIGSEGV) */
  seen = 1;
}

int main(int argc, char **argv) {
  (void)argv;
  corrupt = argc > 1;
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = handler;
  sa.sa_flags = SA_SIGINFO;
  sigaction(SIGUSR1, &sa, 0);
  static unsigned char buf[64], out1[64], out2[64];
  for (int i = 0; i < 64; i++) buf[i] = i * 3;
  unsigned long vl, vtype, vxrm, vlenb;
  asm volatile(ARCH "vsetivli zero, 5, e8, m1, tu, mu\n csrwi vxrm, 3\n vsetvli t0, zero, e8, m1, ta, ma\n vle8.v v1, (%0)\n vle8.v v2, (%0)\n vsetivli zero, 5, e8, m1, tu, mu\n" POP
               : : "r"(buf) : "t0", "memory");
  raise(SIGUSR1);
  asm volatile(ARCH "csrr %0, vl\n csrr %1, vtype\n csrr %2, vxrm\n csrr %3, vlenb\n" POP : "=r"(vl), "=r"(vtype), "=r"(vxrm), "=r"(vlenb));
  asm volatile(ARCH "vsetvli t0, zero, e8, m1, ta, ma\n vse8.v v1, (%0)\n vse8.v v2, (%1)\n" POP : : "r"(out1), "r"(out2) : "t0", "memory");
  printf("handler: seen %d size %lu vl %lu vtype %#lx vcsr %lu vlenb %lu v1[0..3] %u %u %u %u\n", seen, hsize, hvl, hvtype, hvcsr, hvlenb,
         hv1[0], hv1[1], hv1[2], hv1[3]);
  int ok1 = 1, ok2 = 1;
  for (unsigned long i = 0; i < vlenb; i++) { ok1 &= out1[i] == (unsigned char)(buf[i] + 1); ok2 &= out2[i] == buf[i]; }
  printf("after: vl %lu vtype %#lx vxrm %lu v1 changed by the handler %d v2 kept %d\n", vl, vtype, vxrm, ok1, ok2);
  return 0;
}
