/* Self-modifying code in user mode: write a function into an RWX mapping, call it, rewrite it
 * (also while a loop keeps calling it), call again. Prints every result. */
#include <stdio.h>
#include <stdint.h>
#include <sys/mman.h>

#define ADDI_A0_A0(imm) (0x00050513u | ((uint32_t)(imm) << 20))
#define RET 0x00008067u

typedef long (*fn_t)(long);

int main(void) {
  uint32_t *code = mmap(0, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (code == MAP_FAILED) { perror("mmap"); return 1; }
  fn_t f = (fn_t)code;
  long sum = 0;
  for (int round = 0; round < 50; round++) {
    code[0] = ADDI_A0_A0(round);
    code[1] = ADDI_A0_A0(1);
    code[2] = RET;
    __builtin___clear_cache((char *)code, (char *)(code + 3));
    /* Hot enough to be translated before the next rewrite. */
    for (int i = 0; i < 200; i++) sum += f(i);
    printf("round %d: f(1000) = %ld\n", round, f(1000));
  }
  printf("sum %ld\n", sum);
  return 0;
}
