// Translation cost of the block compiler (issue 18: <= 5 us per translated guest instruction;
// QEMU's TCG ~1-2 us), by stage (decode, emit, compile, instantiate):
//  - in a boot to power-off (`info jit` at exit, TSQEMU_JIT_INFO=1; the compile stage runs on
//    V8's background threads there and is not on the clock), at the default threshold and at
//    a low one (much more code translated, so the one-off warm-up of the translator's own
//    JavaScript weighs less);
//  - in-process over BusyBox's .text (pages cut into regions as the compiler does, 20 regions
//    a module, as after a boot's hot batches): the first module (cold JavaScript) and the
//    average over all, in the thread's CPU time (process-wide without the native addon).
// Medians of N runs. Usage: node bench/xlate.js [runs=3] [low-threshold=200]
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { emitRows, fmt, guestFiles, median, TOP } from './lib.js';

const runs = Number(process.argv[2] ?? 3);
const low = String(process.argv[3] ?? 200);

if (process.argv[2] === '--child') {
  await inProcess(Number(process.argv[3]), Number(process.argv[4]));
  process.exit(0);
}

const g = guestFiles();
const bootArgs = ['-M', 'virt', '-m', '256M', '-smp', '1', '-nographic', '-bios', g.bios, '-kernel', g.kernel,
  '-initrd', g.initrd, '-append', 'console=ttyS0 guest.poweroff', '-no-reboot'];

/** `info jit` of one boot: cost per insn by stage, insns translated, share run translated. */
function bootCost(threshold) {
  const env = { ...process.env, TSQEMU_JIT_INFO: '1' };
  if (threshold) env.TSQEMU_TCG_THRESHOLD = threshold;
  const r = spawnSync(join(TOP, 'bin/tsqemu-system-riscv64'), bootArgs, { encoding: 'latin1', env, input: '', maxBuffer: 1 << 26, timeout: 600_000 });
  const c = /translation cost\s+([0-9.]+) us\/insn \(decode ([0-9.]+), emit ([0-9.]+), compile ([0-9.]+), instantiate ([0-9.]+)\)/.exec(r.stderr ?? '');
  const n = /translated code\s+(\d+) guest insns/.exec(r.stderr ?? '');
  const p = /translated insns\s+\d+ of \d+ retired \(([0-9.]+)%\)/.exec(r.stderr ?? '');
  if (!c || !n || !p) { console.error(`bench: boot (threshold ${threshold ?? 'default'}) gave no info jit: ${(r.stderr ?? '').slice(-300)}`); return null; }
  return { total: +c[1], decode: +c[2], emit: +c[3], compile: +c[4], instantiate: +c[5], insns: +n[1], pct: +p[1] };
}

function medianOf(rows) {
  const ok = rows.filter(Boolean);
  if (!ok.length) return null;
  const out = {};
  for (const k of Object.keys(ok[0])) out[k] = median(ok.map((r) => r[k]));
  return out;
}

const table = [];
for (const [name, thr] of [['boot, default threshold', undefined], [`boot, threshold ${low}`, low]]) {
  const rs = [];
  for (let i = 0; i < runs; i++) rs.push(bootCost(thr));
  const m = medianOf(rs);
  if (m) table.push({ name, ...m, note: `${m.insns} insns translated, ${m.pct}% of the boot run translated; compile off-thread` });
}
for (const [name, modules, per] of [['busybox text, first module', 1, 20], ['busybox text, 100 modules', 100, 20]]) {
  const rs = [];
  for (let i = 0; i < runs; i++) {
    // The system emulator's malloc settings (bin/tsqemu-system-riscv64: glibc malloc on huge pages, one arena): V8's
    // compiler zones and the translator's buffers live there, and without them the cold first
    // module paid ~10% more thread CPU (page faults) than the emulator does.
    const env = { GLIBC_TUNABLES: 'glibc.malloc.hugetlb=1:glibc.malloc.arena_max=1', ...process.env, TSQEMU_BB: g.busybox };
    const r = spawnSync(process.execPath, [new URL(import.meta.url).pathname, '--child', String(modules), String(per)], { encoding: 'utf8', env });
    try { rs.push(JSON.parse(r.stdout)); } catch { console.error(`bench: ${name}: ${r.stderr.slice(-300)}`); }
  }
  const m = medianOf(rs);
  if (m) table.push({ name, ...m, note: `${m.insns} insns, ${fmt(m.bytes, 0)} wasm bytes/insn, thread CPU time (process CPU ${fmt(m.process)})` });
}

const load = loadavg().map((x) => x.toFixed(2)).join(' ');
console.log(`\ntranslation cost per guest instruction (us), median of ${runs} (${new Date().toISOString().slice(0, 10)}, load ${load}; target <= 5)`);
console.log(`${'benchmark'.padEnd(30)} ${'total'.padStart(7)} ${'decode'.padStart(7)} ${'emit'.padStart(7)} ${'compile'.padStart(8)} ${'inst.'.padStart(7)}  notes`);
for (const r of table) {
  console.log(`${r.name.padEnd(30)} ${fmt(r.total).padStart(7)} ${fmt(r.decode).padStart(7)} ${fmt(r.emit).padStart(7)} ${fmt(r.compile).padStart(8)} ${fmt(r.instantiate).padStart(7)}  ${r.note}`);
}
emitRows('xlate', table.map((r) => ({ name: `translation: ${r.name}`, ours: r.total, theirs: null, unit: 'us/insn', goal: { of: 'ours', op: '<=', value: 5 } })));

/** Translate `modules` modules of `per` regions each from BusyBox's text; print the costs. */
async function inProcess(modules, per) {
  // The emulators' V8 settings (the wasm tiering budget, branch hints).
  if (process.env.TSQEMU_BENCH_V8_DEFAULTS !== '1') await import(join(TOP, 'dist/host/node/v8-tuning.js'));
  const D = join(TOP, 'dist/target/riscv/');
  const { buildTbModule, decodeRegion, tbExportName } = await import(join(D, 'translate-block.js'));
  const { INTERP_IMPORTS } = await import(join(D, 'interpreter.js'));
  const { riscvInterpreterModule } = await import(join(D, 'cpu.js'));
  const bb = readFileSync(process.env.TSQEMU_BB);
  // The executable PT_LOAD segment (BusyBox is static): file offset, vaddr, size.
  const phoff = Number(bb.readBigUInt64LE(0x20)), phentsize = bb.readUInt16LE(0x36), phnum = bb.readUInt16LE(0x38);
  let fileOff = 0, vaddr = 0n, filesz = 0;
  for (let i = 0; i < phnum; i++) {
    const ph = phoff + i * phentsize;
    if (bb.readUInt32LE(ph) === 1 && (bb.readUInt32LE(ph + 4) & 1)) {
      fileOff = Number(bb.readBigUInt64LE(ph + 8)); vaddr = bb.readBigUInt64LE(ph + 0x10); filesz = Number(bb.readBigUInt64LE(ph + 0x20));
      break;
    }
  }
  const memory = new WebAssembly.Memory({ initial: 16, maximum: 65536, shared: true });
  const table = new WebAssembly.Table({ element: 'anyfunc', initial: 1024 });
  const env = { memory, tbs: table };
  for (const [name] of INTERP_IMPORTS) env[name] = () => 0;
  const rvm = new WebAssembly.Instance(riscvInterpreterModule(), { env }).exports;
  // Decode, emit and instantiate in this thread's CPU time (native addon): process time also
  // counts V8's background threads optimising the translator's JavaScript (a one-off warm-up,
  // reported apart as `process`), which a loaded host made swing several-fold. Compile in
  // process CPU time: V8 compiles a module's functions on its background threads too. Without
  // the addon: process CPU time for all.
  const procCpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
  let threadCpuMs = null;
  try { threadCpuMs = createRequire(import.meta.url)(join(TOP, 'native/build/Release/tsqemu_proc.node')).threadCpuMs ?? null; } catch { /* not built */ }
  const cpu = threadCpuMs ?? procCpu;
  const p0 = procCpu();
  const pages = filesz >> 12;
  let insns = 0, bytes = 0, dec = 0, emit = 0, comp = 0, inst = 0, next = 1;
  for (let m = 0; m < modules; m++) {
    const t0 = cpu();
    const srcs = [];
    for (let k = 0; k < per; k++) {
      const off = (((m * per + k) * 7919) % (pages - 2) + 1) * 4096;
      const page = bb.subarray(fileOff + off, fileOff + off + 4096);
      const read16 = (h) => (h >= 0 && h < 2048 ? page[2 * h] | (page[2 * h + 1] << 8) : -1);
      const base = vaddr + BigInt(off);
      const runs = decodeRegion([base + 0x100n, base + 0x500n, base + 0x900n], read16, 64, 256, () => 0);
      if (!runs.length) continue;
      for (const r of runs) insns += r.insns.length;
      srcs.push({ pc: runs[0].pc, runs, addendLo: 0 });
    }
    const t1 = cpu();
    const wasm = buildTbModule(srcs, true);
    const t2 = cpu(), c2 = procCpu();
    const mod = new WebAssembly.Module(wasm);
    const c3 = procCpu(), t3 = cpu();
    const fns = new WebAssembly.Instance(mod, { env: { memory }, rvm }).exports;
    while (next + srcs.length > table.length) table.grow(table.length);
    srcs.forEach((_, i) => table.set(next + i, fns[tbExportName(i)]));
    next += srcs.length;
    const t4 = cpu();
    bytes += wasm.length; dec += t1 - t0; emit += t2 - t1; comp += c3 - c2; inst += t4 - t3;
  }
  const us = (ms) => (ms * 1000) / insns;
  console.log(JSON.stringify({ total: us(dec + emit + comp + inst), decode: us(dec), emit: us(emit), compile: us(comp), instantiate: us(inst), process: us(procCpu() - p0), insns, bytes: bytes / insns }));
}
