// Instructions of the unprivileged extensions for the differential streams (gen.mjs): every
// instruction of the extensions QEMU 7.2 (the reference) has, with random registers and
// immediates over their whole range. gen.mjs mixes them in when asked for extensions.
//   EXT_GROUPS: extension -> { arch: gas extension names, insn(r, rd, rs, f) -> text }

const sh = (r, n) => r.int(n);

const RR = (ops) => (r, rd, rs) => `${r.pick(ops)} ${rd()}, ${rs()}, ${rs()}`;

const RM = ['', ', rne', ', rtz', ', rdn', ', rup', ', rmm', ', dyn'];
const F = Array.from({ length: 32 }, (_, i) => `f${i}`);
/** binary16 patterns worth having: zeros, infinities, quiet and signalling NaNs, one, the
 * smallest subnormal, the largest subnormal, the smallest normal, the largest finite. */
const HSPECIAL = [0x0000, 0x8000, 0x7c00, 0xfc00, 0x7e00, 0x7d00, 0x3c00, 0xbc00, 0x0001, 0x03ff, 0x0400, 0x7bff, 0xfbff, 0x3555];

/** Zfh/Zfhmin: `min` limits to the Zfhmin subset (loads, stores, moves, conversions). */
function zfhInsn(r, rd, rs, min) {
  const f = () => r.pick(F);
  const off = () => (r.int(512) * 2 - 512);
  const k = r.int(min ? 4 : 10);
  if (k === 0) {
    // A properly NaN-boxed half in a register (random f registers rarely hold one).
    const t = rd();
    const v = r.chance(0.5) ? r.pick(HSPECIAL) : r.int(0x10000);
    return `li ${t}, ${v}; fmv.h.x ${f()}, ${t}`;
  }
  if (k === 1) return r.chance(0.5) ? `flh ${f()}, ${off()}(s1)` : `fsh ${f()}, ${off()}(s1)`;
  if (k === 2) return r.chance(0.5) ? `fmv.x.h ${rd()}, ${f()}` : `fmv.h.x ${f()}, ${rs()}`;
  if (k === 3) {
    return r.pick([`fcvt.s.h ${f()}, ${f()}`, `fcvt.d.h ${f()}, ${f()}`, `fcvt.h.s ${f()}, ${f()}${r.pick(RM)}`,
      `fcvt.h.d ${f()}, ${f()}${r.pick(RM)}`]);
  }
  if (k === 4) return `${r.pick(['fadd', 'fsub', 'fmul', 'fdiv'])}.h ${f()}, ${f()}, ${f()}${r.pick(RM)}`;
  if (k === 5) return `${r.pick(['fmadd', 'fmsub', 'fnmsub', 'fnmadd'])}.h ${f()}, ${f()}, ${f()}, ${f()}${r.pick(RM)}`;
  if (k === 6) return r.chance(0.3) ? `fsqrt.h ${f()}, ${f()}${r.pick(RM)}` : `${r.pick(['fsgnj', 'fsgnjn', 'fsgnjx', 'fmin', 'fmax'])}.h ${f()}, ${f()}, ${f()}`;
  if (k === 7) return r.chance(0.8) ? `${r.pick(['feq', 'flt', 'fle'])}.h ${rd()}, ${f()}, ${f()}` : `fclass.h ${rd()}, ${f()}`;
  if (k === 8) return `fcvt.${r.pick(['w', 'wu', 'l', 'lu'])}.h ${rd()}, ${f()}${r.pick(RM)}`;
  return `fcvt.h.${r.pick(['w', 'wu', 'l', 'lu'])} ${f()}, ${rs()}${r.pick(RM)}`;
}

export const EXT_GROUPS = {
  zknh: {
    arch: ['zknh'],
    insn: (r, rd, rs) => `${r.pick(['sha256sig0', 'sha256sig1', 'sha256sum0', 'sha256sum1', 'sha512sig0', 'sha512sig1', 'sha512sum0', 'sha512sum1'])} ${rd()}, ${rs()}`,
  },
  zksed: { arch: ['zksed'], insn: (r, rd, rs) => `${r.pick(['sm4ed', 'sm4ks'])} ${rd()}, ${rs()}, ${rs()}, ${r.int(4)}` },
  zksh: { arch: ['zksh'], insn: (r, rd, rs) => `${r.pick(['sm3p0', 'sm3p1'])} ${rd()}, ${rs()}` },
  zkne: {
    arch: ['zkne'],
    insn: (r, rd, rs) => (r.chance(0.6) ? RR(['aes64es', 'aes64esm', 'aes64ks2'])(r, rd, rs)
      : r.chance(0.8) ? `aes64ks1i ${rd()}, ${rs()}, ${r.int(11)}` : `.insn i 0x13, 1, ${rd()}, ${rs()}, ${0x310 + 11 + r.int(5)}`),
  },
  zknd: {
    arch: ['zknd'],
    insn: (r, rd, rs) => (r.chance(0.7) ? RR(['aes64ds', 'aes64dsm', 'aes64ks2'])(r, rd, rs) : `aes64im ${rd()}, ${rs()}`),
  },
  zfh: { arch: ['zfh'], insn: (r, rd, rs) => zfhInsn(r, rd, rs, false) },
  zfhmin: { arch: ['zfhmin'], insn: (r, rd, rs) => zfhInsn(r, rd, rs, true) },
  zba: {
    arch: ['zba'],
    insn: (r, rd, rs) => (r.chance(0.2)
      ? `slli.uw ${rd()}, ${rs()}, ${sh(r, 64)}`
      : RR(['sh1add', 'sh2add', 'sh3add', 'add.uw', 'sh1add.uw', 'sh2add.uw', 'sh3add.uw'])(r, rd, rs)),
  },
  zbb: {
    arch: ['zbb'],
    insn: (r, rd, rs) => {
      const k = r.int(4);
      if (k === 0) return RR(['andn', 'orn', 'xnor', 'max', 'maxu', 'min', 'minu', 'rol', 'ror', 'rolw', 'rorw'])(r, rd, rs);
      // (ctzw only on operands chosen below: QEMU 7.2 counts into the upper word when the lower
      // one is zero, ctzw(0x4000000000000000) = 62 there; the spec says 32, see
      // tests/tcg-riscv64-ext.test.js)
      if (k === 1) return `${r.pick(['clz', 'ctz', 'cpop', 'clzw', 'cpopw', 'sext.b', 'sext.h', 'zext.h', 'orc.b', 'rev8'])} ${rd()}, ${rs()}`;
      if (k === 2) return r.chance(0.5) ? `rori ${rd()}, ${rs()}, ${sh(r, 64)}` : `roriw ${rd()}, ${rs()}, ${sh(r, 32)}`;
      // Operands that make the counts interesting: 0, one bit, low/high halves.
      const t = rd();
      const op = r.pick(['clz', 'ctz', 'cpop', 'clzw', 'ctzw', 'cpopw']);
      const v = r.pick(['0', '1', '-1', '0x80000000', '0x8000000000000000', '0x100000000', '0xffffffff', '0x10', '0xffffffff00000000']);
      return `li ${t}, ${op === 'ctzw' && /^0x[18]0{8}/.test(v) ? '0x80000001' : v}; ${op} ${rd()}, ${t}`;
    },
  },
  zbc: { arch: ['zbc'], insn: RR(['clmul', 'clmulh', 'clmulr']) },
  zbs: {
    arch: ['zbs'],
    insn: (r, rd, rs) => (r.chance(0.5) ? RR(['bclr', 'bext', 'binv', 'bset'])(r, rd, rs)
      : `${r.pick(['bclri', 'bexti', 'binvi', 'bseti'])} ${rd()}, ${rs()}, ${sh(r, 64)}`),
  },
  zbkb: {
    arch: ['zbkb'],
    insn: (r, rd, rs) => (r.chance(0.7) ? RR(['pack', 'packh', 'packw', 'andn', 'orn', 'xnor', 'rol', 'ror', 'rolw', 'rorw'])(r, rd, rs)
      : `${r.pick(['brev8', 'rev8'])} ${rd()}, ${rs()}`),
  },
  zbkc: { arch: ['zbkc'], insn: RR(['clmul', 'clmulh']) },
  zbkx: {
    arch: ['zbkx'],
    // Random bytes rarely index rs1 (0-7): half the time the index register holds small ones.
    insn: (r, rd, rs) => {
      if (r.chance(0.5)) return RR(['xperm4', 'xperm8'])(r, rd, rs);
      const t = rd(), idx = Array.from({ length: 8 }, () => r.int(10).toString(16).padStart(2, '0')).join('');
      return `li ${t}, 0x${idx}; xperm8 ${rd()}, ${rs()}, ${t}`;
    },
  },
};

/** One instruction of a random extension of `exts` (x0 and the pointer registers now and then). */
export function extInsn(r, exts, rd, rs) {
  const g = EXT_GROUPS[r.pick(exts)];
  return g.insn(r, rd, r.chance(0.2) ? () => r.pick(['x0', 'x8', 'x9']) : rs);
}

/** The `.option arch` line for a list of extensions. */
export function archLine(exts) {
  const names = [...new Set(exts.flatMap((e) => EXT_GROUPS[e].arch))];
  return names.length ? `.option arch, ${names.map((n) => `+${n}`).join(', ')}` : '';
}
