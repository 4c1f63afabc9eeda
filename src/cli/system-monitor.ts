// The system emulator's monitors: the run state machine (QEMU's runstate.c: prelaunch, running,
// paused, io-error, shutdown) with its QMP events, the MonitorVM the commands see, and the HMP
// and QMP front ends on their chardevs. system-riscv64.ts calls in at the guest's and host's
// state changes (power-off, reset, signals).
import * as fs from 'node:fs';
import type { Chardev } from '../chardev/char.js';
import type { SystemConfig } from '../system/vl.js';
import { parseQemuOpts } from '../qemu/option.js';
import type { VCPUScheduler } from '../system/cpus.js';
import type { RISCVVirtMachine } from '../hw/riscv/virt.js';
import type { RISCVCPU } from '../target/riscv/cpu.js';
import { AccountedBlockBackend } from '../block/accounting.js';
import type { BlockBackend } from '../block/block-backend.js';
import { HmpMonitor, MonitorEvents, type MonitorBlockDevice, type MonitorVM, QmpMonitor, QmpError, type RunState, monitorCommands } from '../monitor/monitor.js';
import type { MgmtConfig } from '../system/vl-mgmt.js';
import { SocketChardev } from '../chardev/char-socket.js';
import { StdioChardev } from '../chardev/char-stdio.js';
import { NodeTerminal } from '../host/node/terminal.js';
import { QemuError } from '../qemu/error.js';
import { strerror } from '../host/node/strerror.js';
import { MonitorBlockdevs } from './system-blockdev.js';
import { addInheritedFds, registerFdsetCommands } from './system-fdset.js';
import type { JsonValue } from '../monitor/json-stream.js';

/** Host wall clock in ns (event timestamps, idle times): Date.now()'s ms and a sub-ms part from
 * the monotonic clock (as before; both forms below share them, so idle_time_ns mixes no clocks). */
const subMsNs = (): number => Math.floor((performance.now() * 1e6) % 1e6);
const wallNs = (): bigint => BigInt(Date.now()) * 1_000_000n + BigInt(subMsNs());
/** The same clock as a number, for block accounting (twice per request: the BigInt one cost
 * ~0.7% of the CPU of a guest doing 4 KiB random reads; a double this size rounds to 256 ns). */
const wallNsNumber = (): number => Date.now() * 1e6 + subMsNs();

interface DriveRecord {
  blk: AccountedBlockBackend; device: string; qdev: string; drv: string; filename: string; slot?: number; opts: Map<string, string>;
  ioStatus: 'ok' | 'failed' | 'nospace';
}

/** What the monitor needs from main(): the machine's parts and its actions. */
export interface MonitorHooks {
  scheduler(): VCPUScheduler | undefined;
  machine(): RISCVVirtMachine | undefined;
  /** End the process with this exit code after the main loop stops. */
  quit(code: number): void;
  /** qemu_system_reset (disks drained first). */
  reset(): void;
  restartIo(): void;
  gdbserver?(dev: string): string;
  setLog?(items: string): string;
}

export class SystemMonitors implements MonitorVM {
  readonly events = new MonitorEvents(wallNs);
  readonly machineType: string;
  readonly name?: string;
  readonly uuid: string;
  readonly smp: number;
  readonly ramSize: number;
  readonly threadId = process.pid;
  private state: RunState;
  private readonly drives: DriveRecord[] = [];
  private readonly chardevMap = new Map<string, { chr: Chardev; filename: () => string; open: () => boolean }>();
  private readonly qmps: QmpMonitor[] = [];
  private markReady: () => void = () => {};
  /** Resolved once the harts exist: monitors answer commands from then on. */
  readonly ready = new Promise<void>((r) => { this.markReady = r; });

  constructor(private readonly cfg: SystemConfig, private readonly hooks: MonitorHooks) {
    const mg: MgmtConfig = cfg.mgmt;
    this.machineType = mg.machineNone ? 'none' : 'virt';
    this.name = mg.name;
    this.uuid = mg.uuid ?? cfg.extras.uuid ?? '00000000-0000-0000-0000-000000000000';
    this.smp = cfg.smp;
    this.ramSize = mg.machineNone ? 0 : cfg.ramSize;
    this.state = cfg.startPaused ? 'prelaunch' : 'running';
    registerFdsetCommands();
    addInheritedFds(mg); // before the drives open: /dev/fdset/N names them
  }

  get as() { return this.hooks.machine()?.as; }

  // ---- drives ----

  /** Wrap a drive's backend for accounting; main() gives the device the returned one. */
  accountDrive(id: string, blk: BlockBackend, opts: Map<string, string>): BlockBackend {
    const a = new AccountedBlockBackend(blk, wallNsNumber);
    const file = opts.get('file') ?? '';
    const rec: DriveRecord = { blk: a, device: id, qdev: '', drv: opts.get('format') ?? opts.get('driver') ?? 'raw', filename: file, opts, ioStatus: 'ok' };
    this.drives.push(rec);
    a.onError = (kind, e) => this.blockIoError(rec, kind === 'rd', e);
    return a;
  }

  /** After the devices were made: which drive each device uses (qdev paths, slots). */
  attachDevices(): void {
    let anon = 0;
    const m = this.hooks.machine();
    for (const d of this.cfg.devices) {
      const o = parseQemuOpts(d.text, 'driver');
      const id = o.get('id');
      const path = id !== undefined ? `/machine/peripheral/${id}` : `/machine/peripheral-anon/device[${anon++}]`;
      const drv = d.drive ?? o.get('drive');
      const rec = drv === undefined ? undefined : this.drives.find((r) => r.device === drv || (r.device === '' && r.opts.get('node-name') === drv));
      // A virtio disk is libvirt's qomName, /machine/peripheral/ID/virtio-backend (its
      // domblkstat finds query-blockstats entries by it); sd-card holds the drive itself.
      if (rec) rec.qdev = d.driver.startsWith('virtio-blk') ? `${path}/virtio-backend` : path;
    }
    for (const r of this.drives) {
      if (r.qdev === '' && this.cfg.drives.find((d) => d.id === r.device)?.if === 'virtio') r.qdev = `/machine/peripheral-anon/device[${anon++}]/virtio-backend`;
      if (m) {
        const i = m.virtio.findIndex((p) => (p.vdev as { blk?: unknown } | undefined)?.blk === r.blk);
        if (i >= 0) r.slot = i;
      }
    }
  }

  blockDevices(): MonitorBlockDevice[] {
    return this.drives.map((r) => {
      const cache = r.opts.get('cache') ?? 'writeback';
      return {
        device: r.device, nodeName: r.opts.get('node-name') ?? `#block${this.drives.indexOf(r) * 2 + 1}`, drv: r.drv, filename: r.filename,
        readOnly: r.blk.readOnly, encrypted: r.drv === 'luks', size: r.blk.getLength(), qdev: r.qdev,
        cache: { writeback: r.blk.writeCacheEnabled?.() ?? (cache !== 'writethrough' && cache !== 'directsync'), direct: cache === 'none' || cache === 'directsync', noFlush: cache === 'unsafe' },
        detectZeroes: r.opts.get('detect-zeroes') ?? 'off', backingFileDepth: 0, stats: r.blk.stats, ioStatus: r.ioStatus, virtioSlot: r.slot,
        get diskSize() { try { return fs.statSync(r.filename).blocks * 512; } catch { return undefined; } },
      };
    });
  }

  /**
   * blk_error_action's report: the drive's werror/rerror policy (as virtio-blk applies it) gives
   * the action; BLOCK_IO_ERROR goes out before the STOP a stop action causes.
   */
  private blockIoError(r: DriveRecord, read: boolean, e: unknown): void {
    const code = String((e as { code?: unknown } | null)?.code ?? 'EIO');
    const policy = read ? (r.opts.get('rerror') ?? 'report') : (r.opts.get('werror') ?? 'enospc');
    const action = policy === 'enospc' ? (code === 'ENOSPC' ? 'stop' : 'report') : policy;
    const nospace = code === 'ENOSPC';
    if (action === 'stop') r.ioStatus = nospace ? 'nospace' : 'failed';
    this.events.emit('BLOCK_IO_ERROR', {
      device: r.device, 'node-name': r.opts.get('node-name') ?? `#block${this.drives.indexOf(r) * 2 + 1}`,
      operation: read ? 'read' : 'write', action, nospace, reason: strerror({ code, message: code }),
    });
  }

  /** A drive by its -drive id or its device's qdev id/path (qmp_eject, block_resize). */
  private findDrive(id: string): DriveRecord | undefined {
    return this.drives.find((r) => r.device === id) ?? this.drives.find((r) => r.qdev !== '' && (r.qdev === id || r.qdev === `/machine/peripheral/${id}` || r.qdev === `/machine/peripheral/${id}/virtio-backend`));
  }

  blockExists(id: string): boolean {
    return this.findDrive(id) !== undefined;
  }

  private blockdevs?: MonitorBlockdevs;

  blockdevAdd(args: Record<string, JsonValue>): Promise<void> {
    this.blockdevs ??= new MonitorBlockdevs(this.cfg);
    return this.blockdevs.add(args, (m) => process.stderr.write(`tsqemu-system-riscv64: warning: ${m}\n`));
  }

  blockdevDel(nodeName: string): Promise<void> {
    this.blockdevs ??= new MonitorBlockdevs(this.cfg);
    return this.blockdevs.del(nodeName);
  }

  async blockResize(device: string | undefined, nodeName: string | undefined, size: number): Promise<void> {
    const r = device !== undefined ? this.drives.find((d) => d.device === device)
      : this.drives.find((d) => (d.opts.get('node-name') ?? `#block${this.drives.indexOf(d) * 2 + 1}`) === nodeName);
    if (!r) throw new QmpError('GenericError', `Cannot find device='${device ?? ''}' nor node-name='${nodeName ?? ''}'`);
    if (size < 0) throw new QmpError('GenericError', `Parameter 'size' expects a >0 size`);
    if (size === r.blk.getLength()) return;
    try {
      await r.blk.truncate(size);
    } catch (e) {
      throw new QmpError('GenericError', e instanceof Error ? e.message : String(e));
    }
  }

  virtioMmioLegacy(): boolean {
    return this.hooks.machine()?.virtio[0]?.legacy ?? true;
  }

  virtioSlot(i: number): string | undefined {
    const v = this.hooks.machine()?.virtio[i]?.vdev;
    return v ? `${v.name}-device` : undefined; // virtio-blk -> virtio-blk-device, QEMU's type names
  }

  // ---- chardevs ----

  chardevBackend(label: string): Chardev | undefined {
    return this.chardevMap.get(label)?.chr;
  }

  addChardev(label: string, chr: Chardev, filename: () => string, open: () => boolean): void {
    this.chardevMap.set(label, { chr, filename, open });
  }

  chardevs() {
    return [...this.chardevMap].map(([label, c]) => ({ label, filename: c.filename(), frontendOpen: c.open() }));
  }

  // ---- run state ----

  runState(): RunState { return this.state; }

  hartEnv(i: number) {
    const h = this.hooks.machine()?.harts[i] as RISCVCPU | undefined;
    return h?.env;
  }

  jitInfo(): string {
    return this.hooks.machine()?.harts[0]?.jitInfo?.() ?? 'no translator\n';
  }

  gdbserver(dev: string): string {
    return this.hooks.gdbserver ? this.hooks.gdbserver(dev) : 'gdbserver is not supported by tsqemu yet';
  }

  setLog(items: string): string {
    return this.hooks.setLog ? this.hooks.setLog(items) : '';
  }

  nowNs(): bigint { return wallNs(); }

  stop(): void {
    if (this.state === 'running') {
      this.hooks.scheduler()?.pause();
      this.state = 'paused';
      this.events.emit('STOP');
    } else if (this.state === 'prelaunch') {
      // QEMU: qmp_stop before the first cont only clears autostart; no event.
    }
  }

  /** The GDB stub stopped the VM (attach, breakpoint, step, Ctrl-C): RUN_STATE_DEBUG. */
  debugStop(): void {
    if (this.state !== 'running') return;
    this.hooks.scheduler()?.pause();
    this.state = 'debug';
    this.events.emit('STOP');
  }

  cont(): void {
    if (this.state === 'shutdown') throw new QmpError('GenericError', 'Resetting the Virtual Machine is required');
    if (this.state === 'running') return;
    this.state = 'running';
    this.events.emit('RESUME');
    this.hooks.scheduler()?.cont();
    for (const r of this.drives) r.ioStatus = 'ok';
    this.hooks.restartIo();
  }

  systemReset(): void {
    this.events.emit('RESET', { guest: false, reason: 'host-qmp-system-reset' });
    this.hooks.reset();
    if (this.state === 'shutdown') this.state = 'paused';
  }

  systemPowerdown(): void {
    // The virt board has no ACPI power button: QEMU only reports the request.
    this.events.emit('POWERDOWN');
  }

  quit(): void {
    this.events.emit('SHUTDOWN', { guest: false, reason: 'host-qmp-quit' });
    // After the command's reply went out (QEMU answers `quit` before its main loop ends).
    setTimeout(() => this.hooks.quit(0), 10);
  }

  /** The guest powered off (sifive_test): SHUTDOWN, then with -no-shutdown STOP and stay. */
  guestShutdown(code: number): void {
    this.events.emit('SHUTDOWN', { guest: true, reason: 'guest-shutdown' });
    if (this.cfg.noShutdown) {
      this.hooks.scheduler()?.pause();
      this.state = 'shutdown';
      this.events.emit('STOP');
    } else {
      this.hooks.quit(code);
    }
  }

  /** The guest reset itself: RESET (guest), or with -no-reboot a shutdown. */
  guestReset(): void {
    if (this.cfg.noReboot) {
      this.events.emit('SHUTDOWN', { guest: true, reason: 'guest-reset' });
      this.hooks.quit(0);
      return;
    }
    this.events.emit('RESET', { guest: true, reason: 'guest-reset' });
    this.hooks.reset();
  }

  /** A disk error action stopped the VM (werror/rerror=stop). */
  ioErrorStop(): void {
    if (this.state !== 'running') return;
    this.hooks.scheduler()?.pause();
    this.state = 'io-error';
    this.events.emit('STOP');
  }

  /** SIGTERM/SIGINT/SIGHUP: SHUTDOWN (host-signal), then exit. */
  hostSignal(): void {
    this.events.emit('SHUTDOWN', { guest: false, reason: 'host-signal' });
    this.hooks.quit(0);
  }

  // ---- front ends ----

  startHmp(chr: Chardev): void {
    new HmpMonitor(chr, this, this.events, monitorCommands);
  }

  /** main() calls this once the machine and its harts are built. */
  machineReady(): void { this.markReady(); }

  startQmp(chr: Chardev, greetNow: boolean): QmpMonitor {
    const q = new QmpMonitor(chr, this, this.events, monitorCommands, greetNow, this.ready);
    this.qmps.push(q);
    return q;
  }
}

/** QMP on its chardevs (and stdio), and every chardev listed for query-chardev. */
export function startMonitors(cfg: SystemConfig, chardevs: Map<string, Chardev>, mon: SystemMonitors): void {
  for (const [id, chr] of chardevs) {
    const sock = chr instanceof SocketChardev ? chr : undefined;
    mon.addChardev(id, chr, () => (sock ? (sock.isConnected ? sock.describe.replace(/^disconnected:/, '') : sock.describe) : chr.filename ?? 'null'),
      () => chr.frontendOpen ?? (cfg.mgmt.qmpChardevs.includes(id) || cfg.monitorChardev?.id === id || (cfg.serial.kind === 'chardev' && cfg.serial.id === id && !cfg.mgmt.machineNone)));
  }
  for (const id of cfg.mgmt.qmpChardevs) mon.startQmp(chardevs.get(id) as Chardev, false);
  if (cfg.mgmt.qmpStdio) {
    if (cfg.serial.kind === 'stdio' || cfg.monitorOnStdio) throw new QemuError('-qmp stdio: cannot use stdio by multiple character devices');
    const label = cfg.mgmt.qmpStdioId ?? 'compat_monitor0';
    const chr = new StdioChardev(label, new NodeTerminal(), false, () => mon.hostSignal());
    mon.addChardev(label, chr, () => 'stdio', () => true);
    mon.startQmp(chr, false); // stdio is open: the greeting comes as the monitor attaches
  }
}
