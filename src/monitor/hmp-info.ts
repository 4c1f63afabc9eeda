// HMP `info` subcommands and the HMP-only commands (gdbserver, log), in QEMU's output layout
// (hmp-commands-info.hx and the hmp_info_* functions). Other subsystems add theirs with
// registerInfo() from commands.ts.
import { sizeToStr } from '../qemu-img/common.js';
import { type InfoCommand, type MonitorCommand, registerCommand, registerInfo, monitorCommands } from './commands.js';
import type { MonitorContext } from './vm.js';
import { QEMU_VERSION, TSQEMU_PACKAGE } from './qom.js';
import { qdevName } from './qmp-commands.js';
import { riscvCsrReadDebug } from '../target/riscv/csr.js';
import type { CPURISCVState } from '../target/riscv/cpu-state.js';

const hex16 = (v: bigint) => BigInt.asUintN(64, v).toString(16).padStart(16, '0');

const ABI = ['zero', 'ra', 'sp', 'gp', 'tp', 't0', 't1', 't2', 's0', 's1', 'a0', 'a1', 'a2', 'a3', 'a4', 'a5', 'a6', 'a7',
  's2', 's3', 's4', 's5', 's6', 's7', 's8', 's9', 's10', 's11', 't3', 't4', 't5', 't6'];
const FABI = ['ft0', 'ft1', 'ft2', 'ft3', 'ft4', 'ft5', 'ft6', 'ft7', 'fs0', 'fs1', 'fa0', 'fa1', 'fa2', 'fa3', 'fa4', 'fa5',
  'fa6', 'fa7', 'fs2', 'fs3', 'fs4', 'fs5', 'fs6', 'fs7', 'fs8', 'fs9', 'fs10', 'fs11', 'ft8', 'ft9', 'ft10', 'ft11'];
/** CSRs riscv_cpu_dump_state prints, in its order; those the hart lacks (H's without H) are
 * left out, as QEMU does. */
const DUMP_CSRS: [string, number][] = [['mhartid', 0xf14], ['mstatus', 0x300], ['hstatus', 0x600], ['vsstatus', 0x200],
  ['mip', 0x344], ['mie', 0x304], ['mideleg', 0x303], ['hideleg', 0x603], ['medeleg', 0x302], ['hedeleg', 0x602],
  ['mtvec', 0x305], ['stvec', 0x105], ['vstvec', 0x205], ['mepc', 0x341], ['sepc', 0x141], ['vsepc', 0x241],
  ['mcause', 0x342], ['scause', 0x142], ['vscause', 0x242], ['mtval', 0x343], ['stval', 0x143], ['htval', 0x643],
  ['mtval2', 0x34b], ['mscratch', 0x340], ['sscratch', 0x140], ['satp', 0x180]];

/** QEMU's riscv_cpu_dump_state with CPU_DUMP_FPU. */
export function riscvDumpState(env: CPURISCVState, index: number): string {
  let s = `\nCPU#${index}\n`;
  if (riscvCsrReadDebug(env, 0x600) !== undefined) s += ` V      =   ${env.get32('virt')}\n`;
  s += ` pc       ${hex16(env.pc)}\n`;
  for (const [name, no] of DUMP_CSRS) {
    const v = riscvCsrReadDebug(env, no);
    if (v !== undefined) s += ` ${name.padEnd(8)} ${hex16(v)}\n`;
  }
  const regs = (names: string[], prefix: string, get: (i: number) => bigint): string => {
    let out = '';
    for (let i = 0; i < 32; i++) {
      out += ` ${`${prefix}${i}/${names[i]}`.padEnd(8)} ${hex16(get(i))}`;
      if (i % 4 === 3) out += '\n';
    }
    return out;
  };
  s += regs(ABI, 'x', (i) => env.getGpr(i));
  s += regs(FABI, 'f', (i) => env.get64('fpr', i));
  return s;
}

function mtree(ctx: MonitorContext): string {
  const as = ctx.vm.as;
  if (!as) return '';
  const ram = as.ram.filter((r) => !r.block).map((r) => ({ base: r.base, size: r.size, kind: r.readonly ? 'rom' : 'ram', name: r.name }));
  for (const r of as.ram.filter((x) => x.block)) { // DRAM beyond the wasm memory: still one region to the guest
    const low = ram.find((x) => x.name === r.name && x.base + x.size === r.base);
    if (low) low.size += r.size; else ram.push({ base: r.base, size: r.size, kind: 'ram', name: r.name });
  }
  const rows = [
    ...ram,
    ...as.mmio.map((r) => ({ base: r.base, size: r.size, kind: 'i/o', name: r.name })),
  ].sort((a, b) => a.base - b.base);
  const h = (n: number) => n.toString(16).padStart(16, '0');
  let s = Array.from({ length: ctx.vm.smp }, (_, i) => `address-space: cpu-memory-${i}\n`).join('') + 'address-space: memory\n';
  s += '  0000000000000000-ffffffffffffffff (prio 0, i/o): system\n';
  for (const r of rows) s += `    ${h(r.base)}-${h(r.base + r.size - 1)} (prio 0, ${r.kind}): ${r.name}\n`;
  return `${s}\n`;
}

function qtree(ctx: MonitorContext): string {
  const as = ctx.vm.as;
  let s = 'bus: main-system-bus\n  type System\n';
  if (!as) return s;
  const h = (n: number) => n.toString(16).padStart(16, '0');
  const devs = ctx.vm.blockDevices();
  let slot = 0;
  for (const r of as.mmio) {
    if (r.name === 'virtio-mmio') {
      const idx = slot++;
      s += `  dev: virtio-mmio, id ""\n    gpio-out "sysbus-irq" 1\n    format_transport_address = true\n    force-legacy = ${ctx.vm.virtioMmioLegacy?.() ?? true}\n` +
        `    mmio ${h(r.base)}/${h(r.size)}\n    bus: virtio-mmio-bus.${idx}\n      type virtio-mmio-bus\n`;
      const plugged = ctx.vm.virtioSlot?.(idx);
      if (plugged) {
        const d = devs.find((b) => b.virtioSlot === idx);
        s += `      dev: ${plugged}, id "${d?.qdev.startsWith('/machine/peripheral/') ? d.qdev.split('/')[3] : ''}"\n`;
        if (d) s += `        drive = "${d.device || d.nodeName}"\n`;
      }
      continue;
    }
    s += `  dev: ${r.name}, id ""\n    mmio ${h(r.base)}/${h(r.size)}\n`;
  }
  return s;
}

const INFOS: InfoCommand[] = [
  { name: 'status', help: 'show the current VM status (running|paused)', run: (_w, { vm }) => {
    const s = vm.runState();
    return s === 'running' ? 'VM status: running\n' : s === 'paused' ? 'VM status: paused\n' : `VM status: paused (${s})\n`;
  } },
  { name: 'version', help: 'show the version of QEMU', run: () => `${QEMU_VERSION}${TSQEMU_PACKAGE}\n` },
  { name: 'name', help: 'show the current VM name', run: (_w, { vm }) => (vm.name !== undefined ? `${vm.name}\n` : '') },
  { name: 'uuid', help: 'show the current VM UUID', run: (_w, { vm }) => `${vm.uuid}\n` },
  { name: 'registers', params: '[-a|vcpu]', help: 'show the cpu registers (-a: show register info for all cpus; vcpu: specific vCPU to query; show the current CPU\'s registers if omitted)',
    run: (w, ctx) => {
      const all = w[0] === '-a';
      const idx = !all && w[0] !== undefined ? Number(w[0]) : ctx.cpuIndex;
      if (!all && !ctx.vm.hartEnv(idx)) return `CPU#${w[0]} not available\n`;
      const list = all ? Array.from({ length: ctx.vm.smp }, (_, i) => i) : [idx];
      return list.map((i) => riscvDumpState(ctx.vm.hartEnv(i) as CPURISCVState, i)).join('');
    } },
  { name: 'cpus', help: 'show infos for each CPU', run: (_w, ctx) => Array.from({ length: ctx.vm.smp },
    (_, i) => `${i === ctx.cpuIndex ? '*' : ' '} CPU #${i}: thread_id=${ctx.vm.threadId}\n`).join('') },
  { name: 'block', params: '[-n] [-v] [device]', help: 'show info of one block device or all block devices (-n: show named nodes; -v: show details)',
    run: (w, { vm }) => {
      // -n: the format nodes by node name (QEMU also lists their protocol nodes); -v: the image's details.
      const nodes = w.includes('-n'), verbose = w.includes('-v');
      const names = w.filter((x) => x !== '-n' && x !== '-v');
      return vm.blockDevices().filter((d) => names.length === 0 || names.includes(nodes ? d.nodeName : d.device)).map((d) =>
        (nodes ? `${d.nodeName}: ` : `${d.device || d.nodeName}${d.device ? ` (${d.nodeName})` : ''}: `) + `${d.filename} (${d.drv}${d.readOnly ? ', read-only' : ''})\n` +
        (d.qdev && !nodes ? `    Attached to:      ${qdevName(d)}\n` : '') +
        `    Cache mode:       ${d.cache.writeback ? 'writeback' : 'writethrough'}${d.cache.direct ? ', direct' : ''}${d.cache.noFlush ? ', ignore flushes' : ''}\n` +
        (verbose ? `\nImages:\nimage: ${d.filename}\nfile format: ${d.drv}\nvirtual size: ${sizeToStr(d.size)} (${d.size} bytes)\n` +
          (d.diskSize !== undefined ? `disk size: ${sizeToStr(d.diskSize)}\n` : '') : '')).join('\n');
    } },
  { name: 'memory_size_summary', help: 'show memory size information', run: (_w, { vm }) => `base memory: ${vm.ramSize ?? 0}\n` },
  { name: 'numa', help: 'show NUMA information', run: () => '0 nodes\n' },
  { name: 'hotpluggable-cpus', help: 'Show information about hotpluggable CPUs', run: () => "Error: The feature 'query-hotpluggable-cpus' is not enabled\n" },
  { name: 'blockstats', help: 'show block device statistics', run: (_w, { vm }) => {
    const now = Number(vm.nowNs());
    return vm.blockDevices().map((d) => {
      const s = d.stats;
      return `${d.device || d.nodeName}: rd_bytes=${s.rdBytes} wr_bytes=${s.wrBytes} rd_operations=${s.rdOps} wr_operations=${s.wrOps} ` +
        `flush_operations=${s.flushOps} wr_total_time_ns=${s.wrTimeNs} rd_total_time_ns=${s.rdTimeNs} flush_total_time_ns=${s.flushTimeNs} ` +
        `rd_merged=0 wr_merged=0 idle_time_ns=${s.lastAccessNs >= 0 ? now - s.lastAccessNs : 0}\n`;
    }).join('');
  } },
  { name: 'chardev', help: 'show the character devices', run: (_w, { vm }) => vm.chardevs().map((c) => `${c.label}: filename=${c.filename}\n`).join('') },
  { name: 'mtree', params: '[-f][-d][-o][-D]', help: 'show memory tree (-f: dump flat view for address spaces;-d: dump dispatch tree, valid with -f only);-o: dump region owners/parents;-D: dump disabled regions', run: (_w, ctx) => mtree(ctx) },
  { name: 'qtree', help: 'show device tree', run: (_w, ctx) => qtree(ctx) },
  { name: 'jit', help: 'show dynamic compiler info', run: (_w, { vm }) => vm.jitInfo?.() ?? 'no translator\n' },
  { name: 'kvm', help: 'show KVM information', run: () => 'kvm support: disabled\n' },
];

const HMP_ONLY: MonitorCommand[] = [
  { name: 'hmp-gdbserver', hmpOnly: true, hmp: { names: 'gdbserver', params: '[device]', help: "start gdbserver on given device (default 'tcp::1234'), stop with 'none'",
    parse: (w) => ({ device: w[0] ?? 'tcp::1234' }), format: (r) => `${r as string}\n` },
  run: (a, { vm }) => (vm.gdbserver ? vm.gdbserver(a.device as string) : 'gdbserver is not available') },
  { name: 'hmp-log', hmpOnly: true, hmp: { names: 'log', params: 'item1[,...]', help: 'activate logging of the specified items',
    parse: (w) => ({ items: w[0] ?? '' }), format: (r) => (typeof r === 'string' ? r : '') },
  run: (a, { vm }) => {
    if (!vm.setLog) return 'logging is not available\n';
    return vm.setLog(a.items as string);
  } },
];

let registered = false;
export function hmpRegister(): void {
  if (registered) return;
  registered = true;
  for (const i of INFOS) if (!monitorCommands.info(i.name)) registerInfo(i);
  for (const c of HMP_ONLY) registerCommand(c);
}
