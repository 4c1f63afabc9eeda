/* Vector crypto (Zvbb/Zvkb, Zvbc, Zvkned, Zvknha/Zvknhb, Zvkg, Zvksed, Zvksh), which QEMU 7.2
 * lacks: the standards' known answers, computed with the vector instructions only -
 * AES-128 and AES-256 (FIPS-197 C.1, C.3, encrypt and decrypt, keys expanded by vaeskf1/vaeskf2),
 * GCM test case 2 (GHASH by vghsh/vgmul), SHA-256 and SHA-512 of "abc" (FIPS 180-4), SM4 (GB/T
 * 32907 example) and SM3 of "abc" (GB/T 32905) - and the element-wise Zvbb/Zvbc instructions
 * against a C model of the specification's text. gas 2.40 does not know these instructions:
 * they are .word encodings on fixed registers (the C code around them uses no vector register).
 * Run by tests/tcg-ext-vcrypto.test.js at VLEN 128. */
#include "common.h"

typedef unsigned short u16;
typedef unsigned char u8b;
#define ARCH ".option push\n.option arch, +v\n"
#define POP ".option pop\n"
#define VOP(f6, vs2, vs1, f3, vd, opc) (((f6) << 26) | (1u << 25) | ((vs2) << 20) | ((vs1) << 15) | ((f3) << 12) | ((vd) << 7) | (opc))
#define VE(f6, vd, vs2, vs1) asm volatile(".word %0" : : "i"(VOP(f6, vs2, vs1, 2, vd, 0x77)) : "memory")
#define VSET(n, e) asm volatile(ARCH "vsetivli zero, " #n ", " e ", ta, ma\n" POP)
#define VLE32(v, p) asm volatile(ARCH "vle32.v v" #v ", (%0)\n" POP : : "r"(p) : "memory")
#define VSE32(v, p) asm volatile(ARCH "vse32.v v" #v ", (%0)\n" POP : : "r"(p) : "memory")
#define VLE64(v, p) asm volatile(ARCH "vle64.v v" #v ", (%0)\n" POP : : "r"(p) : "memory")
#define VSE64(v, p) asm volatile(ARCH "vse64.v v" #v ", (%0)\n" POP : : "r"(p) : "memory")

static int hexeq(const u8b *got, const char *hex, int n) {
  for (int i = 0; i < n; i++) {
    int hi = hex[2 * i], lo = hex[2 * i + 1];
    int v = ((hi <= '9' ? hi - '0' : hi - 'a' + 10) << 4) | (lo <= '9' ? lo - '0' : lo - 'a' + 10);
    if (got[i] != v) return 0;
  }
  return 1;
}
static void show_hex(const char *name, const u8b *b, int n) {
  tprintf("%s: ", name);
  for (int i = 0; i < n; i++) tprintf("%02x", b[i]);
  tprintf("\n");
}
#define CHECK_HEX(name, buf, hex, n) do { int ok_ = hexeq((const u8b *)(buf), hex, n); if (!ok_) show_hex(name, (const u8b *)(buf), n); check(name, ok_, 1); } while (0)

/* ---- AES (Zvkned) ---- */
static u32 rk[15][4] __attribute__((aligned(16)));
static u32 blk[4] __attribute__((aligned(16)));

static void aes128_expand(const u32 *key) {
  VSET(4, "e32, m1");
  VLE32(1, key);
  VSE32(1, rk[0]);
#define KF1(r) VE(0x22, 1, 1, r); VSE32(1, rk[r]);
  KF1(1) KF1(2) KF1(3) KF1(4) KF1(5) KF1(6) KF1(7) KF1(8) KF1(9) KF1(10)
}
static void aes256_expand(const u32 *key) {
  VSET(4, "e32, m1");
  VLE32(1, key); VSE32(1, rk[0]);
  VLE32(2, key + 4); VSE32(2, rk[1]);
  /* vaeskf2.vi vd=k[r-2] (previous), vs2=k[r-1] (current) -> k[r] in vd */
#define KF2(r, a, b) VE(0x2a, a, b, r); VSE32(a, rk[r]);
  KF2(2, 1, 2) KF2(3, 2, 1) KF2(4, 1, 2) KF2(5, 2, 1) KF2(6, 1, 2) KF2(7, 2, 1) KF2(8, 1, 2)
  KF2(9, 2, 1) KF2(10, 1, 2) KF2(11, 2, 1) KF2(12, 1, 2) KF2(13, 2, 1) KF2(14, 1, 2)
}
static void aes_encrypt(u32 *b, int rounds) {
  VSET(4, "e32, m1");
  VLE32(3, b);
  VLE32(4, rk[0]); VE(0x29, 3, 4, 7); /* vaesz.vs */
  for (int r = 1; r < rounds; r++) { VLE32(4, rk[r]); VE(0x28, 3, 4, 2); } /* vaesem.vv */
  VLE32(4, rk[rounds]); VE(0x28, 3, 4, 3); /* vaesef.vv */
  VSE32(3, b);
}
static void aes_decrypt(u32 *b, int rounds) {
  VSET(4, "e32, m1");
  VLE32(3, b);
  VLE32(4, rk[rounds]); VE(0x29, 3, 4, 7);
  for (int r = rounds - 1; r > 0; r--) { VLE32(4, rk[r]); VE(0x28, 3, 4, 0); } /* vaesdm.vv */
  VLE32(4, rk[0]); VE(0x28, 3, 4, 1); /* vaesdf.vv */
  VSE32(3, b);
}
static void load_hex(void *dst, const char *hex, int n) {
  u8b *d = dst;
  for (int i = 0; i < n; i++) {
    int hi = hex[2 * i], lo = hex[2 * i + 1];
    d[i] = ((hi <= '9' ? hi - '0' : hi - 'a' + 10) << 4) | (lo <= '9' ? lo - '0' : lo - 'a' + 10);
  }
}

static void test_aes(void) {
  u32 key[8] __attribute__((aligned(16)));
  load_hex(key, "000102030405060708090a0b0c0d0e0f", 16);
  aes128_expand(key);
  CHECK_HEX("aes128-round-key-10", rk[10], "13111d7fe3944a17f307a78b4d2b30c5", 16);
  load_hex(blk, "00112233445566778899aabbccddeeff", 16);
  aes_encrypt(blk, 10);
  CHECK_HEX("aes128-fips197-c1-encrypt", blk, "69c4e0d86a7b0430d8cdb78070b4c55a", 16);
  aes_decrypt(blk, 10);
  CHECK_HEX("aes128-fips197-c1-decrypt", blk, "00112233445566778899aabbccddeeff", 16);
  load_hex(key, "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", 32);
  aes256_expand(key);
  aes_encrypt(blk, 14);
  CHECK_HEX("aes256-fips197-c3-encrypt", blk, "8ea2b7ca516745bfeafc49904b496089", 16);
  aes_decrypt(blk, 14);
  CHECK_HEX("aes256-fips197-c3-decrypt", blk, "00112233445566778899aabbccddeeff", 16);
  /* .vs: one round key for several element groups (vl = 8: two blocks at LMUL 2) */
  static u32 two[8] __attribute__((aligned(16)));
  load_hex(key, "000102030405060708090a0b0c0d0e0f", 16);
  aes128_expand(key);
  load_hex(two, "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff", 32);
  VSET(8, "e32, m2");
  VLE32(6, two); VLE32(8, rk[0]);
  VE(0x29, 6, 8, 7); /* vaesz.vs v6, v8: both groups */
  VSE32(6, two);
  CHECK_HEX("vaesz.vs-both-groups", two, "00102030405060708090a0b0c0d0e0f000102030405060708090a0b0c0d0e0f0", 32);
}

/* ---- GHASH (Zvkg): GCM test case 2 (K = 0, P = 0^128, IV = 0^96) ---- */
static void test_ghash(void) {
  u32 key[4] __attribute__((aligned(16))) = { 0 };
  static u32 h[4] __attribute__((aligned(16))), j0[4] __attribute__((aligned(16))), ct[4] __attribute__((aligned(16)));
  static u32 y[4] __attribute__((aligned(16))), len[4] __attribute__((aligned(16)));
  aes128_expand(key);
  for (int i = 0; i < 4; i++) h[i] = 0;
  aes_encrypt(h, 10);
  CHECK_HEX("gcm-h", h, "66e94bd4ef8a2c3b884cfa59ca342b2e", 16);
  load_hex(j0, "00000000000000000000000000000001", 16);
  aes_encrypt(j0, 10);
  load_hex(ct, "00000000000000000000000000000002", 16);
  aes_encrypt(ct, 10); /* C = E(K, inc32(J0)) ^ 0 */
  CHECK_HEX("gcm-tc2-ciphertext", ct, "0388dace60b6a392f328c2b971b2fe78", 16);
  load_hex(len, "00000000000000000000000000000080", 16);
  for (int i = 0; i < 4; i++) y[i] = 0;
  VSET(4, "e32, m1");
  VLE32(1, y); VLE32(2, h); VLE32(3, ct); VLE32(4, len);
  VE(0x2c, 1, 2, 3); /* vghsh.vv v1, v2 (H), v3 (C) */
  VE(0x2c, 1, 2, 4); /* ... the lengths block */
  VSE32(1, y);
  for (int i = 0; i < 4; i++) y[i] ^= j0[i];
  CHECK_HEX("gcm-tc2-tag-vghsh", y, "ab6e47d42cec13bdf53a67b21257bddf", 16);
  /* vgmul.vv: Y * H, so vgmul(C, H) = vghsh(0, H, C) */
  VLE32(5, ct); VE(0x28, 5, 2, 0x11); VSE32(5, y);
  for (int i = 0; i < 4; i++) len[i] = 0;
  VLE32(6, len); VE(0x2c, 6, 2, 3);
  static u32 y2[4] __attribute__((aligned(16)));
  VSE32(6, y2);
  int same = 1;
  for (int i = 0; i < 4; i++) same &= y[i] == y2[i];
  check("vgmul-equals-vghsh-from-zero", same, 1);
}

/* ---- SHA-2 (Zvknha / Zvknhb) ---- */
static const u32 K256[64] = {
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01,
  0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc,
  0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
  0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08,
  0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
  0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};
static u32 W32[64] __attribute__((aligned(16))), tmp32[4] __attribute__((aligned(16)));

static void test_sha256(void) {
  /* "abc", padded: one block, big-endian words */
  for (int i = 0; i < 16; i++) W32[i] = 0;
  W32[0] = 0x61626380; W32[15] = 24;
  VSET(4, "e32, m1");
  for (int i = 0; i < 12; i++) { /* vsha2ms: W[4i+16..] from {W[4i..]}, {W4i+4, W4i+9..11}, {W[4i+12..]} */
    VLE32(20, &W32[4 * i]);
    tmp32[0] = W32[4 * i + 4]; tmp32[1] = W32[4 * i + 9]; tmp32[2] = W32[4 * i + 10]; tmp32[3] = W32[4 * i + 11];
    VLE32(21, tmp32); VLE32(22, &W32[4 * i + 12]);
    VE(0x2d, 20, 21, 22);
    VSE32(20, &W32[4 * i + 16]);
  }
  static const u32 H0[8] = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19 };
  static u32 abef[4] __attribute__((aligned(16))), cdgh[4] __attribute__((aligned(16)));
  abef[0] = H0[5]; abef[1] = H0[4]; abef[2] = H0[1]; abef[3] = H0[0];
  cdgh[0] = H0[7]; cdgh[1] = H0[6]; cdgh[2] = H0[3]; cdgh[3] = H0[2];
  VLE32(10, abef); VLE32(11, cdgh);
  for (int i = 0; i < 16; i++) {
    for (int k = 0; k < 4; k++) tmp32[k] = W32[4 * i + k] + K256[4 * i + k];
    VLE32(16, tmp32);
    VE(0x2f, 11, 10, 16); /* vsha2cl v11 (cdgh), v10 (abef): rounds 4i, 4i+1 */
    VE(0x2e, 10, 11, 16); /* vsha2ch v10, v11: rounds 4i+2, 4i+3 */
  }
  VSE32(10, abef); VSE32(11, cdgh);
  u32 hv[8] = { abef[3], abef[2], cdgh[3], cdgh[2], abef[1], abef[0], cdgh[1], cdgh[0] };
  static u8b out[32];
  for (int i = 0; i < 8; i++) { u32 x = hv[i] + H0[i]; out[4 * i] = x >> 24; out[4 * i + 1] = x >> 16; out[4 * i + 2] = x >> 8; out[4 * i + 3] = x; }
  CHECK_HEX("sha256-abc", out, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", 32);
}

static const u64 K512[80] = {
  0x428a2f98d728ae22UL, 0x7137449123ef65cdUL, 0xb5c0fbcfec4d3b2fUL, 0xe9b5dba58189dbbcUL, 0x3956c25bf348b538UL,
  0x59f111f1b605d019UL, 0x923f82a4af194f9bUL, 0xab1c5ed5da6d8118UL, 0xd807aa98a3030242UL, 0x12835b0145706fbeUL,
  0x243185be4ee4b28cUL, 0x550c7dc3d5ffb4e2UL, 0x72be5d74f27b896fUL, 0x80deb1fe3b1696b1UL, 0x9bdc06a725c71235UL,
  0xc19bf174cf692694UL, 0xe49b69c19ef14ad2UL, 0xefbe4786384f25e3UL, 0x0fc19dc68b8cd5b5UL, 0x240ca1cc77ac9c65UL,
  0x2de92c6f592b0275UL, 0x4a7484aa6ea6e483UL, 0x5cb0a9dcbd41fbd4UL, 0x76f988da831153b5UL, 0x983e5152ee66dfabUL,
  0xa831c66d2db43210UL, 0xb00327c898fb213fUL, 0xbf597fc7beef0ee4UL, 0xc6e00bf33da88fc2UL, 0xd5a79147930aa725UL,
  0x06ca6351e003826fUL, 0x142929670a0e6e70UL, 0x27b70a8546d22ffcUL, 0x2e1b21385c26c926UL, 0x4d2c6dfc5ac42aedUL,
  0x53380d139d95b3dfUL, 0x650a73548baf63deUL, 0x766a0abb3c77b2a8UL, 0x81c2c92e47edaee6UL, 0x92722c851482353bUL,
  0xa2bfe8a14cf10364UL, 0xa81a664bbc423001UL, 0xc24b8b70d0f89791UL, 0xc76c51a30654be30UL, 0xd192e819d6ef5218UL,
  0xd69906245565a910UL, 0xf40e35855771202aUL, 0x106aa07032bbd1b8UL, 0x19a4c116b8d2d0c8UL, 0x1e376c085141ab53UL,
  0x2748774cdf8eeb99UL, 0x34b0bcb5e19b48a8UL, 0x391c0cb3c5c95a63UL, 0x4ed8aa4ae3418acbUL, 0x5b9cca4f7763e373UL,
  0x682e6ff3d6b2b8a3UL, 0x748f82ee5defb2fcUL, 0x78a5636f43172f60UL, 0x84c87814a1f0ab72UL, 0x8cc702081a6439ecUL,
  0x90befffa23631e28UL, 0xa4506cebde82bde9UL, 0xbef9a3f7b2c67915UL, 0xc67178f2e372532bUL, 0xca273eceea26619cUL,
  0xd186b8c721c0c207UL, 0xeada7dd6cde0eb1eUL, 0xf57d4f7fee6ed178UL, 0x06f067aa72176fbaUL, 0x0a637dc5a2c898a6UL,
  0x113f9804bef90daeUL, 0x1b710b35131c471bUL, 0x28db77f523047d84UL, 0x32caab7b40c72493UL, 0x3c9ebe0a15c9bebcUL,
  0x431d67c49c100d4cUL, 0x4cc5d4becb3e42b6UL, 0x597f299cfc657e2aUL, 0x5fcb6fab3ad6faecUL, 0x6c44198c4a475817UL,
};
static u64 W64[80] __attribute__((aligned(16))), tmp64[4] __attribute__((aligned(16)));

static void test_sha512(void) {
  for (int i = 0; i < 16; i++) W64[i] = 0;
  W64[0] = 0x6162638000000000UL; W64[15] = 24;
  VSET(4, "e64, m2");
  for (int i = 0; i < 16; i++) {
    VLE64(20, &W64[4 * i]);
    tmp64[0] = W64[4 * i + 4]; tmp64[1] = W64[4 * i + 9]; tmp64[2] = W64[4 * i + 10]; tmp64[3] = W64[4 * i + 11];
    VLE64(22, tmp64); VLE64(24, &W64[4 * i + 12]);
    VE(0x2d, 20, 22, 24);
    VSE64(20, &W64[4 * i + 16]);
  }
  static const u64 H0[8] = { 0x6a09e667f3bcc908UL, 0xbb67ae8584caa73bUL, 0x3c6ef372fe94f82bUL, 0xa54ff53a5f1d36f1UL,
    0x510e527fade682d1UL, 0x9b05688c2b3e6c1fUL, 0x1f83d9abfb41bd6bUL, 0x5be0cd19137e2179UL };
  static u64 abef[4] __attribute__((aligned(16))), cdgh[4] __attribute__((aligned(16)));
  abef[0] = H0[5]; abef[1] = H0[4]; abef[2] = H0[1]; abef[3] = H0[0];
  cdgh[0] = H0[7]; cdgh[1] = H0[6]; cdgh[2] = H0[3]; cdgh[3] = H0[2];
  VLE64(10, abef); VLE64(12, cdgh);
  for (int i = 0; i < 20; i++) {
    for (int k = 0; k < 4; k++) tmp64[k] = W64[4 * i + k] + K512[4 * i + k];
    VLE64(16, tmp64);
    VE(0x2f, 12, 10, 16);
    VE(0x2e, 10, 12, 16);
  }
  VSE64(10, abef); VSE64(12, cdgh);
  u64 hv[8] = { abef[3], abef[2], cdgh[3], cdgh[2], abef[1], abef[0], cdgh[1], cdgh[0] };
  static u8b out[64];
  for (int i = 0; i < 8; i++) { u64 x = hv[i] + H0[i]; for (int b = 0; b < 8; b++) out[8 * i + b] = x >> (56 - 8 * b); }
  CHECK_HEX("sha512-abc", out, "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f", 64);
}

/* ---- SM4 (Zvksed) ---- */
static void test_sm4(void) {
  static u32 k[4] __attribute__((aligned(16))), x[4] __attribute__((aligned(16))), rks[32] __attribute__((aligned(16)));
  static const u32 MK[4] = { 0x01234567, 0x89abcdef, 0xfedcba98, 0x76543210 };
  static const u32 FK[4] = { 0xa3b1bac6, 0x56aa3350, 0x677d9197, 0xb27022dc };
  for (int i = 0; i < 4; i++) { k[i] = MK[i] ^ FK[i]; x[i] = MK[i]; }
  VSET(4, "e32, m1");
  VLE32(1, k);
#define SM4K(r) VE(0x21, 1, 1, r); VSE32(1, &rks[4 * r]);
  SM4K(0) SM4K(1) SM4K(2) SM4K(3) SM4K(4) SM4K(5) SM4K(6) SM4K(7)
  check("sm4-rk0", rks[0], 0xf12186f9);
  check("sm4-rk31", rks[31], 0x9124a012);
  VLE32(2, x);
  for (int r = 0; r < 8; r++) { VLE32(3, &rks[4 * r]); VE(0x28, 2, 3, 0x10); } /* vsm4r.vv */
  VSE32(2, x);
  u32 ct[4] = { x[3], x[2], x[1], x[0] };
  static u8b out[16];
  for (int i = 0; i < 4; i++) { out[4 * i] = ct[i] >> 24; out[4 * i + 1] = ct[i] >> 16; out[4 * i + 2] = ct[i] >> 8; out[4 * i + 3] = ct[i]; }
  CHECK_HEX("sm4-gbt32907-encrypt", out, "681edf34d206965e86b3e94f536e4246", 16);
}

/* ---- SM3 (Zvksh): words stay big-endian in memory, the instructions swap them ---- */
static u32 W3[72] __attribute__((aligned(16))), st3[8] __attribute__((aligned(16)));
static void test_sm3(void) {
  u8b *m = (u8b *)W3;
  for (int i = 0; i < 64; i++) m[i] = 0;
  m[0] = 'a'; m[1] = 'b'; m[2] = 'c'; m[3] = 0x80; m[63] = 24;
  VSET(8, "e32, m2");
  for (int k = 0; k < 7; k++) { /* vsm3me.vv: W[8k+16..] from vs1 = W[8k..], vs2 = W[8k+8..] */
    VLE32(2, &W3[8 * k]); VLE32(4, &W3[8 * k + 8]);
    VE(0x20, 6, 4, 2);
    VSE32(6, &W3[8 * k + 16]);
  }
  static const u32 IV[8] = { 0x7380166f, 0x4914b2b9, 0x172442d7, 0xda8a0600, 0xa96f30bc, 0x163138aa, 0xe38dee4d, 0xb0fb0e4e };
  u8b *s = (u8b *)st3;
  for (int i = 0; i < 8; i++) { s[4 * i] = IV[i] >> 24; s[4 * i + 1] = IV[i] >> 16; s[4 * i + 2] = IV[i] >> 8; s[4 * i + 3] = IV[i]; }
  VLE32(8, st3);
  for (int r = 0; r < 32; r++) {
    VLE32(10, &W3[2 * r]);
    switch (r) { /* the round number is the instruction's immediate */
#define C3(n) case n: VE(0x2b, 8, 10, n); break;
      C3(0) C3(1) C3(2) C3(3) C3(4) C3(5) C3(6) C3(7) C3(8) C3(9) C3(10) C3(11) C3(12) C3(13) C3(14) C3(15)
      C3(16) C3(17) C3(18) C3(19) C3(20) C3(21) C3(22) C3(23) C3(24) C3(25) C3(26) C3(27) C3(28) C3(29) C3(30) C3(31)
    }
  }
  VSE32(8, st3);
  static u8b out[32];
  for (int i = 0; i < 8; i++) {
    u32 v = ((u32)s[4 * i] << 24 | (u32)s[4 * i + 1] << 16 | (u32)s[4 * i + 2] << 8 | s[4 * i + 3]) ^ IV[i];
    out[4 * i] = v >> 24; out[4 * i + 1] = v >> 16; out[4 * i + 2] = v >> 8; out[4 * i + 3] = v;
  }
  CHECK_HEX("sm3-abc", out, "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0", 32);
}

/* ---- Zvbb / Zvkb / Zvbc against a C model ---- */
static u64 A64[2] __attribute__((aligned(16))) = { 0x8000000000000f01UL, 0x00ff00000000a5c3UL };
static u64 B64[2] __attribute__((aligned(16))) = { 0x0123456789abcdefUL, 0xfedcba9876543210UL };
static u64 R64[4] __attribute__((aligned(16)));
#define OPV(f6, f3, vd, vs2, vs1) asm volatile(".word %0" : : "i"(VOP(f6, vs2, vs1, f3, vd, 0x57)) : "memory")

static u64 clmul64(u64 a, u64 b, int hi) {
  u64 lo = 0, h = 0;
  for (int i = 0; i < 64; i++) if ((b >> i) & 1) { lo ^= a << i; if (i) h ^= a >> (64 - i); }
  return hi ? h : lo;
}
static void test_bitmanip(void) {
  VSET(2, "e64, m1");
  VLE64(1, A64); VLE64(2, B64);
  OPV(0x01, 0, 3, 2, 1); VSE64(3, R64); /* vandn.vv v3 = v2 & ~v1 */
  check("vandn.vv", R64[0], B64[0] & ~A64[0]); check("vandn.vv-1", R64[1], B64[1] & ~A64[1]);
  OPV(0x12, 2, 3, 1, 12); VSE64(3, R64); /* vclz.v */
  check("vclz.v-e64", R64[0], 0); check("vclz.v-e64-1", R64[1], 8);
  OPV(0x12, 2, 3, 1, 13); VSE64(3, R64); /* vctz.v */
  check("vctz.v-e64", R64[0], 0); check("vctz.v-e64-1", R64[1], 0);
  OPV(0x12, 2, 3, 1, 14); VSE64(3, R64); /* vcpop.v */
  check("vcpop.v-e64", R64[0], 6); check("vcpop.v-e64-1", R64[1], 16);
  OPV(0x12, 2, 3, 2, 9); VSE64(3, R64); /* vrev8.v */
  check("vrev8.v-e64", R64[0], 0xefcdab8967452301UL);
  OPV(0x12, 2, 3, 2, 8); VSE64(3, R64); /* vbrev8.v */
  check("vbrev8.v-e64", R64[0], 0x80c4a2e691d5b3f7UL);
  OPV(0x12, 2, 3, 2, 10); VSE64(3, R64); /* vbrev.v */
  check("vbrev.v-e64", R64[0], 0xf7b3d591e6a2c480UL);
  OPV(0x0c, 2, 3, 2, 1); VSE64(3, R64); /* vclmul.vv */
  check("vclmul.vv", R64[0], clmul64(B64[0], A64[0], 0)); check("vclmul.vv-1", R64[1], clmul64(B64[1], A64[1], 0));
  OPV(0x0d, 2, 3, 2, 1); VSE64(3, R64); /* vclmulh.vv */
  check("vclmulh.vv", R64[0], clmul64(B64[0], A64[0], 1)); check("vclmulh.vv-1", R64[1], clmul64(B64[1], A64[1], 1));
  /* rotates at SEW 32 */
  VSET(4, "e32, m1");
  static u32 a32[4] __attribute__((aligned(16))) = { 0x80000001, 0x12345678, 0xdeadbeef, 1 };
  static u32 s32[4] __attribute__((aligned(16))) = { 1, 4, 35, 0 };
  static u32 r32[4] __attribute__((aligned(16)));
  VLE32(1, a32); VLE32(2, s32);
  OPV(0x14, 0, 3, 1, 2); VSE32(3, r32); /* vror.vv v3 = v1 ror v2 */
  check("vror.vv-0", r32[0], 0xc0000000); check("vror.vv-1", r32[1], 0x81234567); check("vror.vv-2-amount-mod-32", r32[2], 0xfbd5b7dd); check("vror.vv-3", r32[3], 1);
  OPV(0x15, 0, 3, 1, 2); VSE32(3, r32); /* vrol.vv */
  check("vrol.vv-0", r32[0], 0x00000003); check("vrol.vv-1", r32[1], 0x23456781);
  OPV(0x15, 3, 3, 1, 1); VSE32(3, r32); /* vror.vi v3, v1, 33 (i5 = 1, imm 1): 33 mod 32 = 1 */
  check("vror.vi-33", r32[0], 0xc0000000);
  /* vwsll.vi at SEW 16 -> 32: zero-extended, shifted by 20 */
  VSET(4, "e16, mf2");
  static u16 h16[4] __attribute__((aligned(16))) = { 0xffff, 0x8001, 3, 0 };
  VLE32(1, h16); /* (loaded as raw bytes at e16) */
  asm volatile(ARCH "vle16.v v1, (%0)\n" POP : : "r"(h16) : "memory");
  OPV(0x35, 3, 4, 1, 20); /* vwsll.vi v4, v1, 20 */
  VSET(4, "e32, m1");
  VSE32(4, r32);
  check("vwsll.vi-0", r32[0], 0xfff00000); check("vwsll.vi-1", r32[1], 0x00100000); check("vwsll.vi-2", r32[2], 0x00300000);
  /* vclz at SEW 8, masked by v0 = 0b0101: inactive elements undisturbed */
  VSET(4, "e8, m1");
  static u8b b8[4] __attribute__((aligned(16))) = { 0x01, 0x80, 0x00, 0x10 };
  static u8b r8[4] __attribute__((aligned(16)));
  asm volatile(ARCH "vle8.v v1, (%0)\n vmv.v.i v3, 9\n vmv.v.i v0, 5\n" POP : : "r"(b8) : "memory");
  asm volatile(".word %0" : : "i"(VOP(0x12, 1, 12, 2, 3, 0x57) & ~(1u << 25)) : "memory"); /* vclz.v v3, v1, v0.t */
  asm volatile(ARCH "vse8.v v3, (%0)\n" POP : : "r"(r8) : "memory");
  check("vclz.v-e8-masked-0", r8[0], 7); check("vclz.v-e8-masked-1", r8[1], 9); check("vclz.v-e8-masked-2", r8[2], 8); check("vclz.v-e8-masked-3", r8[3], 9);
}

/* A group that does not fill LMUL*VLEN, or vl not a multiple of EGS: illegal instruction. */
static void test_illegal(void) {
  VSET(4, "e32, mf2"); /* 64 bits of a 128-bit group */
  trap_arm();
  VE(0x28, 3, 4, 2);
  trap_disarm();
  check("vaesem-lmul-too-small-illegal", mtrap.cause, 2);
  VSET(2, "e32, m1"); /* vl = 2, not a multiple of 4 */
  trap_arm();
  VE(0x28, 3, 4, 2);
  trap_disarm();
  check("vaesem-vl-not-multiple-of-egs-illegal", mtrap.cause, 2);
  VSET(4, "e64, m2"); /* AES needs SEW 32 */
  trap_arm();
  VE(0x28, 4, 6, 2);
  trap_disarm();
  check("vaesem-sew64-illegal", mtrap.cause, 2);
  VSET(2, "e32, m1"); /* vclmul needs SEW 64 */
  trap_arm();
  OPV(0x0c, 2, 3, 2, 1);
  trap_disarm();
  check("vclmul-sew32-illegal", mtrap.cause, 2);
}

int main(void) {
  csr_set(mstatus, 0x600);
  test_bitmanip();
  test_aes();
  test_ghash();
  test_sha256();
  test_sha512();
  test_sm4();
  test_sm3();
  test_illegal();
  finish();
}
