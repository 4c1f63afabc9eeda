/* The Smaia/Ssaia CSRs and the IMSIC's indirect registers, for the programs that use them
 * through csr_read/csr_write (aplic-imsic.c, geilen.c). */
#ifndef IMSIC_CSR_H
#define IMSIC_CSR_H
#include "aia.h"

#define CSR_MISELECT 0x350
#define CSR_MIREG 0x351
#define CSR_MTOPEI 0x35c
#define CSR_MTOPI 0xfb0
#define CSR_SISELECT 0x150
#define CSR_SIREG 0x151
#define CSR_STOPEI 0x15c
#define CSR_STOPI 0xdb0
/* csr_read/csr_write stringize their argument: these expand the number first. */
#define CSRR(n) csr_read_(n)
#define csr_read_(n) csr_read(n)
#define CSRW(n, v) csr_write_(n, v)
#define csr_write_(n, v) csr_write(n, v)
#define CSRRW(n, v) csr_swap_(n, v)
#define csr_swap_(n, v) csr_swap(n, v)
#define EIDELIVERY 0x70
#define EITHRESHOLD 0x72
#define EIP0 0x80
#define EIE0 0xc0
#endif
