// The unprivileged extensions implemented here (trans_rvb.ts, trans_rvzfh.ts, trans_rvzmisc.ts,
// csr-zkr.ts, trans_rvk.ts), registered with QEMU 10.2's rv64 defaults (target/riscv/cpu.c,
// riscv_cpu_extensions). A module of its own, free of code generation, so -cpu parsing knows
// them without loading the translator. Zfh implies Zfhmin's instructions (its rows accept
// either), as QEMU turns zfhmin on with zfh.
import { registerRiscvExtension } from './cpu-cfg.js';

for (const name of ['zba', 'zbb', 'zbc', 'zbs', 'zfa', 'zawrs', 'zicbom', 'zicboz', 'zicbop', 'zihintntl']) {
  registerRiscvExtension({ name, defaultOn: true });
}
for (const name of ['zbkb', 'zbkc', 'zbkx', 'zicond', 'zfh', 'zfhmin', 'zacas', 'zimop', 'zcmop', 'zcb', 'zkt', 'zkr', 'zknd', 'zkne', 'zknh', 'zksed', 'zksh', 'zfbfmin']) {
  registerRiscvExtension({ name });
}
