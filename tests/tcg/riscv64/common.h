/*
 * Shared helpers for the bare-metal instruction tests (see README.md).
 *
 * Output goes to the virt machine's ns16550a UART; the program ends through the
 * sifive_test device: pass (QEMU exits 0) when no check failed, otherwise fail
 * with the number of failed checks as exit code.
 */
#ifndef TCG_RISCV64_COMMON_H
#define TCG_RISCV64_COMMON_H

typedef unsigned long u64;
typedef long i64;
typedef unsigned int u32;
typedef int i32;
typedef unsigned short u16;
typedef unsigned char u8;

#define UART_BASE 0x10000000UL
#define SIFIVE_TEST_BASE 0x100000UL
#define CLINT_MSIP 0x2000000UL
#define CLINT_MTIMECMP 0x2004000UL
#define CLINT_MTIME 0x200bff8UL

/* mcause / scause values */
#define CAUSE_MISALIGNED_FETCH 0
#define CAUSE_FETCH_ACCESS 1
#define CAUSE_ILLEGAL 2
#define CAUSE_BREAKPOINT 3
#define CAUSE_MISALIGNED_LOAD 4
#define CAUSE_LOAD_ACCESS 5
#define CAUSE_MISALIGNED_STORE 6
#define CAUSE_STORE_ACCESS 7
#define CAUSE_ECALL_U 8
#define CAUSE_ECALL_S 9
#define CAUSE_ECALL_M 11
#define CAUSE_FETCH_PAGE 12
#define CAUSE_LOAD_PAGE 13
#define CAUSE_STORE_PAGE 15
#define CAUSE_INTERRUPT (1UL << 63)

#define PRV_U 0
#define PRV_S 1
#define PRV_M 3

#define MSTATUS_SIE (1UL << 1)
#define MSTATUS_MIE (1UL << 3)
#define MSTATUS_SPIE (1UL << 5)
#define MSTATUS_MPIE (1UL << 7)
#define MSTATUS_SPP (1UL << 8)
#define MSTATUS_MPP (3UL << 11)
#define MSTATUS_FS (3UL << 13)
#define MSTATUS_MPRV (1UL << 17)
#define MSTATUS_SUM (1UL << 18)
#define MSTATUS_MXR (1UL << 19)
#define MSTATUS_TVM (1UL << 20)
#define MSTATUS_TW (1UL << 21)
#define MSTATUS_TSR (1UL << 22)

#define MAGIC_RETURN_TO_M 0x5ec0de

#define STR_(x) #x
#define STR(x) STR_(x)
#define csr_read(csr) ({ u64 v_; asm volatile("csrr %0, " #csr : "=r"(v_)); v_; })
#define csr_write(csr, val) asm volatile("csrw " #csr ", %0" : : "r"((u64)(val)) : "memory")
#define csr_set(csr, val) asm volatile("csrs " #csr ", %0" : : "r"((u64)(val)) : "memory")
#define csr_clear(csr, val) asm volatile("csrc " #csr ", %0" : : "r"((u64)(val)) : "memory")
#define csr_swap(csr, val) ({ u64 v_; asm volatile("csrrw %0, " #csr ", %1" : "=r"(v_) : "r"((u64)(val)) : "memory"); v_; })

static inline u64 mmio_read64(u64 addr) { return *(volatile u64 *)addr; }
static inline void mmio_write64(u64 addr, u64 v) { *(volatile u64 *)addr = v; }
static inline u32 mmio_read32(u64 addr) { return *(volatile u32 *)addr; }
static inline void mmio_write32(u64 addr, u32 v) { *(volatile u32 *)addr = v; }

/* Output */
void uart_putc(char c);
void puts_(const char *s);
void tprintf(const char *fmt, ...);

/* Checks: print "ok NAME" or "FAIL NAME got=... want=..." and count failures. */
extern int checks_failed;
extern int checks_run;
void check(const char *name, u64 got, u64 want);
void checkf(u64 got, u64 want, const char *fmt, ...);
/* Print a computed value (for byte-for-byte comparison with real QEMU). */
void show(const char *name, u64 value);
void fail(const char *fmt, ...);
void finish(void) __attribute__((noreturn));
void exit_with(u32 code) __attribute__((noreturn));

/* Traps. The M-mode handler records an exception when trap_expected is set and
 * resumes after the faulting instruction (for fetch faults: at ra). Any other
 * exception is reported as a failure and ends the program. */
struct trap_frame {
  u64 regs[32];
  u64 epc, cause, tval, status;
};
struct trap_rec {
  u64 count, cause, tval, epc, prev_priv;
};
extern volatile struct trap_rec mtrap, strap;
extern volatile int trap_expected;
/* Interrupt hook (M mode): called for any interrupt cause; NULL = unexpected. */
extern void (*volatile m_irq_hook)(struct trap_frame *f);
/* Optional hook for exceptions, called before the default handling; returns
 * nonzero when it handled the trap. */
extern int (*volatile m_exc_hook)(struct trap_frame *f);

static inline void trap_arm(void) {
  mtrap.count = 0;
  mtrap.cause = mtrap.tval = mtrap.epc = mtrap.prev_priv = ~0UL;
  strap.count = 0;
  strap.cause = strap.tval = strap.epc = strap.prev_priv = ~0UL;
  trap_expected = 1;
  asm volatile("" ::: "memory");
}
static inline void trap_disarm(void) {
  asm volatile("" ::: "memory");
  trap_expected = 0;
}

/* Calls fn(arg) in privilege mode (PRV_U / PRV_S / PRV_M) and returns its result. */
u64 run_in_mode(int mode, u64 (*fn)(u64), u64 arg);
extern char s_trap_entry[];
extern char trap_entry[];

void *memset(void *d, int c, unsigned long n);
void *memcpy(void *d, const void *s, unsigned long n);

#endif
