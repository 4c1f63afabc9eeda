// The HMP monitor's view of the page's machine: run state, harts and memory for `info`, `x`
// and `p`, on the same command table as the CLI's monitors (src/monitor/). The page has no
// drives to account and no chardevs to list, and no QMP front end yet.
import type { RISCVVirtMachine } from '../../hw/riscv/virt.js';
import type { VCPUScheduler } from '../../system/cpus.js';
import type { RISCVCPU } from '../../target/riscv/cpu.js';
import { MonitorEvents, type MonitorBlockDevice, type MonitorVM, type RunState } from '../../monitor/monitor.js';

export interface BrowserMonitorHooks {
  machine(): RISCVVirtMachine | undefined;
  scheduler(): VCPUScheduler | undefined;
  ioError(): boolean;
  stop(): void;
  cont(): void;
  reset(): void;
  quit(): void;
}

const wallNs = (): bigint => BigInt(Math.round(performance.timeOrigin * 1000 + performance.now() * 1000)) * 1000n;

export class BrowserMonitorVM implements MonitorVM {
  readonly events = new MonitorEvents(wallNs);
  readonly machineType = 'virt';
  readonly uuid = '00000000-0000-0000-0000-000000000000';
  readonly threadId = 0;

  constructor(readonly smp: number, private readonly h: BrowserMonitorHooks) {}

  get as() { return this.h.machine()?.as; }
  runState(): RunState {
    if (this.h.scheduler()?.running) return 'running';
    return this.h.ioError() ? 'io-error' : 'paused';
  }
  stop(): void { this.h.stop(); }
  cont(): void { this.h.cont(); }
  systemReset(): void { this.h.reset(); }
  systemPowerdown(): void { this.events.emit('POWERDOWN'); }
  quit(): void { this.h.quit(); }
  hartEnv(i: number) { return (this.h.machine()?.harts[i] as RISCVCPU | undefined)?.env; }
  blockDevices(): MonitorBlockDevice[] { return []; }
  chardevs() { return []; }
  jitInfo(): string { return this.h.machine()?.harts[0]?.jitInfo?.() ?? 'no translator\n'; }
  nowNs(): bigint { return wallNs(); }
}
