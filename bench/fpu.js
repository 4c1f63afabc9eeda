// ns per F/D operation through helperFp (operands and results in a CPURISCVState), e.g.
//   node bench/fpu.js
import { allocateGuestMemory, AddressSpace } from '../dist/exec/memory.js';
import { CPURISCVState, STATE, riscvCpuStateBytes } from '../dist/target/riscv/cpu-state.js';
import { helperFp, FP_OP_NAMES } from '../dist/target/riscv/fpu_helper.js';

const layout = allocateGuestMemory(riscvCpuStateBytes(1), 0, 0);
const env = new CPURISCVState(new AddressSpace(layout.memory), layout.cpuStateOffset, 0);
const fpr = env.base + STATE.fpr.offset;
const N = 2_000_000;

function bench(name, rm, a, b, c = 1) {
  const op = FP_OP_NAMES.indexOf(name);
  const single = name.endsWith('.s');
  const put = (r, x) => {
    if (single) {
      env.view.setFloat32(fpr + r * 8, x, true);
      env.view.setUint32(fpr + r * 8 + 4, 0xffffffff, true);
    } else env.view.setFloat64(fpr + r * 8, x, true);
  };
  put(1, a); put(2, b); put(3, c);
  for (let i = 0; i < N / 10; i++) helperFp(env, op, 4, 1, 2, 3, rm); // warm up
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < N; i++) helperFp(env, op, 4, 1, 2, 3, rm);
  const ns = Number(process.hrtime.bigint() - t0) / N;
  console.log(`${name.padEnd(10)} rm=${rm} ${ns.toFixed(1)} ns/op`);
}

for (const rm of [0, 1]) {
  bench('fadd.d', rm, 1.1, 2.2);
  bench('fmul.d', rm, 1.1, 2.2);
  bench('fdiv.d', rm, 1.1, 2.2);
  bench('fsqrt.d', rm, 2.2, 0);
  bench('fmadd.d', rm, 1.1, 2.2, 3.3);
  bench('fadd.s', rm, 1.1, 2.2);
  bench('fmul.s', rm, 1.1, 2.2);
  bench('fdiv.s', rm, 1.1, 2.2);
  bench('fmadd.s', rm, 1.1, 2.2, 3.3);
}
bench('fcvt.w.d', 1, 12345.678, 0);
bench('fcvt.d.l', 0, 0, 0);
bench('feq.d', 0, 1.5, 1.5);
