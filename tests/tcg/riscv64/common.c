/* Output, checks and the C side of trap handling; see common.h. */
#include <stdarg.h>
#include "common.h"

int checks_failed;
int checks_run;
volatile struct trap_rec mtrap, strap;
volatile int trap_expected;
void (*volatile m_irq_hook)(struct trap_frame *f);
int (*volatile m_exc_hook)(struct trap_frame *f);

void uart_putc(char c) {
  volatile u8 *uart = (volatile u8 *)UART_BASE;
  while (!(uart[5] & 0x20)) {
  }
  uart[0] = (u8)c;
}

void puts_(const char *s) {
  while (*s) uart_putc(*s++);
}

static void put_num(u64 v, unsigned base, int width, char pad, int neg) {
  char buf[24];
  int n = 0;
  do {
    unsigned d = (unsigned)(v % base);
    buf[n++] = (char)(d < 10 ? '0' + d : 'a' + d - 10);
    v /= base;
  } while (v);
  if (neg) buf[n++] = '-';
  while (n < width) {
    uart_putc(pad);
    width--;
  }
  while (n) uart_putc(buf[--n]);
}

/* printf subset: %s %c %d %u %x with optional 0-padding width and l/ll. */
static void vprint(const char *fmt, va_list ap) {
  for (; *fmt; fmt++) {
    if (*fmt != '%') {
      uart_putc(*fmt);
      continue;
    }
    fmt++;
    char pad = ' ';
    int width = 0, lng = 0;
    if (*fmt == '0') pad = '0';
    while (*fmt >= '0' && *fmt <= '9') width = width * 10 + (*fmt++ - '0');
    while (*fmt == 'l') {
      lng = 1;
      fmt++;
    }
    switch (*fmt) {
    case 's':
      puts_(va_arg(ap, const char *));
      break;
    case 'c':
      uart_putc((char)va_arg(ap, int));
      break;
    case 'd': {
      i64 v = lng ? va_arg(ap, i64) : va_arg(ap, int);
      put_num(v < 0 ? -(u64)v : (u64)v, 10, width, pad, v < 0);
      break;
    }
    case 'u':
      put_num(lng ? va_arg(ap, u64) : va_arg(ap, unsigned), 10, width, pad, 0);
      break;
    case 'x':
      put_num(lng ? va_arg(ap, u64) : va_arg(ap, unsigned), 16, width, pad, 0);
      break;
    case '%':
      uart_putc('%');
      break;
    default:
      uart_putc('?');
      break;
    }
  }
}

void tprintf(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vprint(fmt, ap);
  va_end(ap);
}

void check(const char *name, u64 got, u64 want) {
  checks_run++;
  if (got == want) {
    tprintf("ok %s\n", name);
  } else {
    checks_failed++;
    tprintf("FAIL %s got=0x%lx want=0x%lx\n", name, got, want);
  }
}

void checkf(u64 got, u64 want, const char *fmt, ...) {
  va_list ap;
  checks_run++;
  va_start(ap, fmt);
  if (got == want) {
    puts_("ok ");
    vprint(fmt, ap);
    puts_("\n");
  } else {
    checks_failed++;
    puts_("FAIL ");
    vprint(fmt, ap);
    tprintf(" got=0x%lx want=0x%lx\n", got, want);
  }
  va_end(ap);
}

void show(const char *name, u64 value) {
  tprintf("%s = %016lx\n", name, value);
}

void fail(const char *fmt, ...) {
  va_list ap;
  checks_run++;
  checks_failed++;
  puts_("FAIL ");
  va_start(ap, fmt);
  vprint(fmt, ap);
  va_end(ap);
  puts_("\n");
}

void exit_with(u32 code) {
  mmio_write32(SIFIVE_TEST_BASE, code);
  for (;;) asm volatile("wfi");
}

void finish(void) {
  if (checks_failed == 0) {
    tprintf("PASS %d checks\n", checks_run);
    exit_with(0x5555);
  }
  tprintf("FAILED %d of %d checks\n", checks_failed, checks_run);
  u32 code = checks_failed > 255 ? 255 : (u32)checks_failed;
  exit_with((code << 16) | 0x3333);
}

/* Length of the instruction at pc (2 or 4), or 0 when pc is not readable
 * physical RAM (then the handler resumes at ra). */
static u64 insn_len(u64 pc) {
  if (pc < 0x80000000UL || pc >= 0x88000000UL) return 0;
  u16 lo = *(volatile u16 *)pc;
  return (lo & 3) == 3 ? 4 : 2;
}

static void resume_after(struct trap_frame *f) {
  u64 c = f->cause;
  u64 len = (c == CAUSE_FETCH_ACCESS || c == CAUSE_FETCH_PAGE || c == CAUSE_MISALIGNED_FETCH)
                ? 0 : insn_len(f->epc);
  f->epc = len ? f->epc + len : f->regs[1];
}

void m_trap_handler(struct trap_frame *f) {
  u64 mpp = (f->status >> 11) & 3;
  if (f->cause & CAUSE_INTERRUPT) {
    if (m_irq_hook) {
      m_irq_hook(f);
      return;
    }
    tprintf("FAIL unexpected interrupt mcause=%lx mepc=%lx\n", f->cause, f->epc);
    checks_failed++;
    finish();
  }
  /* run_in_mode's return (an ebreak when forwarded by the S handler) */
  if ((f->cause == CAUSE_ECALL_U || f->cause == CAUSE_ECALL_S || f->cause == CAUSE_ECALL_M ||
       f->cause == CAUSE_BREAKPOINT) &&
      f->regs[17] == MAGIC_RETURN_TO_M) {
    extern char return_to_m[];
    f->epc = (u64)return_to_m;
    csr_set(mstatus, MSTATUS_MPP);
    return;
  }
  if (m_exc_hook && m_exc_hook(f)) return;
  if (trap_expected) {
    mtrap.count++;
    mtrap.cause = f->cause;
    mtrap.tval = f->tval;
    mtrap.epc = f->epc;
    mtrap.prev_priv = mpp;
    resume_after(f);
    return;
  }
  tprintf("FAIL unexpected trap mcause=%lx mepc=%lx mtval=%lx priv=%lu\n", f->cause, f->epc,
          f->tval, mpp);
  checks_failed++;
  finish();
}

/* S-mode handler (installed by tests that delegate): records and skips. */
void s_trap_handler(struct trap_frame *f) {
  if ((f->cause == CAUSE_ECALL_U || f->cause == CAUSE_ECALL_S) && f->regs[17] == MAGIC_RETURN_TO_M) {
    /* delegated return ecall of run_in_mode: forward to M (does not come back) */
    asm volatile("mv a7, %0\n\tebreak" : : "r"((u64)MAGIC_RETURN_TO_M) : "a7", "memory");
  }
  strap.count++;
  strap.cause = f->cause;
  strap.tval = f->tval;
  strap.epc = f->epc;
  strap.prev_priv = (f->status >> 8) & 1;
  if (f->cause & CAUSE_INTERRUPT) {
    /* Supervisor software interrupt: clear it so it does not repeat. */
    asm volatile("csrc sip, %0" : : "r"(2UL));
    return;
  }
  resume_after(f);
}

void *memset(void *d, int c, unsigned long n) {
  u8 *p = d;
  while (n--) *p++ = (u8)c;
  return d;
}

void *memcpy(void *d, const void *s, unsigned long n) {
  u8 *p = d;
  const u8 *q = s;
  while (n--) *p++ = *q++;
  return d;
}
