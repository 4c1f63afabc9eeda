/* Uses tests/gdbstub/user-tlslib.c's __thread variable: exits with (1234 + 1) & 0x7f. */
extern int lib_get(void);
extern __thread int lib_tls;
int main(void) { lib_tls += 1; return lib_get() & 0x7f; }
