// tsqemu-system-riscv64 in a Web Worker: the same command line (src/system/vl.ts), the same
// board and scheduler as src/cli/system-riscv64.ts, with the browser's host back ends: images
// and disks over HTTP (Range) / OPFS / picked files, the console on postMessage, entropy from
// crypto.getRandomValues. Options that need a host the browser lacks are refused.
import { QemuError, optError } from '../../qemu/error.js';
import { setLogMask, setLogSink } from '../../qemu/log.js';
import { tcgOptions } from '../../accel/tcg/tcg-accel.js';
import { HELP_TEXT, PROG, QEMU_VERSION, type SystemConfig, parseSystemArgs } from '../../system/vl.js';
import type { Chardev } from '../../chardev/char.js';
import { MuxChardev } from '../../chardev/char-mux.js';
import { StdioChardev } from '../../chardev/char-stdio.js';
import { NullChardev } from '../../chardev/char-null.js';
import { HmpMonitor, type MonitorContext, hmpExecute, monitorCommands } from '../../monitor/monitor.js';
import { BrowserMonitorVM } from './monitor-vm.js';
import { VCPUScheduler } from '../../system/cpus.js';
import { RISCVVirtMachine, type VirtDevice } from '../../hw/riscv/virt.js';
import { parseBlockErrorAction, type BlockdevOnError } from '../../hw/virtio/virtio-blk.js';
import type { BlockBackend } from '../../block/block-backend.js';
import { RISCVCPU, createRISCVCPUs } from '../../target/riscv/cpu.js';
import { browserEntropy } from './entropy.js';
import { WorkerTerminal } from './terminal.js';
import { driveOverlays, gunzip, openDrive, removeOverlays } from './block.js';
import { localFiles, protocolStats } from './block-protocols.js';
import { exportDrive } from './export.js';
import type { FromWorker, MachineStats, StartOptions, ToWorker } from './protocol.js';

type Post = (m: FromWorker, transfer?: ArrayBuffer[]) => void;

/** setImmediate for workers: a MessageChannel round trip (setTimeout(0) is clamped to 4 ms). */
function makeYield(): () => Promise<void> {
  const ch = new MessageChannel();
  const queue: Array<() => void> = [];
  (ch.port1 as unknown as { onmessage: () => void }).onmessage = () => { queue.shift()?.(); };
  return () => new Promise<void>((resolve) => { queue.push(resolve); ch.port2.postMessage(0); });
}

/** Fetch a whole image with progress reports. */
async function fetchImage(url: string, what: string, post: Post): Promise<Uint8Array> {
  let r: Response;
  try {
    r = await fetch(url);
  } catch (e) {
    throw new QemuError(`could not load ${what} '${url}': ${(e as Error).message}`);
  }
  if (!r.ok || !r.body) throw new QemuError(`could not load ${what} '${url}': ${r.status === 404 ? 'No such file or directory' : `HTTP ${r.status}`}`);
  const total = Number(r.headers.get('Content-Length') ?? 0);
  const chunks: Uint8Array[] = [];
  let loaded = 0;
  const reader = r.body.getReader();
  let lastReport = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    loaded += value.length;
    if (loaded - lastReport > 256 * 1024) { lastReport = loaded; post({ type: 'progress', what, loaded, total }); }
  }
  post({ type: 'progress', what, loaded, total: total || loaded });
  const out = new Uint8Array(loaded);
  let o = 0;
  for (const c of chunks) { out.set(c, o); o += c.length; }
  return out;
}

async function maybeGunzip(data: Uint8Array): Promise<Uint8Array> {
  return data[0] === 0x1f && data[1] === 0x8b ? gunzip(data, 256 * 1024 * 1024) : data;
}

/** A file name on the page's command line: a URL (relative to the page) or local:NAME. */
async function loadFile(name: string, what: string, o: StartOptions, post: Post): Promise<Uint8Array> {
  if (name.startsWith('local:')) {
    const blob = localFiles.get(name.slice(6));
    if (!blob) throw new QemuError(`could not load ${what} '${name}': No such file or directory`);
    return new Uint8Array(await blob.arrayBuffer());
  }
  return fetchImage(new URL(name, o.pageUrl).href, what, post);
}

interface Images { bios?: Uint8Array; kernel?: Uint8Array; initrd?: Uint8Array; dtb?: Uint8Array; append?: string }

async function loadImages(cfg: SystemConfig, o: StartOptions, post: Post): Promise<Images> {
  const im: Images = { append: cfg.append };
  const jobs: Array<Promise<void>> = [];
  if (cfg.bios !== 'none') {
    const url = cfg.bios === 'default' ? new URL('pc-bios/opensbi-riscv64-generic-fw_dynamic.bin', o.assetBase).href : cfg.bios;
    jobs.push(loadFile(url, 'firmware', o, post).then((d) => { im.bios = d; }, () => { throw new QemuError(`Unable to load the RISC-V firmware "${cfg.bios}"`); }));
  }
  let kernel = cfg.kernel;
  let initrd = cfg.initrd;
  if (kernel === undefined && cfg.bios === 'default' && initrd === undefined) {
    kernel = new URL('images/Image.gz', o.assetBase).href;
    initrd = new URL('images/initramfs.cpio.gz', o.assetBase).href;
    im.append ??= 'console=ttyS0';
  }
  if (kernel !== undefined) jobs.push(loadFile(kernel, 'kernel', o, post).then(maybeGunzip).then((d) => { im.kernel = d; }));
  if (initrd !== undefined) jobs.push(loadFile(initrd, 'initrd', o, post).then((d) => { im.initrd = d; }));
  if (cfg.dtb !== undefined) jobs.push(loadFile(cfg.dtb, 'dtb', o, post).then((d) => { im.dtb = d; }));
  await Promise.all(jobs);
  return im;
}

/** -drive / -device as the CLI builds them (the same error wording), on browser storage. */
async function openDrives(cfg: SystemConfig, o: StartOptions, warn: (m: string) => void): Promise<{ devices: VirtDevice[]; backends: BlockBackend[] }> {
  const byId = new Map<string, BlockBackend>();
  const backends: BlockBackend[] = [];
  const errorActions = new Map<string, { werror?: BlockdevOnError; rerror?: BlockdevOnError }>();
  const virtioDrives: Array<{ blk: BlockBackend; serial?: string; werror?: BlockdevOnError; rerror?: BlockdevOnError }> = [];
  const used = new Set<string>();
  for (const d of cfg.drives) {
    if (byId.has(d.id)) throw optError('-drive', d.text, `Duplicate ID '${d.id}' for drive`);
    let blk: BlockBackend;
    try {
      const w = d.opts.get('werror'), r = d.opts.get('rerror');
      errorActions.set(d.id, { werror: w === undefined ? undefined : parseBlockErrorAction(w, false), rerror: r === undefined ? undefined : parseBlockErrorAction(r, true) });
      const opts = new Map([...d.opts, ['id', d.id]]);
      const file = opts.get('file');
      // Relative URLs resolve against the page, as a relative path against the CLI's cwd.
      if (file !== undefined && !/^(opfs|local|mem):/.test(file)) opts.set('file', new URL(file, o.pageUrl).href);
      blk = await openDrive(opts, warn);
    } catch (e) {
      if (e instanceof QemuError) throw optError('-drive', d.text, e.message);
      throw e;
    }
    byId.set(d.id, blk);
    backends.push(blk);
    if (d.if === 'virtio') {
      virtioDrives.push({ blk, serial: d.opts.get('serial'), ...errorActions.get(d.id) });
      used.add(d.id);
    }
  }
  const devices: VirtDevice[] = [];
  for (const dev of cfg.devices) {
    if (dev.driver === 'virtio-rng-device') { devices.push({ type: 'virtio-rng-device' }); continue; }
    const id = dev.drive as string;
    const blk = byId.get(id);
    if (!blk) throw optError('-device', dev.text, `Property 'virtio-blk-device.drive' can't find value '${id}'`);
    if (used.has(id)) throw optError('-device', dev.text, `Drive '${id}' is already in use by another device`);
    used.add(id);
    const serial = dev.serial ?? cfg.drives.find((d) => d.id === id)?.opts.get('serial');
    devices.push({ type: 'virtio-blk-device', blk, serial, ...errorActions.get(id) });
  }
  for (const v of virtioDrives) devices.push({ type: 'virtio-blk-device', ...v });
  if (devices.length > 8) throw new QemuError(`No 'virtio-bus' bus found for device 'virtio-blk-device'`);
  return { devices, backends };
}

/** What needs a host the page does not have: refused, never ignored. */
function refuseUnsupported(cfg: SystemConfig): void {
  if (cfg.chardevs.length > 0) {
    const c = cfg.chardevs[0] as { opt?: string; text?: string };
    throw optError(c.opt ?? '-chardev', c.text, 'socket character devices are not supported in the browser');
  }
  if (cfg.serial.kind === 'file') throw optError('-serial', `file:${cfg.serial.path}`, 'not supported in the browser');
  if (cfg.logFile !== undefined) throw optError('-D', cfg.logFile, 'not supported in the browser (the log goes to the browser console)');
  if (cfg.dumpdtb !== undefined) throw optError('-machine', `dumpdtb=${cfg.dumpdtb}`, 'not supported in the browser');
  const dev = cfg.devices.find((d) => d.props !== undefined);
  if (dev) throw optError('-device', dev.text, `'${dev.driver}' is not supported in the browser yet (virtio-mmio devices only)`);
  const nic = cfg.net.nics[0] ?? cfg.net.netdevs[0];
  if (nic) throw optError('-netdev', nic.text, 'networking is not supported in the browser yet');
  const fs = cfg.fsdevs[0];
  if (fs) throw optError('-fsdev', fs.text, 'shared folders are not supported in the browser yet');
  if (cfg.mgmt.qmpChardevs.length > 0 || cfg.mgmt.qmpStdio || cfg.mgmt.machineNone) throw optError('-qmp', undefined, 'QMP and -machine none are not supported in the browser yet');
}

/** The machine of one worker: started once by a 'start' message. */
export class BrowserSystem {
  private machine: RISCVVirtMachine | undefined;
  private scheduler: VCPUScheduler | undefined;
  private backends: BlockBackend[] = [];
  private readonly term: WorkerTerminal;
  private readonly t0 = performance.now();
  private ioError = false;
  private apiMonitor: MonitorContext | undefined;

  constructor(private readonly post: Post) {
    this.term = new WorkerTerminal((data) => post({ type: 'output', data }, [data.buffer as ArrayBuffer]));
  }

  async handle(m: ToWorker): Promise<void> {
    switch (m.type) {
      case 'start':
        try {
          const code = await this.run(m.opts);
          this.term.flush();
          this.post({ type: 'exit', code });
        } catch (e) {
          this.term.flush();
          const msg = e instanceof QemuError ? `${PROG}: ${e.message}` : `${PROG}: internal error: ${e instanceof Error ? e.stack : String(e)}`;
          this.post({ type: 'error', message: msg });
          this.post({ type: 'exit', code: 1 });
        }
        return;
      case 'input': this.term.input(m.data); return;
      case 'pause': this.scheduler?.pause(); this.postState(); return;
      case 'resume': this.cont(); return;
      case 'reset': void this.resetSystem(); return;
      case 'powerOff': this.scheduler?.stop(); return;
      case 'stats': this.post({ type: 'reply', id: m.id, value: this.stats() }); return;
      case 'exportDisk': await this.reply(m.id, () => this.exportDisk(m.drive)); return;
      case 'discardOverlays': await this.reply(m.id, () => removeOverlays()); return;
      case 'hmp': await this.reply(m.id, async () => this.hmp(m.command)); return;
    }
  }

  private async reply(id: number, fn: () => Promise<unknown>): Promise<void> {
    try {
      const value = await fn();
      this.post({ type: 'reply', id, value }, value instanceof Uint8Array ? [value.buffer as ArrayBuffer] : []);
    } catch (e) {
      this.post({ type: 'reply', id, error: e instanceof Error ? e.message : String(e) });
    }
  }

  /** Run one monitor command on a private monitor; its output. */
  private async hmp(command: string): Promise<string> {
    const ctx = this.apiMonitor;
    if (!ctx) throw new Error('the machine is not running');
    if (!/^[\x20-\x7e]*$/.test(command)) throw new Error('monitor commands are printable ASCII');
    return (await hmpExecute(command, ctx)).replace(/\r\n/g, '\n');
  }

  private postState(): void { this.post({ type: 'state', running: this.scheduler?.running ?? false }); }

  private cont(): void {
    this.ioError = false;
    this.scheduler?.cont();
    this.machine?.restartIo();
    this.postState();
  }

  stats(): MachineStats {
    let instructions = 0n, translated = 0n;
    for (const h of this.machine?.harts ?? []) {
      if (!(h instanceof RISCVCPU)) continue;
      instructions += h.env.get64('instret');
      translated += h.env.get64('tb_insns');
    }
    return {
      running: this.scheduler?.running ?? false, instructions: Number(instructions), translated: Number(translated),
      ...protocolStats, uptimeMs: performance.now() - this.t0,
    };
  }

  /** The drive's image with the guest's writes merged, as a qcow2 file's bytes. */
  private async exportDisk(drive: string): Promise<Uint8Array> {
    const blk = this.backends.find((b) => b.id === drive) ?? (drive === '' ? this.backends[0] : undefined);
    if (!blk) throw new Error(`no drive '${drive}'`);
    const wasRunning = this.scheduler?.running ?? false;
    this.scheduler?.pause();
    try {
      await this.machine?.drain();
      return await exportDrive(blk);
    } finally {
      if (wasRunning) this.scheduler?.cont();
    }
  }

  private async resetSystem(): Promise<void> {
    const s = this.scheduler, m = this.machine;
    if (!s || !m) return;
    const wasRunning = s.running;
    s.pause();
    await m.drain();
    m.reset();
    s.hartsReset();
    if (wasRunning) s.cont();
  }

  private async run(o: StartOptions): Promise<number> {
    tcgOptions.asyncCompile = true; // the scheduler yields to the worker's event loop
    for (const f of o.files ?? []) localFiles.set(f.name, f.blob);
    const cfg = parseSystemArgs(o.argv);
    const out = (t: string) => this.term.write(new TextEncoder().encode(t.replace(/\n/g, '\r\n')));
    if (cfg.action === 'version') { out(`QEMU emulator version ${QEMU_VERSION} (tsqemu)\n`); return 0; }
    if (cfg.action === 'help') { out(`QEMU emulator version ${QEMU_VERSION} (tsqemu)\n${HELP_TEXT}`); return 0; }
    refuseUnsupported(cfg);
    setLogMask(cfg.logMask);
    setLogSink((text) => this.post({ type: 'log', text }));
    const warn = (m: string) => this.post({ type: 'log', text: `${PROG}: warning: ${m}\n` });
    const [images, { devices, backends }] = await Promise.all([loadImages(cfg, o, this.post), openDrives(cfg, o, warn)]);
    this.backends = backends;

    let exitCode = 0;
    const quit = (code: number) => { exitCode = code; this.scheduler?.stop(); };
    const stdio = new StdioChardev('serial0', this.term, false, () => quit(0));
    let serial: Chardev = stdio;
    let monitorChr: Chardev | undefined;
    if (cfg.serial.kind === 'null') serial = new NullChardev('serial0');
    else if (cfg.serial.kind === 'stdio' && cfg.serial.mux) {
      const mux = new MuxChardev('serial0', stdio, { quit: () => quit(0) });
      serial = mux;
      if (cfg.monitorOnStdio) monitorChr = mux;
    }
    const machine = (this.machine = new RISCVVirtMachine({
      ramSize: cfg.ramSize, smp: cfg.smp, ...images, serial, devices, entropy: browserEntropy,
      onShutdown: (code) => { if (cfg.noShutdown) { this.scheduler?.pause(); this.postState(); } else quit(code); },
      onReset: () => { if (cfg.noReboot) quit(0); else void this.resetSystem(); },
      onBlockResetInFlight: (drained) => this.scheduler?.holdUntil(drained),
      onIoErrorStop: () => {
        if (this.scheduler !== undefined && !this.scheduler.running) return;
        this.ioError = true;
        this.scheduler?.pause();
        this.postState();
      },
    }));
    const vm = new BrowserMonitorVM(cfg.smp, {
      machine: () => this.machine, scheduler: () => this.scheduler, ioError: () => this.ioError,
      stop: () => { this.scheduler?.pause(); this.postState(); },
      cont: () => this.cont(),
      reset: () => void this.resetSystem(),
      quit: () => quit(0),
    });
    if (monitorChr) new HmpMonitor(monitorChr, vm, vm.events, monitorCommands);
    const api: MonitorContext = {
      vm, events: vm.events, table: monitorCommands, cpuIndex: 0,
      hmp: (line, cpu) => hmpExecute(line, { ...api, cpuIndex: cpu ?? api.cpuIndex }),
    };
    this.apiMonitor = api;
    machine.realizeHarts((as, cpuStateOffset, nharts, rdtime) => createRISCVCPUs({ as, cpuStateOffset, nharts, rdtime }));
    const sched = (this.scheduler = new VCPUScheduler(machine.harts, machine.timers, machine.clock, { yieldToHost: makeYield() }, cfg.startPaused));
    machine.onIrq = () => sched.kick();
    this.post({ type: 'started' });
    this.postState();
    await sched.run();
    await machine.drain();
    for (const b of backends) await b.close();
    driveOverlays.clear();
    this.postState();
    return exitCode;
  }
}
