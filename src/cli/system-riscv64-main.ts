// tsqemu-system-riscv64's command line (cli/system-riscv64.ts runs this, in the bundled build as
// a code-cached CommonJS script): QEMU's system emulator on the virt board.
// Host wiring only: read images, open drives, set up the console, run the scheduler.
import { adoptBalloon, balloonDevice } from './system-balloon.js';
import { registerQomPeripheral } from '../monitor/qom.js';
import './system-memsave.js'; // QMP memsave / pmemsave
import '../host/node/v8-tuning.js'; // first: before any wasm is compiled
import '../host/node/v8-tuning-system.js'; // and the system emulator's own JIT settings
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { QemuError, optError } from '../qemu/error.js';
import { LogMask, qemuLogMask, setLogMask, setLogSink } from '../qemu/log.js';
import { mainIoUringIfCreated } from '../host/node/io_uring.js';
import { tcgApplyEnv, tcgOptions } from '../accel/tcg/tcg-accel.js';
import { type DriveSpec, HELP_TEXT, PROG, QEMU_VERSION, type SystemConfig, parseSystemArgs } from '../system/vl.js';
import type { Chardev } from '../chardev/char.js';
import { MuxChardev } from '../chardev/char-mux.js';
import { StdioChardev } from '../chardev/char-stdio.js';
import { FileChardev } from '../chardev/char-file.js';
import { NullChardev } from '../chardev/char-null.js';
import { SystemMonitors, startMonitors } from './system-monitor.js';
import { startGdbServer } from './system-gdb.js';
import type { RISCVCPU } from '../target/riscv/cpu.js';
import { daemonReady, maybeDaemonize } from './daemonize.js';
import { VCPUScheduler } from '../system/cpus.js';
import { RISCVVirtMachine, type VirtDevice } from '../hw/riscv/virt.js';
import { assignMmioSlots } from '../hw/riscv/virt-mmio-slots.js';
import { type PluggedDevice, setHotplugView } from './system-hotplug.js';
import { parseQemuOpts } from '../qemu/option.js';
import { newVirtioSerial, serialBusEntry, virtioSerialProps } from '../hw/char/virtio-serial-devices.js';
import type { QDevContext } from '../hw/core/qdev.js';
import { virtioMmioForceLegacy } from '../system/vl-global.js';
import { VIRTIO_COUNT } from '../hw/riscv/virt-memmap.js';
import { type QDevSpec, realizeQdevDevices } from '../hw/riscv/virt-qdev.js';
import type { DriveRef } from '../hw/core/qdev.js';
import { parseBlockErrorAction, type BlockdevOnError } from '../hw/virtio/virtio-blk.js';
import type { BlockBackend } from '../block/block-backend.js';
import { NodeOutputFile, NodeTerminal } from '../host/node/terminal.js';
import { nodeEntropy } from '../host/node/entropy.js';
import { nodeSidecar } from '../host/node/sidecar.js';
import { hmpInfoPci } from '../hw/pci/pci-hmp.js';
import { qmpQueryPci } from '../hw/pci/pci-query.js';
import type { JsonValue } from '../monitor/json-stream.js';
import { QmpError, registerCommand, registerInfo } from '../monitor/commands.js';
import type { NetStack } from '../net/net-init.js';
import { openChardevs } from './system-chardev.js';
import { atFatal, exitOnError, setFatalDebug } from '../host/node/fatal.js';
import { strerror } from '../host/node/strerror.js';
import { blockdevDriveOpts, createObjects, openBlockdevs, rtcWallNs, writePidfile } from './system-extras.js';
import { createNetwork } from './system-net.js';
import { openV9fsDevices } from './system-fsdev.js';
import { createPflash } from './system-pflash.js';
import { IcountClock } from '../system/icount.js';
import { checkMttcgConfig, createMttcgScheduler } from './system-mttcg.js';
import '../host/node/host-ram-limit.js'; // -m beyond what the host has is refused as QEMU does
import { driveDeviceProps } from './system-global.js';
import { expandReadconfig } from '../system/vl-readconfig.js';
import { diskWasmCache } from '../host/node/wasm-cache.js';
import { exitProcess } from '../host/node/fast-exit.js';
import { threadCpuClock, useThreadTbClock } from '../host/node/thread-clock.js';
import { adviseHugePages } from '../host/node/ram-hugepages.js';
import { ioSettleStats } from '../main-loop/io-inflight.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const DEFAULT_BIOS = path.join(ROOT, 'pc-bios', 'opensbi-riscv64-generic-fw_dynamic.bin');
const DEFAULT_KERNEL = path.join(ROOT, 'images', 'Image.gz');
const DEFAULT_INITRD = path.join(ROOT, 'images', 'initramfs.cpio.gz');

function die(msg: string): never {
  process.stderr.write(`${PROG}: ${msg}\n`);
  process.exit(1);
}

function readImage(file: string, what: string): Uint8Array {
  try {
    // The file's own buffer, not a copy (a 5 MiB copy costs ~20 ms of page faults on this VM);
    // a small file's Buffer may share Node's pool, so that one is still copied.
    const b = fs.readFileSync(file);
    return b.byteOffset === 0 && b.byteLength === b.buffer.byteLength ? new Uint8Array(b.buffer) : new Uint8Array(b);
  } catch (e) {
    throw new QemuError(`could not load ${what} '${file}': ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'No such file or directory' : (e as Error).message}`);
  }
}

/** A gzip'ed kernel (Image.gz) is inflated, as QEMU does for ARM's Image.gz. */
function maybeGunzip(data: Uint8Array): Uint8Array {
  if (data[0] === 0x1f && data[1] === 0x8b) return new Uint8Array(zlib.gunzipSync(data, { maxOutputLength: 256 * 1024 * 1024 }));
  return data;
}

interface Images { bios?: Uint8Array; kernel?: Uint8Array; initrd?: Uint8Array; dtb?: Uint8Array; append?: string }

function loadImages(cfg: SystemConfig): Images {
  const im: Images = { append: cfg.append };
  if (cfg.bios !== 'none') {
    const file = cfg.bios === 'default' ? DEFAULT_BIOS : cfg.bios;
    try {
      const dirs = [...cfg.extras.dataDirs, path.join(ROOT, 'pc-bios')]; // QEMU's qemu_find_file: a path, else -L dirs, else the data dir
      const found = fs.existsSync(file) ? file : dirs.map((d) => path.join(d, file)).find((f) => fs.existsSync(f)) ?? path.join(ROOT, 'pc-bios', file);
      im.bios = new Uint8Array(fs.readFileSync(found));
    } catch {
      throw new QemuError(`Unable to load the RISC-V firmware "${file}"`);
    }
  }
  let kernel = cfg.kernel;
  let initrd = cfg.initrd;
  if (kernel === undefined && cfg.bios === 'default' && initrd === undefined && cfg.drives.length === 0 && cfg.extras.blockdevs.length === 0) {
    // No -kernel, -bios, -initrd, -drive or -blockdev: boot the project's default guest. With
    // a disk and no kernel, OpenSBI runs with no payload, as on QEMU (boot a disk with U-Boot
    // or EDK2 as -bios).
    kernel = DEFAULT_KERNEL;
    initrd = DEFAULT_INITRD;
    im.append ??= 'console=ttyS0';
  }
  if (kernel !== undefined) im.kernel = maybeGunzip(readImage(kernel, 'kernel'));
  if (initrd !== undefined) im.initrd = readImage(initrd, 'initrd');
  if (cfg.dtb !== undefined) im.dtb = readImage(cfg.dtb, 'dtb');
  return im;
}

interface OpenedDrives {
  devices: VirtDevice[];
  backends: BlockBackend[];
  /** Registry devices (-device and, after them, -drive if=virtio as virtio-blk-pci). */
  qdevs: QDevSpec[];
  takeDrive(id: string, what: string, owner: boolean): DriveRef;
  /** virtio-serial-device's port buses, filled as the board creates them (before -device ports realize). */
  mmioSerialBuses: QDevContext['serialBuses'];
}

async function openDrives(cfg: SystemConfig, account: (id: string, blk: BlockBackend, opts: Map<string, string>) => BlockBackend): Promise<OpenedDrives> {
  const { openDrive } = await import('../host/node/block.js');
  // -blockdev nodes first (QEMU creates them before the -drive list); -device drive= finds both.
  const byId = await openBlockdevs(cfg, (m) => process.stderr.write(`${PROG}: warning: ${m}\n`));
  const backends: BlockBackend[] = [...byId.values()];
  const virtioDrives: DriveSpec[] = [];
  const errorActions = new Map<string, { werror?: BlockdevOnError; rerror?: BlockdevOnError }>();
  const used = new Set<string>();
  for (const d of cfg.drives) {
    if (byId.has(d.id)) throw optError('-drive', d.text, `Duplicate ID '${d.id}' for drive`);
    let blk: BlockBackend;
    try {
      const w = d.opts.get('werror'), r = d.opts.get('rerror');
      errorActions.set(d.id, { werror: w === undefined ? undefined : parseBlockErrorAction(w, false), rerror: r === undefined ? undefined : parseBlockErrorAction(r, true) });
      blk = await openDrive(new Map([...d.opts, ['id', d.id]]), (m) => process.stderr.write(`${PROG}: warning: ${m}\n`));
      blk = account(d.id, blk, d.opts);
    } catch (e) {
      if (e instanceof QemuError) throw optError('-drive', d.text, e.message);
      throw e;
    }
    byId.set(d.id, blk);
    backends.push(blk);
    if (d.if === 'pflash') used.add(d.id); // connected to a flash bank (system-pflash.ts)
    if (d.if === 'virtio') {
      virtioDrives.push(d);
      used.add(d.id);
    }
  }
  // A -blockdev node a device uses is accounted once (query-block/-blockstats list it).
  const accountNode = (id: string): BlockBackend | undefined => {
    const blk = byId.get(id);
    if (!blk || cfg.drives.some((d) => d.id === id) || accountedNodes.has(id)) return blk;
    accountedNodes.add(id);
    const a = account('', blk, blockdevDriveOpts(cfg, id));
    byId.set(id, a);
    return a;
  };
  const accountedNodes = new Set<string>();
  // QEMU realizes the -device list first, then the devices -drive if=virtio added.
  const devices: VirtDevice[] = [];
  const qdevs: QDevSpec[] = [];
  const mmioSerialBuses: QDevContext['serialBuses'] = [];
  for (const dev of cfg.devices) {
    if (dev.props) { qdevs.push({ text: dev.text, driver: dev.driver, props: dev.props, seq: dev.seq }); continue; }
    if (dev.driver === 'virtio-rng-device') { devices.push({ type: 'virtio-rng-device', place: dev.place }); continue; }
    if (dev.driver === 'virtio-serial-device') { devices.push({ ...mmioSerialDevice(dev.text, mmioSerialBuses), place: dev.place }); continue; }
    if (dev.driver === 'virtio-balloon-device') { devices.push({ ...balloonDevice(cfg.ramSize, parseQemuOpts(dev.text, 'driver').get('id')), place: dev.place }); continue; }
    const id = dev.drive as string;
    const blk = accountNode(id);
    if (!blk) throw optError('-device', dev.text, `Property 'virtio-blk-device.drive' can't find value '${id}'`);
    if (used.has(id)) throw optError('-device', dev.text, `Drive '${id}' is already in use by another device`);
    used.add(id);
    if (dev.writeCache !== undefined) blk.setWriteCache?.(dev.writeCache);
    const serial = dev.serial ?? cfg.drives.find((d) => d.id === id)?.opts.get('serial');
    devices.push({ type: 'virtio-blk-device', blk, serial, eventIdx: dev.eventIdx, ...errorActions.get(id), place: dev.place });
  }
  // On this board QEMU's if=virtio is a virtio-blk-pci ("virtio-blk" on a PCI machine).
  for (const d of virtioDrives) qdevs.push({ text: d.text, driver: 'virtio-blk-pci', props: driveDeviceProps(cfg, d), ownsDrive: true });
  const takeDrive = (id: string, what: string, owner: boolean): DriveRef => {
    const blk = accountNode(id);
    if (!blk) throw new QemuError(`Property '${what}.drive' can't find value '${id}'`);
    if (used.has(id) && !owner) throw new QemuError(`Drive '${id}' is already in use by another device`);
    used.add(id);
    const d = cfg.drives.find((x) => x.id === id);
    const file = d?.opts.get('file') ?? d?.opts.get('file.filename');
    return { blk, serial: d?.opts.get('serial'), ...errorActions.get(id), sidecar: file ? (suffix) => nodeSidecar(file + suffix) : undefined };
  };
  return { devices, backends, qdevs, takeDrive, mmioSerialBuses };
}

/** The -device options with an id, on their buses (device_del's answer names the bus). */
function pluggedDevices(cfg: SystemConfig, mmio: readonly VirtDevice[], qdevs: readonly QDevSpec[]): PluggedDevice[] {
  const out: PluggedDevice[] = [];
  for (const d of mmio) {
    const id = d.place && parseQemuOpts(d.place.text, 'driver').get('id');
    if (id) out.push({ id, bus: `virtio-mmio-bus.${d.slot}` });
  }
  for (const q of qdevs) {
    const id = q.props.get('id');
    if (id && !q.ownsDrive) out.push({ id, bus: q.driver === 'sd-card' || q.driver === 'emmc' ? 'sd-bus' : q.props.get('bus') ?? 'pcie.0' });
  }
  for (const n of cfg.net.nics) if (n.opt === '-device' && n.model === 'virtio-net-pci' && n.id) out.push({ id: n.id, bus: 'pcie.0' });
  for (const v of cfg.v9fsDevices) if (v.transport === 'pci' && v.props.get('id')) out.push({ id: v.props.get('id') as string, bus: 'pcie.0' });
  return out;
}

/** TSQEMU_STARTUP_TRACE=1: the phases of a run on stderr (`@phase <ms since the process
 * started> ms cpu <process CPU ms> main <main thread CPU ms>`), for measuring boots (README,
 * "Where a boot's CPU goes", round 8). */
const TRACE = process.env.TSQEMU_STARTUP_TRACE === '1';
function mark(phase: string): void {
  if (!TRACE) return;
  const c = process.cpuUsage();
  process.stderr.write(`@${phase} ${performance.now().toFixed(1)} ms cpu ${((c.user + c.system) / 1000).toFixed(1)} main ${threadCpuClock()?.().toFixed(1) ?? '?'}\n`);
}
async function main(argv: string[]): Promise<number> {
  mark('main');
  tcgOptions.asyncCompile = true; // the scheduler yields to the event loop
  tcgApplyEnv(process.env);
  const cfg = parseSystemArgs(expandReadconfig(argv, (f) => {
    try { return fs.readFileSync(f, 'utf8'); } catch (e) { throw new Error(`Could not open '${f}': ${strerror(e)}`); }
  }));
  for (const w of cfg.extras.warnings) process.stderr.write(`${PROG}: warning: ${w}\n`);
  checkMttcgConfig(cfg); // -accel tcg,thread=multi's refusals
  const icount = cfg.extras.icount ? new IcountClock(cfg.extras.icount) : undefined;
  if (icount) tcgOptions.asyncCompile = false; // which code is translated must not depend on host timing
  if (cfg.action === 'version') {
    process.stdout.write(`QEMU emulator version ${QEMU_VERSION} (tsqemu ${readPackageVersion()})\nCopyright (c) 2003-2025 Fabrice Bellard and the QEMU Project developers\n`);
    return 0;
  }
  if (cfg.action === 'print') {
    process.stdout.write(cfg.printText ?? '');
    return 0;
  }
  if (cfg.action === 'help') {
    process.stdout.write(`QEMU emulator version ${QEMU_VERSION} (tsqemu)\n${HELP_TEXT}`);
    return 0;
  }
  if (cfg.mgmt.msgTimestamp) timestampMessages();
  await maybeDaemonize(cfg.mgmt.daemonize);
  setLogMask(cfg.logMask);
  setFatalDebug(cfg.logMask !== 0);
  if (cfg.logFile !== undefined) {
    let fd: number;
    try {
      fd = fs.openSync(cfg.logFile, 'w');
    } catch (e) {
      throw new QemuError(`Error opening logfile ${cfg.logFile}: ${strerror(e)}`);
    }
    setLogSink((t) => fs.writeSync(fd, t));
  } else {
    setLogSink((t) => process.stderr.write(t));
  }
  createObjects(cfg);
  const images = loadImages(cfg);
  mark('images');
  let scheduler: VCPUScheduler | undefined;
  let machine: RISCVVirtMachine | undefined;
  /** RUN_STATE_IO_ERROR: paused by a disk error action, until `cont`. */
  let ioError = false;
  const mon = new SystemMonitors(cfg, {
    scheduler: () => scheduler, machine: () => machine, quit: (code) => quit(code), reset: () => void resetSystem(),
    restartIo: () => { ioError = false; machine?.restartIo(); },
    gdbserver: (dev) => gdbserver(dev),
  });
  const gdbserver = (dev: string): string => {
    // A monitor that listens before the machine exists: the stub starts with the scheduler.
    if (!machine || !scheduler) { cfg.mgmt.gdb = dev === 'none' ? undefined : dev; return dev === 'none' ? 'Disabled gdbserver\n' : `Waiting for gdb connection on device '${dev}'\n`; }
    startGdbServer(dev, machine.harts as RISCVCPU[], scheduler, mon, () => { process.stderr.write(`${PROG}: QEMU: Terminated via GDBstub\n`); quit(0); }).catch((e: Error) => process.stderr.write(`${PROG}: ${e.message}\n`));
    return dev === 'none' ? 'Disabled gdbserver\n' : `Waiting for gdb connection on device '${dev}'\n`;
  };
  const { devices, backends, qdevs, takeDrive, mmioSerialBuses } = await openDrives(cfg, (id, blk, opts) => mon.accountDrive(id, blk, opts));
  // An internal error still flushes and closes the drives (a snapshot overlay is removed).
  atFatal(() => Promise.all(backends.map(async (b) => { await b.flush().catch(() => undefined); await b.close(); })).then(() => undefined));
  const flash = await createPflash(cfg, takeDrive, (m) => process.stderr.write(`${PROG}: ${m}\n`));
  const v9fs = await openV9fsDevices(cfg, (m) => process.stderr.write(`${PROG}: warning: ${m}\n`));
  devices.push(...v9fs.devices);
  const driveRing = mainIoUringIfCreated(); // before the fd monitor may create the ring
  const chardevs = await openChardevs(cfg, () => quit(0));
  writePidfile(cfg);
  const net = await createNetwork(cfg);

  let exitCode = 0;
  let shutdownRequested = false;
  /** system_reset found disk requests in flight (and waited for them): statistics for tests. */
  let resetsWithRequestsInFlight = 0;
  const quit = (code: number) => {
    exitCode = code;
    shutdownRequested = true;
    scheduler?.stop();
  };
  /**
   * qemu_system_reset after the disks drained (QEMU's device reset drains synchronously): a read
   * in flight must not land in RAM the reset just reloaded. The harts wait meanwhile.
   */
  const resetSystem = async (): Promise<void> => {
    const wasRunning = scheduler?.running ?? false;
    scheduler?.pause();
    if (machine && machine.blockStats().inflight > 0) resetsWithRequestsInFlight++;
    await machine?.drain();
    machine?.reset();
    scheduler?.hartsReset();
    if (wasRunning) scheduler?.cont();
  };
  const { serial, monitorChr, close: closeConsole } = createConsole(cfg, chardevs, () => quit(0));
  const mmioDevices = assignMmioSlots([...devices, ...net.devices], VIRTIO_COUNT);
  setHotplugView({ devices: () => pluggedDevices(cfg, mmioDevices, qdevs), usedMmio: () => machine?.virtio.map((p) => p.vdev !== undefined) ?? [],
    pciBuses: () => (machine ? [...machine.pci.bus.walk()].map((b) => b.name) : ['pcie.0']) });
  atFatal(closeConsole); // the terminal leaves raw mode
  machine = new RISCVVirtMachine({
    ramSize: cfg.ramSize, smp: cfg.smp, prepareMemory: adviseHugePages, ...images, serial, devices: mmioDevices, entropy: nodeEntropy,
    irqchip: cfg.irqchip,
    wallNs: rtcWallNs(cfg, () => BigInt(machine?.clock.now() ?? 0)),
    hostClock: icount,
    onShutdown: (code) => { mark('shutdown'); mon.guestShutdown(code); },
    onReset: () => mon.guestReset(),
    // A guest's reset of one disk (status 0) with reads in flight: the harts wait for them.
    onBlockResetInFlight: (drained) => scheduler?.holdUntil(drained),
    onIoErrorStop: () => {
      if (scheduler !== undefined && !scheduler.running) return; // already stopped: keep the state
      ioError = true;
      mon.ioErrorStop();
    },
    flash,
    virtioMmioLegacy: virtioMmioForceLegacy(cfg.extras.globals),
    realizeDevices: (m) => realizeQdevDevices(m, qdevs, takeDrive, [...net.pci, ...v9fs.pci], adoptBalloon, {
      serialBuses: mmioSerialBuses, chardev: chardevClaimer(cfg, chardevs), emitEvent: (ev, data) => mon.events.emit(ev, data as JsonValue),
    }),
  });
  void ioError;
  for (const b of machine.pci.bus.walk()) {
    const port = b.parentDev;
    if (port?.id) registerQomPeripheral({ id: port.id, type: port.name, props: [] });
  }
  mark('machine');
  mon.attachDevices();
  registerMachineInfo(machine, net.stack);
  startMonitors(cfg, chardevs, mon);
  // Attached before any await, so an early Ctrl-A c already finds it.
  if (monitorChr) mon.startHmp(monitorChr);
  if (driveRing) registerRamWithIoUring(machine);
  if (cfg.dumpdtb !== undefined) {
    try {
      fs.writeFileSync(cfg.dumpdtb, machine.fdtBlob);
    } catch {
      throw new QemuError(`qemu_fdt_dumpdtb: Failed dumping dtb to ${cfg.dumpdtb}`);
    }
    process.stderr.write(`${PROG}: info: dtb dumped to ${cfg.dumpdtb}. Exiting.\n`);
    closeConsole();
    await Promise.all(backends.map((b) => b.close()));
    return 0;
  }
  const { createRISCVCPUs, setRiscvInterpreterCache } = await import('../target/riscv/cpu.js');
  setRiscvInterpreterCache(diskWasmCache(process.env, true)); // the interpreter's wasm bytes from disk, as user mode (~50 ms of start-up)
  useThreadTbClock(); // info jit's translation cost in this thread's CPU time
  if (!cfg.mgmt.machineNone) machine.realizeHarts((as, cpuStateOffset, nharts, rdtime) => createRISCVCPUs({ as, cpuStateOffset, nharts, rdtime }));
  mark('harts');
  mon.machineReady();
  daemonReady();
  if (icount) for (const h of machine.harts as RISCVCPU[]) h.env.icount = () => BigInt(icount.now());
  const sched = (scheduler = tcgOptions.mttcg && machine.harts.length > 0 // -M none: no harts to put on threads
    ? createMttcgScheduler(machine, cfg.startPaused, cfg.logMask, cfg.logFile, (m) => { process.stderr.write(`${PROG}: ${m}\n`); quit(1); })
    : new VCPUScheduler(machine.harts, machine.timers, machine.clock,
      { yieldToHost: () => new Promise((r) => setImmediate(r)) }, cfg.startPaused, icount));
  machine.onIrq = () => sched.kick();
  if (cfg.mgmt.gdb) await startGdbServer(cfg.mgmt.gdb, machine.harts as RISCVCPU[], sched, mon, () => { process.stderr.write(`${PROG}: QEMU: Terminated via GDBstub\n`); quit(0); }).catch((e: Error) => { throw new QemuError(`-gdb ${cfg.mgmt.gdb}: ${e.message}`); });
  const onSignal = (sig: string, num: number) => {
    process.stderr.write(`${PROG}: terminating on signal ${num}\n`);
    void sig;
    mon.hostSignal();
  };
  process.on('SIGINT', () => onSignal('SIGINT', 2));
  process.on('SIGTERM', () => onSignal('SIGTERM', 15));
  process.on('SIGHUP', () => onSignal('SIGHUP', 1));
  if (shutdownRequested) sched.stop();
  mark('run');
  await sched.run();
  mark('stopped');
  net.stack.cleanup();
  closeConsole();
  await machine.drain();
  for (const b of backends) await b.close();
  await v9fs.close();
  if (process.env.TSQEMU_URING_STATS) printUringStats(machine, resetsWithRequestsInFlight);
  if (process.env.TSQEMU_JIT_INFO === '1') process.stderr.write(machine.harts[0]?.jitInfo?.() ?? ''); // info jit at exit (bench)
  return exitCode;
}

/**
 * With a drive on io_uring, guest RAM becomes a registered (fixed) buffer: virtio-blk's requests
 * point into it, so they go in as READ_FIXED/WRITE_FIXED without per-request page pinning.
 */
function registerRamWithIoUring(machine: RISCVVirtMachine): void {
  const ring = mainIoUringIfCreated();
  if (!ring) return;
  ramRegistered = ring.addFixedBuffer(machine.ramView());
  if (!ramRegistered) qemuLogMask(LogMask.LOG_UNIMP, 'io_uring: guest RAM could not be registered (RLIMIT_MEMLOCK?); using plain reads/writes\n');
}
let ramRegistered = false;

/** TSQEMU_URING_STATS=1 (tests, bench): the batching counters at exit. */
function printUringStats(machine: RISCVVirtMachine, busyResets: number): void {
  const ring = mainIoUringIfCreated();
  const b = machine.blockStats();
  process.stderr.write(`tsqemu-uring-stats: enters=${ring?.enterCount ?? 0} submitted=${ring?.submitted ?? 0} fixed=${ring?.fixedSubmitted ?? 0} ` +
    `notifies=${b.notifies} requests=${b.requests} busy-resets=${busyResets} ram-fixed=${ramRegistered ? 1 : 0} ` +
    `settled-inline=${ioSettleStats.inline} settled-slow=${ioSettleStats.slow} ` +
    `mean-depth=${(b.depthSum / Math.max(1, b.requests)).toFixed(2)} completed=${b.completed} decisions=${b.decisions} irqs=${b.irqs} suppressed=${b.suppressed}\n`);
}

/** The serial chardev, and the chardev the monitor attaches to (the mux) when there is one. */
function createConsole(cfg: SystemConfig, chardevs: Map<string, Chardev>, quit: () => void): { serial: Chardev; monitorChr?: Chardev; close(): void } {
  const con = createStdioConsole(cfg, chardevs, quit);
  const closeAll = () => { con.close(); for (const c of chardevs.values()) c.close(); };
  // -monitor unix:/tcp:/chardev:ID, -mon chardev=ID: the monitor has a chardev of its own.
  const mon = cfg.monitorChardev ? chardevs.get(cfg.monitorChardev.id) : undefined;
  return { serial: con.serial, monitorChr: mon ?? con.monitorChr, close: closeAll };
}

function createStdioConsole(cfg: SystemConfig, chardevs: Map<string, Chardev>, quit: () => void): { serial: Chardev; monitorChr?: Chardev; close(): void } {
  const s = cfg.serial;
  if (s.kind === 'chardev') {
    const chr = chardevs.get(s.id) as Chardev; // vl.ts checked the id
    const mon = cfg.monitorOnStdio ? new MuxChardev('mon0', new StdioChardev('stdio', new NodeTerminal(), false, quit), { quit }) : undefined;
    return { serial: chr, monitorChr: mon, close: () => mon?.close() };
  }
  if (s.kind === 'file') {
    let out: NodeOutputFile;
    try {
      out = new NodeOutputFile(s.path);
    } catch (e) {
      const text = `file:${s.path}`;
      throw optError('-serial', text, `Could not open '${s.path}': ${strerror(e)}\n${PROG}: -serial ${text}: could not connect serial device to character backend '${text}'`);
    }
    const chr = new FileChardev('serial0', out);
    const mon = cfg.monitorOnStdio ? new MuxChardev('mon0', new StdioChardev('stdio', new NodeTerminal(), false, quit), { quit }) : undefined;
    return { serial: chr, monitorChr: mon, close: () => { chr.close(); mon?.close(); } };
  }
  if (s.kind === 'null') {
    const chr = new NullChardev('serial0');
    const mon = cfg.monitorOnStdio ? new MuxChardev('mon0', new StdioChardev('stdio', new NodeTerminal(), false, quit), { quit }) : undefined;
    return { serial: chr, monitorChr: mon, close: () => mon?.close() };
  }
  const stdio = new StdioChardev('serial0', new NodeTerminal(), !s.mux, quit);
  if (!s.mux) return { serial: stdio, close: () => stdio.close() };
  const mux = new MuxChardev('serial0', stdio, { quit });
  // The UART attaches first and keeps the focus; the monitor is the second frontend.
  return { serial: mux, monitorChr: cfg.monitorOnStdio ? mux : undefined, close: () => mux.close() };
}

function readPackageVersion(): string {
  try {
    return (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return '?';
  }
}

process.on('uncaughtException', (e) => void exitOnError(PROG, e));
process.on('unhandledRejection', (e) => void exitOnError(PROG, e));
// exitProcess: after the 'exit' listeners, _exit() (native addon) rather than waiting for V8's
// background compile jobs still running at power-off (fast-exit.ts).
main(process.argv.slice(2)).then(
  (code) => exitProcess(code),
  (e: unknown) => exitOnError(PROG, e),
);

/** -device virtio-serial-device: a virtio-mmio serial whose port bus -device virtconsole/virtserialport find. */
function mmioSerialDevice(text: string, buses: QDevContext['serialBuses']): VirtDevice {
  const o = parseQemuOpts(text, 'driver');
  let p: ReturnType<typeof virtioSerialProps>;
  try {
    p = virtioSerialProps('virtio-serial-device', new Map([...o.keys()].map((k) => [k, o.get(k) as string])));
  } catch (e) {
    if (e instanceof QemuError) throw optError('-device', text, e.message);
    throw e;
  }
  return {
    type: 'virtio-serial-device',
    create: (as) => {
      const vser = newVirtioSerial(as, p);
      buses.push(serialBusEntry(buses, vser, o.get('id')));
      return vser;
    },
  };
}

/** A device's chardev= (qdev's chardev property): QEMU's errors for an unknown id and for one
 * another frontend (serial, monitor, QMP, an earlier device) holds; a mux chardev is shared. */
function chardevClaimer(cfg: SystemConfig, chardevs: Map<string, Chardev>): (id: string, prop: string) => Chardev {
  const held = new Set<string>([...cfg.mgmt.qmpChardevs, ...(cfg.monitorChardev ? [cfg.monitorChardev.id] : []),
    ...(cfg.serial.kind === 'chardev' ? [cfg.serial.id] : [])]);
  return (id, prop) => {
    const chr = chardevs.get(id);
    if (!chr) throw new QemuError(`Property '${prop}' can't find value '${id}'`);
    if (!(chr instanceof MuxChardev)) {
      if (held.has(id)) throw new QemuError(`Property '${prop}' can't take value '${id}': Device '${id}' is in use`);
      held.add(id);
    }
    return chr;
  };
}

/** HMP `info pci`, `info network`, `info usernet` and `set_link` on the monitor's command table. */
function registerMachineInfo(m: RISCVVirtMachine, net: NetStack): void {
  registerInfo({ name: 'pci', help: 'show PCI info', run: () => hmpInfoPci(m.pci.bus) });
  registerCommand({ name: 'query-pci', returns: 'any', run: () => qmpQueryPci(m.pci.bus) as unknown as JsonValue });
  registerInfo({ name: 'network', help: 'show the network state', run: () => net.infoNetwork() });
  registerInfo({ name: 'usernet', help: 'show user network stack connection states', run: () => net.infoUsernet() });
  registerLinkCommand(net);
}

let linkNet: NetStack | undefined;
/** set_link (QMP and HMP): a NIC or back end's link up or down; registered once per process. */
function registerLinkCommand(net: NetStack): void {
  const first = linkNet === undefined;
  linkNet = net;
  if (!first) return;
  registerCommand({
    name: 'set_link',
    args: [{ name: 'name', type: 'str' }, { name: 'up', type: 'bool' }],
    hmp: {
      names: 'set_link', params: 'name on|off', help: 'change the link status of a network adapter',
      parse: (words) => {
        if (words.length !== 2 || (words[1] !== 'on' && words[1] !== 'off')) throw new QmpError('GenericError', 'Usage: set_link name on|off');
        return { name: words[0], up: words[1] === 'on' };
      },
    },
    run: (args) => {
      const err = linkNet?.setLink(String(args.name), args.up === true);
      if (err) throw new QmpError('DeviceNotFound', err);
      return undefined;
    },
  });
}

/**
 * -msg timestamp=on: our error and warning lines on stderr (those starting with the program's
 * name, as QEMU's error_report) get QEMU's ISO 8601 UTC prefix with microseconds.
 */
function timestampMessages(): void {
  const write = process.stderr.write.bind(process.stderr) as (chunk: string | Uint8Array, ...rest: unknown[]) => boolean;
  process.stderr.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    if (typeof chunk === 'string' && chunk.startsWith(`${PROG}: `)) {
      const now = new Date();
      const us = String(now.getUTCMilliseconds() * 1000 + Math.floor((performance.now() % 1) * 1000)).padStart(6, '0');
      chunk = `${now.toISOString().slice(0, 19)}.${us}Z ${chunk}`;
    }
    return write(chunk, ...rest);
  }) as typeof process.stderr.write;
}
