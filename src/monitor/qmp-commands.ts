// The built-in monitor commands (QEMU's qmp_* in monitor/qmp-cmds.c, block/qapi.c, qom/qom-qmp-cmds.c,
// chardev/char.c ...): typed arguments, their HMP spelling and the HMP text of their replies.
// Replies have QEMU 10.2's shape, key for key, for what tsqemu has.
import { type ArgSpec, type MonitorCommand, QmpError, registerCommand } from './commands.js';
import type { JsonObject, JsonValue } from './json-stream.js';
import type { MonitorContext, MonitorBlockDevice } from './vm.js';
import { qmpSchema } from './qmp-schema.js';
import { QEMU_VERSION, TSQEMU_PACKAGE, qomListTypes, qomTypeProperties, qomChildren, qomGet, qomSet } from './qom.js';

const str = (name: string, optional = false): ArgSpec => ({ name, type: 'str', optional });
const bool = (name: string, optional = false): ArgSpec => ({ name, type: 'bool', optional });

function def(cmd: MonitorCommand): void {
  registerCommand(cmd);
}

// ---- negotiation (the QMP front end answers it; listed here so the table has it) ----

def({
  name: 'qmp_capabilities', args: [{ name: 'enable', type: { array: { enum: ['oob'], name: 'QMPCapability' } }, optional: true }],
  run: () => undefined,
});

// ---- run state ----

def({
  name: 'query-status', returns: { object: 'StatusInfo', members: [bool('running'), str('status')] },
  run: (_a, { vm }) => {
    const s = vm.runState();
    return { status: s, singlestep: false, running: s === 'running' };
  },
});

def({
  name: 'stop', hmp: { names: 'stop|s', help: 'stop emulation' },
  run: (_a, { vm }) => { vm.stop(); return undefined; },
});

def({
  name: 'cont', hmp: { names: 'cont|c', help: 'resume emulation' },
  run: (_a, { vm }) => { vm.cont(); return undefined; },
});

def({
  name: 'system_reset', hmp: { names: 'system_reset', help: 'reset the system' },
  run: (_a, { vm }) => { vm.systemReset(); return undefined; },
});

def({
  name: 'system_powerdown', hmp: { names: 'system_powerdown', help: 'send system power down event' },
  run: (_a, { vm }) => { vm.systemPowerdown(); return undefined; },
});

def({
  name: 'quit', hmp: { names: 'quit|q', help: 'quit the emulator' },
  run: (_a, { vm }) => { vm.quit(); return undefined; },
});

// ---- identity ----

def({
  name: 'query-version', returns: 'any',
  run: () => {
    const [major, minor, micro] = QEMU_VERSION.split('.').map(Number);
    return { qemu: { micro, minor, major }, package: TSQEMU_PACKAGE };
  },
});

def({
  name: 'query-name', returns: { object: 'NameInfo', members: [str('name', true)] },
  run: (_a, { vm }) => (vm.name !== undefined ? { name: vm.name } : {}),
});

def({
  name: 'query-uuid', returns: { object: 'UuidInfo', members: [str('UUID')] },
  run: (_a, { vm }) => ({ UUID: vm.uuid }),
});

def({
  name: 'query-target', returns: { object: 'TargetInfo', members: [str('arch')] },
  run: () => ({ arch: 'riscv64' }),
});

def({
  name: 'query-kvm', returns: { object: 'KvmInfo', members: [bool('enabled'), bool('present')] },
  run: () => ({ enabled: false, present: false }),
});

def({
  name: 'query-machines', args: [bool('compat-props', true)], returns: 'any',
  run: () => [
    { 'hotpluggable-cpus': false, name: 'virt', 'numa-mem-supported': true, 'default-cpu-type': 'rv64-riscv-cpu',
      'acpi': false, 'cpu-max': 512, deprecated: false, 'default-ram-id': 'riscv_virt_board.ram' },
    { 'hotpluggable-cpus': false, name: 'none', 'numa-mem-supported': false, acpi: false, 'cpu-max': 1, deprecated: false },
  ],
});

def({
  name: 'query-commands', returns: 'any', preCaps: false,
  run: (_a, { table }) => table.qmpCommands().map((c) => ({ name: c.name })),
});

def({
  name: 'query-qmp-schema', returns: 'any',
  run: (_a, { table }) => qmpSchema(table),
});

def({
  name: 'query-cpus-fast', returns: 'any',
  run: (_a, { vm }) => Array.from({ length: vm.machineType === 'none' ? 0 : vm.smp }, (_, i) => ({
    'thread-id': vm.threadId, props: { 'core-id': i }, 'qom-path': `/machine/soc0/harts[${i}]`,
    'cpu-index': i, target: 'riscv64',
  })),
});

def({
  name: 'query-command-line-options', args: [str('option', true)], returns: 'any',
  run: (a) => {
    // No 'sandbox': libvirt would then pass -sandbox on, and we have no seccomp filter.
    const all = [
      { option: 'machine', parameters: [{ name: 'type', type: 'string' }, { name: 'accel', type: 'string' }, { name: 'usb', type: 'boolean' }, { name: 'dump-guest-core', type: 'boolean' }] },
      { option: 'name', parameters: [{ name: 'guest', type: 'string' }, { name: 'debug-threads', type: 'boolean' }, { name: 'process', type: 'string' }] },
      { option: 'msg', parameters: [{ name: 'timestamp', type: 'boolean' }, { name: 'guest-name', type: 'boolean' }] },
      { option: 'overcommit', parameters: [{ name: 'mem-lock', type: 'boolean' }, { name: 'cpu-pm', type: 'boolean' }] },
    ];
    if (a.option === undefined) return all;
    const one = all.filter((o) => o.option === a.option);
    if (one.length === 0) throw new QmpError('GenericError', `invalid option name: ${a.option as string}`);
    return one;
  },
});

// ---- migration (nothing migrates; libvirt sets 'events' unconditionally) ----

const MIGRATE_CAPS = ['xbzrle', 'rdma-pin-all', 'auto-converge', 'zero-blocks', 'events', 'postcopy-ram', 'x-colo', 'release-ram',
  'return-path', 'pause-before-switchover', 'multifd', 'dirty-bitmaps', 'postcopy-blocktime', 'late-block-activate',
  'x-ignore-shared', 'validate-uuid', 'background-snapshot', 'zero-copy-send', 'postcopy-preempt'];
const migrateState = new Map(MIGRATE_CAPS.map((c) => [c, false]));

def({
  name: 'query-migrate-capabilities', returns: 'any',
  run: () => [...migrateState].map(([capability, state]) => ({ state, capability })),
});

def({
  name: 'migrate-set-capabilities',
  args: [{ name: 'capabilities', type: { array: { object: 'MigrationCapabilityStatus', members: [
    { name: 'capability', type: { enum: MIGRATE_CAPS, name: 'MigrationCapability' } }, bool('state')] } } }],
  run: (a) => {
    for (const c of a.capabilities as JsonObject[]) migrateState.set(c.capability as string, c.state as boolean);
    return undefined;
  },
});

def({ name: 'query-jobs', returns: 'any', run: () => [] });

// ---- block ----

function blockInfo(d: MonitorBlockDevice): JsonObject {
  return {
    'io-status': d.ioStatus, device: d.device, locked: false, removable: false,
    // A device with an id is named by it (query-blockstats always gives the path: libvirt's qomName).
    inserted: inserted(d), qdev: qdevName(d), type: 'unknown',
  };
}

/**
 * How QEMU names the device a drive is attached to: its id when it has one. virtio-blk-device
 * (virtio-mmio) holds the drive itself: its id; virtio-blk-pci's drive is on its inner
 * virtio-blk-device (the virtio-backend child, no id): the path.
 */
export function qdevName(d: { qdev: string; virtioSlot?: number }): string {
  const m = /^\/machine\/peripheral\/([^/]+)(\/virtio-backend)?$/.exec(d.qdev);
  return m && (!m[2] || d.virtioSlot !== undefined) ? m[1] : d.qdev;
}

function inserted(d: MonitorBlockDevice): JsonObject {
  return {
    iops_rd: 0, detect_zeroes: d.detectZeroes,
    image: { 'virtual-size': d.size, filename: d.filename, format: d.drv, 'actual-size': d.size, 'dirty-flag': false },
    iops_wr: 0, ro: d.readOnly, 'node-name': d.nodeName, backing_file_depth: d.backingFileDepth, drv: d.drv, iops: 0,
    bps_wr: 0, write_threshold: 0, encrypted: d.encrypted, bps: 0, bps_rd: 0,
    cache: { 'no-flush': d.cache.noFlush, direct: d.cache.direct, writeback: d.cache.writeback }, file: d.filename,
  };
}

function blockStats(d: MonitorBlockDevice, nowNs: bigint, zero = false): JsonObject {
  const s = d.stats;
  const z = (v: number) => (zero ? 0 : v);
  const stats: JsonObject = {
    unmap_operations: z(s.unmapOps), unmap_merged: 0, flush_total_time_ns: z(s.flushTimeNs), wr_highest_offset: z(s.wrHighestOffset),
    wr_total_time_ns: z(s.wrTimeNs), failed_wr_operations: z(s.failedWrOps), failed_rd_operations: z(s.failedRdOps), wr_merged: 0,
    wr_bytes: z(s.wrBytes), timed_stats: [], failed_unmap_operations: z(s.failedUnmapOps), failed_flush_operations: z(s.failedFlushOps),
    account_invalid: !zero, rd_total_time_ns: z(s.rdTimeNs), invalid_unmap_operations: 0, flush_operations: z(s.flushOps),
    wr_operations: z(s.wrOps), unmap_bytes: z(s.unmapBytes), rd_merged: 0, rd_bytes: z(s.rdBytes), unmap_total_time_ns: z(s.unmapTimeNs),
    invalid_flush_operations: 0, account_failed: !zero, rd_operations: z(s.rdOps), invalid_wr_operations: 0, invalid_rd_operations: 0,
  };
  if (!zero && s.lastAccessNs >= 0) stats.idle_time_ns = Number(nowNs) - s.lastAccessNs;
  return stats;
}

def({
  name: 'query-block', returns: 'any',
  run: (_a, { vm }) => vm.blockDevices().map(blockInfo),
});

def({
  name: 'query-blockstats', args: [bool('query-nodes', true)], returns: 'any',
  run: (a, { vm }) => {
    const now = vm.nowNs();
    const out: JsonObject[] = [];
    for (const d of vm.blockDevices()) {
      const ds = { 'discard-bytes-ok': 0, 'discard-nb-ok': 0, driver: 'file', 'discard-nb-failed': 0 };
      const fileNode = { stats: blockStats(d, now, true), 'node-name': `${d.nodeName}-file`, 'driver-specific': ds };
      // query-nodes: every node, the protocol (file) node first, as QEMU lists them.
      if (a['query-nodes'] === true) out.push(fileNode, { parent: fileNode, stats: blockStats(d, now), 'node-name': d.nodeName });
      else out.push({ device: d.device, parent: fileNode, stats: blockStats(d, now), 'node-name': d.nodeName, qdev: d.qdev });
    }
    return out;
  },
});

def({
  name: 'query-named-block-nodes', args: [bool('flat', true)], returns: 'any',
  run: (_a, { vm }) => vm.blockDevices().map((d) => inserted(d)),
});

// ---- character devices ----

def({
  name: 'query-chardev', returns: 'any',
  run: (_a, { vm }) => vm.chardevs().map((c) => ({ 'frontend-open': c.frontendOpen, filename: c.filename, label: c.label })),
});

// ---- QOM ----

def({
  name: 'qom-list', args: [str('path')], returns: 'any',
  run: (a, ctx) => qomChildren(ctx, a.path as string),
});

def({
  name: 'qom-get', args: [str('path'), str('property')], returns: 'any',
  run: (a, ctx) => qomGet(ctx, a.path as string, a.property as string),
});

def({
  name: 'qom-set', args: [str('path'), str('property'), { name: 'value', type: 'any' }],
  run: (a, ctx) => { qomSet(ctx, a.path as string, a.property as string, a.value as JsonValue); return undefined; },
});

def({
  name: 'qom-list-types', args: [str('implements', true), bool('abstract', true)], returns: 'any',
  run: (a) => qomListTypes(a.implements as string | undefined, a.abstract === true),
});

def({
  name: 'qom-list-properties', args: [str('typename')], returns: 'any',
  run: (a) => {
    const p = qomTypeProperties(a.typename as string);
    if (!p) throw new QmpError('DeviceNotFound', `Class '${a.typename as string}' not found`);
    return p;
  },
});

def({
  name: 'device-list-properties', args: [str('typename')], returns: 'any',
  run: (a) => {
    const p = qomTypeProperties(a.typename as string, true);
    if (!p) throw new QmpError('DeviceNotFound', `Device '${a.typename as string}' not found`);
    return p;
  },
});

// ---- HMP passthrough ----

def({
  name: 'human-monitor-command', args: [str('command-line'), { name: 'cpu-index', type: 'int', optional: true }], returns: 'str',
  run: async (a, ctx: MonitorContext): Promise<JsonValue> => {
    const idx = a['cpu-index'];
    if (typeof idx === 'number' && (idx < 0 || idx >= ctx.vm.smp)) throw new QmpError('GenericError', `CPU ${idx} is not present`);
    // The output as a terminal would get it: CRLF line ends, as QEMU's.
    return (await ctx.hmp(a['command-line'] as string, typeof idx === 'number' ? idx : undefined)).replace(/\r?\n/g, '\r\n');
  },
});
