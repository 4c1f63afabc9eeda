/* A shared library's __thread variable (tests/gdbstub-user-more.test.js: gdb's `p lib_tls`
 * through qGetTLSAddr with the library's link map). */
__thread int lib_tls = 1234;
int lib_get(void) { return lib_tls; }
