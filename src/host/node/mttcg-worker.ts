// Worker entry of one hart under -accel tcg,thread=multi (system/mttcg-hart.ts runs it): the
// same CPU configuration, TCG options and interpreter module as the main thread, the guest's
// RAM regions over the shared memory, devices reached through the main thread.
import * as fs from 'node:fs';
import { workerData } from 'node:worker_threads';
import { writeAllSync } from './write-all.js';
import { setRiscvCpuCfg } from '../../target/riscv/cpu-cfg.js';
import '../../target/riscv/cpu-ext-unpriv.js'; // the extensions -cpu may name, as vl-opts.ts
import '../../target/riscv/cpu-models.js';
import '../../target/riscv/csr-aia.js';
import '../../target/riscv/pointer-masking.js';
import '../../target/riscv/trans_rvv.js';
import { RISCVCPU, riscvAdoptInterpreterModules } from '../../target/riscv/cpu.js';
import { CPU_STATE_SIZE, STATE } from '../../target/riscv/cpu-state.js';
import { TbShare } from '../../target/riscv/tb-share.js';
import { tcgOptions } from '../../accel/tcg/tcg-accel.js';
import { useThreadTbClock } from './thread-clock.js';
import { setLogMask, setLogSink } from '../../qemu/log.js';
import { Clk, Ctl, HartTimerProxy, RemoteAddressSpace, doorbellIndex, hartMtime, hartThreadLoop, mttcgMswi } from '../../system/mttcg-hart.js';
import type { MttcgWorkerData } from '../../system/mttcg.js';

function main(d: MttcgWorkerData): void {
  useThreadTbClock();
  setRiscvCpuCfg(d.cpuCfg);
  Object.assign(tcgOptions, d.tcg);
  riscvAdoptInterpreterModules(d.interp);
  setLogMask(d.logMask);
  const logFd = d.logFile !== undefined ? fs.openSync(d.logFile, 'a') : 2; // -D: the main thread created it
  setLogSink((t) => writeAllSync(logFd, t));
  const ctl = new Int32Array(d.ctl);
  const at = d.hart * Ctl.WORDS;
  const bellIdx = doorbellIndex(d.nharts);
  const bell = () => {
    Atomics.add(ctl, bellIdx, 1);
    Atomics.notify(ctl, bellIdx); // the main thread listens with Atomics.waitAsync
  };
  const as = new RemoteAddressSpace(d.memory, ctl, at, bell);
  for (const r of d.ram) as.addRam(r.name, r.base, r.size, r.hostOffset, r.readonly);
  const mtime = hartMtime(new BigInt64Array(d.clk), () => process.hrtime.bigint());
  const cpu = new RISCVCPU(as, d.cpuStateOffset + d.hart * CPU_STATE_SIZE, d.hart, mtime);
  const bases = Array.from({ length: d.nharts }, (_, i) => d.cpuStateOffset + i * CPU_STATE_SIZE);
  cpu.tbCache.share = new TbShare(d.share, d.memory, d.hart, bases);
  if (d.mswi) as.local.push({ base: d.mswi.base, size: d.mswi.size, ops: mttcgMswi(new Int32Array(d.memory.buffer), bases) });
  const timers = new HartTimerProxy(mtime, Number(new BigInt64Array(d.clk)[Clk.FREQ]), () => cpu);
  cpu.setTimerService(timers.service());
  const mem32 = new Int32Array(d.memory.buffer), exitIdx = (cpu.env.base + STATE.exit_request.offset) >> 2;
  as.afterCall = () => { if (timers.isDue()) Atomics.store(mem32, exitIdx, 1); };
  hartThreadLoop(cpu, ctl, at, bell, timers);
}

main(workerData as MttcgWorkerData);
