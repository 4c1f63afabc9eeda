/* SIGILL from illegal CSR accesses (and other illegal instructions) in user mode: the
 * signal frame's pc and si_addr must be the faulting instruction, as under qemu-riscv64
 * (issue 11: tsqemu-riscv64 reported CSR faults at pc + 4). The handler skips the 4-byte
 * instruction. Each probe runs many times so that it also runs translated. */
#include <signal.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include <ucontext.h>

#define PROBE(name, insn)                                                  \
  extern void name(void);                                                  \
  asm(".text\n.globl " #name "\n.p2align 2\n" #name ":\n"                  \
      ".option push\n.option norvc\n" insn "\n.option pop\nret\n");

PROBE(probe_cycle_write, "csrw cycle, x0")
PROBE(probe_instret_set, "li t0, 1\ncsrrs a0, instret, t0")
PROBE(probe_mstatus_read, "csrr a0, mstatus")
PROBE(probe_sstatus_read, "csrr a0, sstatus")
PROBE(probe_vlenb_read, "csrr a0, vlenb")
PROBE(probe_satp_write, "csrw satp, x0")
PROBE(probe_sfence_vma, "sfence.vma")
PROBE(probe_mret, "mret")
PROBE(probe_zero_word, ".word 0")
PROBE(probe_reserved, ".word 0xffffffff")

static volatile uintptr_t expected;
static volatile long delta_pc, delta_addr, hits;
static volatile int code;

static void on_sigill(int sig, siginfo_t *si, void *uc_) {
  ucontext_t *uc = uc_;
  (void)sig;
  uintptr_t pc = uc->uc_mcontext.__gregs[REG_PC];
  delta_pc = (long)(pc - expected);
  delta_addr = (long)((uintptr_t)si->si_addr - expected);
  code = si->si_code;
  hits++;
  uc->uc_mcontext.__gregs[REG_PC] = pc + 4;
}

struct probe { const char *name; void (*fn)(void); uintptr_t off; };

int main(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_sigill;
  sa.sa_flags = SA_SIGINFO;
  sigaction(SIGILL, &sa, NULL);
  struct probe probes[] = {
    { "cycle-write", probe_cycle_write, 0 },
    { "instret-set", probe_instret_set, 4 },
    { "mstatus-read", probe_mstatus_read, 0 },
    { "sstatus-read", probe_sstatus_read, 0 },
    { "vlenb-read", probe_vlenb_read, 0 },
    { "satp-write", probe_satp_write, 0 },
    { "sfence-vma", probe_sfence_vma, 0 },
    { "mret", probe_mret, 0 },
    { "zero-word", probe_zero_word, 0 },
    { "reserved", probe_reserved, 0 },
  };
  for (unsigned k = 0; k < sizeof probes / sizeof probes[0]; k++) {
    struct probe *p = &probes[k];
    long bad = 0, first_pc = 0, first_addr = 0;
    int first_code = 0;
    hits = 0;
    for (int i = 0; i < 3000; i++) {
      expected = (uintptr_t)p->fn + p->off;
      delta_pc = delta_addr = -1;
      p->fn();
      if (i == 0) { first_pc = delta_pc; first_addr = delta_addr; first_code = code; }
      if (delta_pc != 0 || delta_addr != 0) bad++;
    }
    printf("%-14s signals=%ld pc-expected=%ld si_addr-expected=%ld si_code=%d wrong=%ld\n",
           p->name, (long)hits, first_pc, first_addr, first_code, bad);
  }
  return 0;
}
