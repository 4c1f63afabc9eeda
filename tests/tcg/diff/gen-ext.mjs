// Instructions of the unprivileged extensions for the differential streams (gen.mjs): every
// instruction of the extensions QEMU 7.2 (the reference) has, with random registers and
// immediates over their whole range. gen.mjs mixes them in when asked for extensions.
//   EXT_GROUPS: extension -> { arch: gas extension names, insn(r, rd, rs, f) -> text }

const sh = (r, n) => r.int(n);

const RR = (ops) => (r, rd, rs) => `${r.pick(ops)} ${rd()}, ${rs()}, ${rs()}`;

export const EXT_GROUPS = {
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
