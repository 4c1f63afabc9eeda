// What the monitor sees of the emulator: run state and its transitions, the machine's parts
// for queries, and the event channel. The binary (src/cli) implements MonitorVM over the real
// machine; the monitor core stays free of host access.
import type { JsonValue } from './json-stream.js';
import type { CommandTable } from './commands.js';
import type { AddressSpace } from '../exec/memory.js';
import type { Chardev } from '../chardev/char.js';
import type { CPURISCVState } from '../target/riscv/cpu-state.js';
import type { BlockAcctStats } from '../block/accounting.js';

export type { BlockAcctStats };

/** QEMU's RunState names (qapi/run-state.json) that we reach. */
export type RunState = 'prelaunch' | 'running' | 'paused' | 'io-error' | 'shutdown' | 'debug' | 'internal-error' | 'guest-panicked';

/** SHUTDOWN/RESET reasons (ShutdownCause). */
export type ShutdownCause = 'host-qmp-quit' | 'host-qmp-system-reset' | 'host-signal' | 'host-ui' | 'guest-shutdown' | 'guest-reset' | 'guest-panic';

/** One drive as query-block/-blockstats report it. */
export interface MonitorBlockDevice {
  device: string;
  nodeName: string;
  /** The format node's driver ('raw', 'qcow2', 'luks') and the protocol node's filename. */
  drv: string;
  filename: string;
  readOnly: boolean;
  encrypted: boolean;
  size: number;
  /** The device the drive is attached to (qdev path), '' if none. */
  qdev: string;
  cache: { writeback: boolean; direct: boolean; noFlush: boolean };
  detectZeroes: string;
  backingFileDepth: number;
  stats: BlockAcctStats;
  ioStatus: 'ok' | 'failed' | 'nospace';
  /** Bytes the image takes on the host (info block -v's disk size), when it is a host file. */
  diskSize?: number;
  /** The virtio-mmio slot of its device (info qtree), if any. */
  virtioSlot?: number;
}

export interface MonitorChardev { label: string; filename: string; frontendOpen: boolean }

export interface MonitorVM {
  readonly machineType: string;
  readonly name?: string;
  readonly uuid: string;
  runState(): RunState;
  /** `stop`: RUNNING -> PAUSED (STOP event). */
  stop(): void;
  /** `cont`: throws QmpError when it cannot (e.g. after shutdown without -no-shutdown). */
  cont(): void;
  systemReset(): void;
  systemPowerdown(): void;
  quit(): void;
  /** Number of harts, and each one's state (registers, privilege). */
  readonly smp: number;
  /** Guest RAM in bytes (query-memory-size-summary); 0 with -machine none. */
  readonly ramSize?: number;
  hartEnv(i: number): CPURISCVState | undefined;
  /** Host thread id shown by query-cpus-fast / info cpus (we run harts on one thread). */
  readonly threadId: number;
  readonly as?: AddressSpace;
  blockDevices(): MonitorBlockDevice[];
  chardevs(): MonitorChardev[];
  /** A drive by -drive id or its device's id (eject, change). */
  blockExists?(id: string): boolean;
  /** blockdev-add (the QMP arguments as given) and blockdev-del; throw QmpError with QEMU's text. */
  blockdevAdd?(args: Record<string, JsonValue>): Promise<void>;
  blockdevDel?(nodeName: string): Promise<void>;
  /** block_resize; throws QmpError with QEMU's text. */
  blockResize?(device: string | undefined, nodeName: string | undefined, size: number): Promise<void>;
  /** The chardev of that label (ringbuf-read/-write). */
  chardevBackend?(label: string): Chardev | undefined;
  jitInfo?(): string;
  /** HMP `gdbserver DEV`: start the GDB stub; the message QEMU prints. */
  gdbserver?(dev: string): string;
  /** HMP `log ITEMS`: the text to print (errors, `log help`). */
  setLog?(items: string): string;
  /** The device type plugged in virtio-mmio slot i (info qtree), undefined when empty. */
  virtioSlot?(i: number): string | undefined;
  /** virtio-mmio's force-legacy property (the same for every transport: set by -global). */
  virtioMmioLegacy?(): boolean;
  /** Host wall clock (events' timestamps, idle_time_ns). */
  nowNs(): bigint;
}

type EventTs = { seconds: number; microseconds: number };
type EventSink = (ev: string, data: JsonValue | undefined, ts: EventTs) => void;

/** QEMU's monitor_qapi_event_conf: guest-triggerable events at most once a second each (per
 * the member named here, e.g. per port id); the last one of a burst goes out when the second ends. */
const RATE_LIMITED: Record<string, string | undefined> = {
  RTC_CHANGE: undefined, WATCHDOG: undefined, BALLOON_CHANGE: undefined, QUORUM_REPORT_BAD: 'node-name',
  QUORUM_FAILURE: 'node-name', VSERPORT_CHANGE: 'id', MEMORY_DEVICE_SIZE_CHANGE: 'qom-path',
};
const RATE_MS = 1000;

/** QMP events go to every QMP monitor that negotiated capabilities. */
export class MonitorEvents {
  private readonly sinks = new Set<EventSink>();
  /** Throttled events by key: the one held back for the end of the period (monitor_qapi_event_state). */
  private readonly throttle = new Map<string, { pending?: { data: JsonValue | undefined; ts: EventTs } }>();

  constructor(private readonly now: () => bigint) {}

  subscribe(fn: EventSink): () => void {
    this.sinks.add(fn);
    return () => this.sinks.delete(fn);
  }

  emit(ev: string, data?: JsonValue): void {
    const us = this.now() / 1000n;
    const ts = { seconds: Number(us / 1_000_000n), microseconds: Number(us % 1_000_000n) };
    if (!(ev in RATE_LIMITED)) { this.send(ev, data, ts); return; }
    const member = RATE_LIMITED[ev];
    const keyData = member !== undefined && data && typeof data === 'object' && !Array.isArray(data) ? data[member] : undefined;
    const key = `${ev}\0${String(keyData ?? '')}`;
    const state = this.throttle.get(key);
    if (state) { state.pending = { data, ts }; return; } // replaces any earlier held one
    this.send(ev, data, ts);
    this.startPeriod(key, ev);
  }

  private startPeriod(key: string, ev: string): void {
    const state: { pending?: { data: JsonValue | undefined; ts: EventTs } } = {};
    this.throttle.set(key, state);
    const timer = globalThis.setTimeout(() => {
      this.throttle.delete(key);
      if (!state.pending) return;
      this.send(ev, state.pending.data, state.pending.ts);
      this.startPeriod(key, ev);
    }, RATE_MS);
    // Node: a held-back event must not keep the process alive at exit.
    (timer as { unref?: () => void }).unref?.();
  }

  private send(ev: string, data: JsonValue | undefined, ts: EventTs): void {
    for (const s of [...this.sinks]) s(ev, data, ts);
  }
}

/** What a command runs with: the VM, the event channel, the table, and who asked. */
export interface MonitorContext {
  vm: MonitorVM;
  events: MonitorEvents;
  table: CommandTable;
  /** human-monitor-command: run an HMP line and return its output. */
  hmp(line: string, cpuIndex?: number): Promise<string>;
  /** The hart HMP commands use (`cpu N`), 0 by default. */
  cpuIndex: number;
  /** The descriptor this monitor's client passed with SCM_RIGHTS (getfd, add-fd); -1 if none. */
  getMsgFd?(): number;
}
