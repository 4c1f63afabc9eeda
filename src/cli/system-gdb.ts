// Host wiring of the GDB stub: -gdb DEV / -s / HMP `gdbserver DEV` open a listening socket
// chardev (tcp::PORT, tcp:HOST:PORT, unix:PATH,server=on) and put a GdbStub on it, with the
// machine's harts, the monitor's stop/cont and HMP behind it.
import type { Chardev } from '../chardev/char.js';
import { parseCompatSocket } from '../chardev/char-opts.js';
import { openSocketChardev } from '../host/node/char-socket.js';
import { mainFdMonitor } from '../host/node/fdmon.js';
import { GdbStub } from '../gdbstub/gdbstub.js';
import { G_REGS, riscvInsnAccess, riscvReadReg, riscvTargetXml, riscvWriteReg } from '../gdbstub/riscv.js';
import { riscvMemoryDebug, riscvMemoryWriteDebug } from '../target/riscv/mmu-debug.js';
import type { RISCVCPU } from '../target/riscv/cpu.js';
import type { VCPUScheduler } from '../system/cpus.js';
import { hmpExecute, monitorCommands, type MonitorContext } from '../monitor/monitor.js';
import type { SystemMonitors } from './system-monitor.js';
import { QemuError } from '../qemu/error.js';

let current: { stub: GdbStub; chr: Chardev } | undefined;

/** "tcp::1234", "tcp:HOST:PORT", "unix:PATH[,server=on]": always a server that does not wait. */
export async function openGdbChardev(dev: string): Promise<Chardev> {
  const spec = /^[0-9]+$/.test(dev) ? parseCompatSocket(`tcp::${dev}`, 'gdb') : parseCompatSocket(dev, 'gdb');
  if (!spec) throw new QemuError(`gdbstub: '${dev}' is not a supported device (tcp: or unix:)`);
  return openSocketChardev({ ...spec, server: true, wait: false, nodelay: true }, mainFdMonitor());
}

/** Start the stub on `dev` (replacing one that runs); `none` stops it. */
export async function startGdbServer(dev: string, harts: readonly RISCVCPU[], sched: VCPUScheduler, mon: SystemMonitors,
  kill: () => void): Promise<string> {
  if (current) { sched.debugRun = undefined; sched.debugRoundEnd = undefined; current.chr.close(); current = undefined; }
  if (dev === 'none') return 'Disabled gdbserver\n';
  const chr = await openGdbChardev(dev);
  const xml = riscvTargetXml(harts[0].env);
  const env = (h: number) => harts[h].env;
  let stub: GdbStub | undefined = undefined;
  stub = new GdbStub(chr, {
    nharts: harts.length, targetXml: xml, gRegs: G_REGS,
    readReg: (h, n) => riscvReadReg(env(h), n),
    writeReg: (h, n, d) => riscvWriteReg(env(h), n, d),
    readMem: (h, a, l, phys) => riscvMemoryDebug(env(h), a, l, phys),
    writeMem: (h, a, d, phys) => riscvMemoryWriteDebug(env(h), a, d, phys),
    running: () => sched.running,
    halted: (h) => sched.isSleeping(h),
    stop: (paused) => { if (paused) mon.stop(); else mon.debugStop(); },
    resume: () => { try { mon.cont(); } catch { /* shutdown: needs a reset first */ } },
    hmp: (line) => {
      const ctx: MonitorContext = { vm: mon, events: mon.events, table: monitorCommands, cpuIndex: 0,
        hmp: (l, cpu) => hmpExecute(l, { ...ctx, cpuIndex: cpu ?? 0 }) };
      return hmpExecute(line, ctx);
    },
    kill,
  });
  const s = stub;
  s.debug.insnAccess = (h) => riscvInsnAccess(env(h), (a, l) => riscvMemoryDebug(env(h), a, l, false));
  sched.debugRun = (i, h, budget) => s.debug.run(i, h, budget);
  sched.debugRoundEnd = () => s.debug.roundEnd();
  current = { stub: s, chr };
  return `Waiting for gdb connection on device '${dev}'\n`;
}
