// -cpu models and properties (src/target/riscv/cpu-models.ts), the device tree's ISA
// properties, the privileged extensions (priv-ext.ts, mmu.ts) and user mode's AT_HWCAP and
// riscv_hwprobe. Against real QEMU 7.2 where it has the same thing: -cpu error texts, the
// riscv,isa extensions 7.2 knows, a bare-metal program for Sstc/Svinval/Svpbmt/Svnapot (byte
// for byte equal UART output apart from the checks 7.2 and 10.2 answer differently), AT_HWCAP.
// Newer things (QEMU 10.2's string format, Svadu, Smstateen, Sscofpmf, hwprobe) are checked
// against the values QEMU 10.2's source and Linux 6.12 give. One guest boot (-cpu max).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Console, INITRD, hasTool, kernelImage, run, tmpdir, ROOT } from './system-helpers.js';
import { build, machineArgs, run as runProc, firstDifference, hasTool as hasBareTool } from './tcg-bare-helpers.js';
import { ccSpawnSync } from './helpers/cc-cache.js';

const haveQemu = hasTool('qemu-system-riscv64');
const haveGcc = hasBareTool('riscv64-linux-gnu-gcc');
const CLI = path.join(ROOT, 'dist/cli/system-riscv64.js');
const USER = path.join(ROOT, 'dist/cli/riscv64.js');
const ours = (args) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', input: '' });
const qemu = (args) => spawnSync('qemu-system-riscv64', args, { encoding: 'utf8', input: '' });
const firstLine = (s) => s.trim().split('\n')[0].replace(/^[a-z0-9-]+: /, '');

test('-cpu help lists QEMU 10.2\'s riscv64 models that tsqemu has', () => {
  const r = ours(['-cpu', 'help']);
  assert.equal(r.status, 0);
  assert.equal(r.stdout, 'Available CPUs:\n  max\n  rv64\n  rva22s64\n  rva22u64\n  rva23s64\n  rva23u64\n  sifive-u54\n');
  // `any` (gone from QEMU 10.2's riscv64) is still taken, as rv64.
  assert.equal(ours(['-cpu', 'any', '-M', 'virt,dumpdtb=/dev/null', '-bios', 'none', '-nographic']).status, 0);
});

// The same checks in QEMU 7.2 and 10.2: the texts must be QEMU's.
const SAME_ERRORS = ['rv64,f=off', 'rv64,u=off', 'rv64,i=off', 'rv64,foo=on', 'rv64,zba=maybe', 'rv64,v=on,vlen=100',
  'rv64,vlen=abc', 'nope', 'rv64,sstc=perhaps'];
for (const c of SAME_ERRORS) {
  test(`-cpu ${c}: QEMU's error text`, { skip: !haveQemu && 'qemu-system-riscv64 missing' }, () => {
    const dir = tmpdir();
    try {
      const dtb = path.join(dir, 'x.dtb');
      const q = qemu(['-M', `virt,dumpdtb=${dtb}`, '-cpu', c, '-nographic', '-bios', 'none']);
      const t = ours(['-M', `virt,dumpdtb=${dtb}`, '-cpu', c, '-nographic', '-bios', 'none']);
      assert.notEqual(q.status, 0);
      assert.equal(t.status, 1);
      assert.equal(firstLine(t.stderr), firstLine(q.stderr));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
}

test('-cpu: QEMU 10.2 checks and tsqemu refusals name what is wrong', () => {
  const err = (c) => { const r = ours(['-cpu', c, '-M', 'virt,dumpdtb=/dev/null', '-bios', 'none', '-nographic']); assert.equal(r.status, 1, c); return r.stderr.trim(); };
  assert.equal(err('sifive-u54,sstc=on'), "tsqemu-system-riscv64: can't apply global sifive-u54-riscv-cpu.sstc=on: 'sifive-u54' CPU does not allow enabling extensions");
  assert.equal(err('rv64,elen=12'), 'tsqemu-system-riscv64: Vector extension ELEN must be power of 2');
  assert.match(err('rv64,zicfilp=on'), /-cpu rv64,zicfilp=on: CPU extension 'zicfilp' is not supported by tsqemu/);
  assert.match(err('rv64,c=off'), /CPU property 'c=off' is not supported by tsqemu/);
  assert.equal(err('rv64,rva22u64=maybe'), "tsqemu-system-riscv64: can't apply global rv64-riscv-cpu.rva22u64=maybe: Parameter 'rva22u64' expects 'on' or 'off'");
  // An extension QEMU has and tsqemu lacks may be set off: that is what the hart is.
  assert.equal(ours(['-cpu', 'rv64,zvbb=off,h=off,v=false', '-M', 'virt,dumpdtb=/dev/null', '-bios', 'none', '-nographic']).status, 0);
});

function dtbCpu(args, bin = 'ours') {
  const dir = tmpdir();
  try {
    const dtb = path.join(dir, 'x.dtb');
    const r = (bin === 'ours' ? ours : qemu)(['-M', `virt,dumpdtb=${dtb}`, ...args, '-nographic', '-bios', 'none']);
    assert.equal(r.status, 0, r.stderr);
    const get = (p, t = []) => spawnSync('fdtget', [...t, dtb, '/cpus/cpu@0', p], { encoding: 'utf8' }).stdout.trim();
    return { isa: get('riscv,isa'), base: get('riscv,isa-base'), exts: get('riscv,isa-extensions').split(' '), mmu: get('mmu-type'),
      cbom: get('riscv,cbom-block-size') };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

test('device tree: riscv,isa / isa-base / isa-extensions as QEMU 10.2 builds them', { skip: !hasTool('fdtget') && 'fdtget missing' }, () => {
  const rv64 = dtbCpu([]);
  // QEMU 10.2's riscv_isa_string for rv64, minus what is not implemented here (h, zba/zbb/zbc/zbs,
  // zicbom/zicbop/zicboz, zawrs, zfa, zihintntl: other modules register those).
  const want = 'rv64imafdc_zic64b_ziccamoa_ziccif_zicclsm_ziccrse_zicntr_zicsr_zifencei_zihintpause_zihpm_zmmul_' +
    'za64rs_zaamo_zalrsc_zca_zcd_ssccptr_sscounterenw_sstc_sstvala_sstvecd_ssu64xl_svadu_svvptc';
  const present = (e) => spawnSync(process.execPath, ['-e', `import('${ROOT}/dist/target/riscv/cpu-models.js').then(async()=>{const c=await import('${ROOT}/dist/target/riscv/cpu-cfg.js');process.stdout.write(c.riscvExtensionInfo('${e}')?'y':'n')})`], { encoding: 'utf8' }).stdout === 'y';
  if (!['zba', 'zicbom', 'h', 'zfa', 'zawrs', 'zihintntl'].some(present)) assert.equal(rv64.isa, want);
  assert.equal(rv64.base, 'rv64i');
  assert.deepEqual(rv64.exts, [...rv64.isa.split('_')[0].slice(4), ...rv64.isa.split('_').slice(1)]);
  assert.equal(rv64.mmu, 'riscv,sv57');
  const u54 = dtbCpu(['-cpu', 'sifive-u54']);
  assert.equal(u54.isa, 'rv64imafdc_zicntr_zicsr_zifencei_zihpm', 'priv 1.10: only what predates 1.12, and the counters QEMU always keeps');
  assert.equal(u54.mmu, 'riscv,sv39');
  const max = dtbCpu(['-cpu', 'max']);
  for (const e of ['sstc', 'svinval', 'svnapot', 'svpbmt', 'smstateen', 'ssstateen', 'sscofpmf', 'svadu']) assert.ok(max.exts.includes(e), e);
  assert.ok(!max.exts.includes('svade'), 'max leaves svade off (it would turn hardware A/D updates off)');
});

// QEMU 10.2's profile CPUs (target/riscv/cpu.c RVA22U64/RVA22S64/RVA23U64/RVA23S64, each with
// its u_parent/s_parent), written out here rather than taken from cpu-models.ts: the misa
// letters and mandatory extensions each must show in riscv,isa-extensions, plus QEMU's implied
// ones (supm -> ssnpm + smnpm, zvbb -> zvkb, v -> zve64d..., zcb -> zca, sha -> h + ssstateen).
const RVA22U64 = ['i', 'm', 'a', 'f', 'd', 'c', 'b', 'zicsr', 'zihintpause', 'zba', 'zbb', 'zbs', 'zfhmin', 'zkt', 'zicntr',
  'zihpm', 'zicbom', 'zicbop', 'zicboz', 'zic64b'];
const RVA22S64 = [...RVA22U64, 'zifencei', 'svpbmt', 'svinval', 'svade'];
const RVA23U64 = [...RVA22U64, 'v', 'zvfhmin', 'zvbb', 'zvkt', 'zihintntl', 'zicond', 'zimop', 'zcmop', 'zcb', 'zfa', 'zawrs', 'supm',
  'ssnpm', 'smnpm', 'zvkb', 'zve64d', 'zve32x', 'zca'];
const RVA23S64 = [...RVA23U64, ...RVA22S64, 'svnapot', 'sstc', 'sscofpmf', 'ssnpm', 'sha', 'h', 'ssstateen'];
test('profile CPUs: rva22u64, rva22s64, rva23u64, rva23s64 have QEMU 10.2\'s mandatory extensions', { skip: !hasTool('fdtget') && 'fdtget missing' }, () => {
  const cases = [['rva22u64', RVA22U64, ['v', 'h', 'zbc', 'supm', 'svade']], ['rva22s64', RVA22S64, ['v', 'h', 'supm', 'sstc']],
    ['rva23u64', RVA23U64, ['h', 'zbc', 'svade', 'sstc']], ['rva23s64', RVA23S64, ['zbc', 'svadu', 'smmpm']]];
  for (const [cpu, want, not] of cases) {
    const d = dtbCpu(['-cpu', cpu]);
    for (const e of want) assert.ok(d.exts.includes(e), `${cpu}: ${e} in ${d.exts.join(' ')}`);
    for (const e of not) assert.ok(!d.exts.includes(e), `${cpu}: ${e} is not part of it`);
    assert.equal(d.isa, [d.exts.filter((e) => e.length === 1).join(''), ...d.exts.filter((e) => e.length > 1)].join('_').replace(/^/, 'rv64'));
    // The S profiles fix satp to Sv39 (satp_mode VM_1_10_SV39); the U ones leave the default.
    assert.equal(d.mmu, cpu.endsWith('s64') ? 'riscv,sv39' : 'riscv,sv57', cpu);
  }
  // A profile as a property of a generic CPU turns its extensions on too.
  const p = dtbCpu(['-cpu', 'rv64,rva23u64=on']);
  for (const e of ['supm', 'zimop', 'zcmop', 'v']) assert.ok(p.exts.includes(e), e);
  // A profile CPU refuses what it does not allow, with QEMU's texts.
  const r = ours(['-cpu', 'rva23u64,zbc=on', '-M', 'virt,dumpdtb=/dev/null', '-bios', 'none', '-nographic']);
  assert.equal(r.status, 0, 'profile CPUs take extra extensions (they are not vendor CPUs)');
});

test('profile CPUs in user mode: tsqemu-riscv64 -cpu rva23u64 runs a program', { skip: !haveGcc && 'riscv64-linux-gnu-gcc missing' }, () => {
  const dir = tmpdir();
  try {
    const src = path.join(dir, 'p.c'), exe = path.join(dir, 'p');
    fs.writeFileSync(src, '#include <stdio.h>\nint main(void) { puts("profile ok"); return 3; }\n');
    assert.equal(ccSpawnSync('riscv64-linux-gnu-gcc', ['-static', '-O2', '-o', exe, src]).status, 0);
    for (const cpu of ['rva22u64', 'rva23u64']) {
      const r = spawnSync(process.execPath, [USER, '-cpu', cpu, exe], { encoding: 'utf8' });
      assert.equal(r.status, 3, `${cpu}: ${r.stderr}`);
      assert.equal(r.stdout, 'profile ok\n');
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('device tree: every extension QEMU 7.2 lists for the same -cpu is in ours', { skip: (!haveQemu || !hasTool('fdtget')) && 'qemu-system-riscv64 or fdtget missing' }, () => {
  const cases = [
    ['rv64,h=off,zba=off,zbb=off,zbc=off,zbs=off', 'rv64'],
    ['rv64,h=off,zba=off,zbb=off,zbc=off,zbs=off,svinval=on,svpbmt=on,svnapot=on', 'rv64,svinval=on,svpbmt=on,svnapot=on'],
    ['rv64,h=off,zba=off,zbb=off,zbc=off,zbs=off,sstc=off', 'rv64,sstc=off'],
    ['sifive-u54', 'sifive-u54'],
  ];
  for (const [q, t] of cases) {
    const a = dtbCpu(['-cpu', q], 'qemu').isa.split('_');
    // Ours now has what QEMU 7.2's rv64 had by default (h, zb*): both get the same -cpu.
    const b = dtbCpu(['-cpu', q]).isa.split('_');
    assert.equal(b[0], a[0], `${t}: single letters`);
    for (const e of a.slice(1)) assert.ok(b.includes(e), `${t}: QEMU 7.2 has ${e}, ours ${b.join('_')}`);
    // QEMU's order: ours restricted to 7.2's names is 7.2's string.
    assert.deepEqual(b.filter((e) => a.includes(e)), a, t);
  }
});

// QEMU 7.2 and 10.2 differ on these (7.2 ignores menvcfg.PBMTE and the reserved PTE bits 60:54).
const QEMU72_DIFFERS = ['pbmt-without-pbmte', 'pbmt-without-pbmte-tval', 'pte-reserved-bit'];
const normalise = (out) => out.split('\n').filter((l) => !QEMU72_DIFFERS.some((n) => new RegExp(`^(ok|FAIL) ${n}( |$)`).test(l)))
  .map((l) => l.replace(/^(PASS|FAILED) .*/, 'END')).join('\n');

test('bare metal: Sstc, Svinval, Svpbmt, Svnapot, envcfg against qemu-system-riscv64', { skip: !haveGcc && 'riscv64-linux-gnu-gcc missing', timeout: 120_000 }, async () => {
  const dir = tmpdir();
  try {
    const elf = build({ name: 'privext', file: path.join(ROOT, 'tests/tcg/riscv64-ext/privext.c') }, dir);
    const t = await runProc(process.execPath, [CLI, ...machineArgs(elf), '-cpu', 'rv64,svinval=on,svpbmt=on,svnapot=on'], 60_000);
    assert.equal(t.status, 0, t.stdout + t.stderr);
    assert.match(t.stdout, /^PASS \d+ checks$/m);
    // thread=multi: the hart's Sstc timer lives on its own thread (mttcg-hart.ts HartTimerProxy).
    const mt = await runProc(process.execPath, [CLI, ...machineArgs(elf), '-cpu', 'rv64,svinval=on,svpbmt=on,svnapot=on', '-accel', 'tcg,thread=multi'], 60_000);
    assert.equal(mt.status, 0, mt.stdout + mt.stderr);
    assert.equal(mt.stdout, t.stdout, 'thread=multi');
    if (haveQemu) {
      const q = await runProc('qemu-system-riscv64', [...machineArgs(elf), '-cpu', 'rv64,h=off,svinval=on,svpbmt=on,svnapot=on'], 30_000);
      assert.ok(!q.timedOut, q.stderr);
      assert.match(q.stdout, /^FAILED 3 of \d+ checks$/m, 'QEMU 7.2 fails exactly the three 10.2-only checks');
      const diff = firstDifference(normalise(q.stdout), normalise(t.stdout));
      if (diff) assert.fail(diff);
    }
    // Without the extensions, their encodings are illegal: the same program fails early.
    const off = await runProc(process.execPath, [CLI, ...machineArgs(elf), '-cpu', 'rv64,sstc=off'], 60_000);
    assert.match(off.stdout, /FAIL (menvcfg-stce|stimecmp)/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('CSRs: Svadu (menvcfg.ADUE), Svade, Smstateen, Sscofpmf, Zicntr/Zihpm, misa', async () => {
  const script = `
    const { riscvParseCpu } = await import('${ROOT}/dist/target/riscv/cpu-models.js');
    riscvParseCpu(process.argv[1]);
    const h = await import('${ROOT}/tests/helpers/cpu-priv-env.js');
    const { riscvTlbFill } = await import('${ROOT}/dist/target/riscv/mmu.js');
    const { riscvCpuSetMode } = await import('${ROOT}/dist/target/riscv/cpu_helper.js');
    const r = h.makeEnv(); const env = r.env; h.pmpAllowAll(env);
    const out = {};
    const hex = (v) => v === undefined ? 'trap' : '0x' + v.toString(16);
    out.misa = hex(h.csrr(env, 0x301));
    out.menvcfg = hex(h.csrr(env, 0x30a));
    h.csrw(env, 0x30a, -1n); out.menvcfgAll = hex(h.csrr(env, 0x30a));
    out.cycle = hex(h.csrr(env, 0xc00) === undefined ? undefined : 0n);
    out.hpm3 = hex(h.csrr(env, 0xc03));
    h.csrw(env, 0x30c, -1n); out.mstateen0 = hex(h.csrr(env, 0x30c));
    h.csrw(env, 0x30d, -1n); out.mstateen1 = hex(h.csrr(env, 0x30d));
    h.csrw(env, 0x323, -1n); out.mhpmevent3 = hex(h.csrr(env, 0x323));
    h.csrw(env, 0x333, -1n); out.mhpmevent19 = hex(h.csrr(env, 0x333));
    h.csrw(env, 0x306, 8n); out.scountovfM = hex(h.csrr(env, 0xda0));
    h.csrw(env, 0x304, -1n); out.mie = hex(h.csrr(env, 0x304));
    h.csrw(env, 0x303, -1n); out.mideleg = hex(h.csrr(env, 0x303));
    riscvCpuSetMode(env, 1);
    out.scountovfS = hex(h.csrr(env, 0xda0));
    out.sstateen0 = hex(h.csrr(env, 0x10c));
    riscvCpuSetMode(env, 3);
    h.csrw(env, 0x30c, 0n);
    riscvCpuSetMode(env, 1);
    out.sstateen0NoSe0 = hex(h.csrr(env, 0x10c));
    riscvCpuSetMode(env, 1); // the trap went to M
    out.senvcfgNoEnvcfg = hex(h.csrr(env, 0x10a));
    riscvCpuSetMode(env, 3);
    // A page whose PTE has A clear, with ADUE off: a page fault, the PTE untouched.
    const root = h.RAM_BASE + 0x100000, pte = root + 8 * 1; // va 0x40000000 under a 1 GiB leaf
    h.writePte(r.as, pte, ((BigInt(h.RAM_BASE) >> 12n) << 10n) | 0xfn);
    h.csrw(env, 0x180, (8n << 60n) | BigInt(root / 4096));
    h.csrw(env, 0x30a, 0n);
    riscvCpuSetMode(env, 1);
    out.adue0 = riscvTlbFill(env, 0x40000000n, 0, 8, 1) === null ? 'fault' : 'ok';
    out.pteAfterAdue0 = hex(h.readPte(r.as, pte) & 0xffn);
    riscvCpuSetMode(env, 3);
    h.csrw(env, 0x30a, 1n << 61n);
    riscvCpuSetMode(env, 1);
    out.adue1 = riscvTlbFill(env, 0x40000000n, 0, 8, 1) === null ? 'fault' : 'ok';
    out.pteAfterAdue1 = hex(h.readPte(r.as, pte) & 0xffn);
    process.stdout.write(JSON.stringify(out));`;
  const go = (cpu) => JSON.parse(spawnSync(process.execPath, ['--input-type=module', '-e', script, cpu], { encoding: 'utf8' }).stdout);
  const max = go('max');
  assert.equal(max.misa, '0x80000000003411af', 'max: imafdc + b, h, v, s, u');
  assert.equal(max.menvcfg, '0x6000000000000000', 'reset: PBMTE (Svpbmt) and ADUE (Svadu without Svade)');
  assert.equal(max.menvcfgAll, '0xe0000003000000f1', 'STCE PBMTE ADUE PMM (Smnpm) CBZE CBCFE CBIE FIOM');
  assert.equal(max.cycle, '0x0');
  assert.equal(max.mstateen0, '0xcc00000000000000', 'SE0 ENVCFG, and AIA IMSIC with Ssaia (in max)');
  assert.equal(max.mstateen1, '0x8000000000000000');
  // write_mhpmevent keeps everything but the mode-inhibit bits of modes the hart lacks.
  assert.equal(max.mhpmevent3, '0xffffffffffffffff', 'all bits (max has H: VSINH VUINH too)');
  assert.equal(max.mhpmevent19, '0xffffffffffffffff', 'outside pmu-mask: still a plain register, as QEMU');
  assert.equal(max.scountovfM, '0x8');
  assert.equal(max.mie, '0x2aaa', 'LCOFIE writable');
  assert.equal(max.mideleg, '0x2222', 'LCOFI delegable');
  assert.equal(max.scountovfS, '0x8');
  assert.equal(max.sstateen0, '0x0');
  assert.equal(max.sstateen0NoSe0, 'trap');
  assert.equal(max.senvcfgNoEnvcfg, 'trap');
  assert.equal(max.adue0, 'fault');
  assert.equal(max.pteAfterAdue0, '0xf');
  assert.equal(max.adue1, 'ok');
  assert.equal(max.pteAfterAdue1, '0x4f');
  const bare = go('rv64,zicntr=off,zihpm=off,svadu=off,sscofpmf=off,smstateen=off,svpbmt=off,zicbom=off,zicboz=off');
  assert.equal(bare.cycle, 'trap');
  assert.equal(bare.hpm3, 'trap');
  assert.equal(bare.menvcfg, '0x0');
  assert.equal(bare.menvcfgAll, '0x8000000000000001', 'STCE FIOM');
  assert.equal(bare.mstateen0, 'trap');
  assert.equal(bare.mhpmevent3, '0xffffffffffffffff', 'rv64 has H; Sscofpmf off or on');
  assert.equal(bare.mie, '0xaaa');
  assert.equal(bare.scountovfM, 'trap');
  assert.equal(bare.adue0, 'ok', 'without Svadu and Svade: hardware A/D updates, as before');
  const svade = go('rv64,svade=on,svadu=off');
  assert.equal(svade.adue1, 'fault', 'Svade alone: A/D are software-managed');
});

test('user mode: AT_HWCAP as qemu-riscv64, riscv_hwprobe as Linux 6.12, -cpu / QEMU_CPU', { skip: !haveGcc && 'riscv64-linux-gnu-gcc missing' }, () => {
  const dir = tmpdir();
  try {
    const prog = path.join(dir, 'hwprobe');
    const b = ccSpawnSync('riscv64-linux-gnu-gcc', ['-O1', '-static', '-o', prog, path.join(ROOT, 'tests/linux-user/hwprobe.c')], { encoding: 'utf8' });
    assert.equal(b.status, 0, b.stderr);
    const t = (args, env = {}) => spawnSync(process.execPath, [USER, ...args, prog], { encoding: 'utf8', env: { ...process.env, ...env } });
    const def = t([]);
    assert.equal(def.status, 0, def.stderr);
    if (hasTool('qemu-riscv64')) {
      // rv64 on both (QEMU 7.2's default user CPU has no V; ours, as 10.2's, is max, with V).
      const q = spawnSync('qemu-riscv64', ['-cpu', 'rv64', prog], { encoding: 'utf8' });
      assert.equal(t(['-cpu', 'rv64']).stdout.split('\n')[0], q.stdout.split('\n')[0], 'AT_HWCAP');
      assert.match(q.stdout, /ret=-1/, 'QEMU 7.2 has no riscv_hwprobe');
    }
    const val = (out, k) => BigInt('0x' + new RegExp(`key ${k}: ${k} = ([0-9a-f]+)`).exec(out)[1]);
    assert.equal(def.stdout.split('\n')[0], 'hwcap=20112d', 'max: imafdc + v');
    assert.equal(val(def.stdout, 3), 1n, 'BASE_BEHAVIOR_IMA');
    const ima = val(def.stdout, 4);
    assert.equal(ima & 3n, 3n, 'IMA_FD | IMA_C');
    assert.equal((ima >> 36n) & 1n, 1n, 'Zihintpause');
    assert.equal((ima >> 43n) & 1n, 1n, 'Zca');
    assert.equal((ima >> 45n) & 1n, 1n, 'Zcd');
    assert.equal(val(def.stdout, 1), 0xa0200n, 'marchid');
    assert.equal(val(def.stdout, 8), 10_000_000n, 'time CSR frequency');
    assert.match(def.stdout, /key 10: -1 = 0/);
    assert.match(def.stdout, /which-match ret=0 cpus=1/);
    assert.match(def.stdout, /which-miss ret=0 cpus=0/);
    assert.match(def.stdout, /badflags ret=-1/);
    const u54 = t(['-cpu', 'sifive-u54']);
    assert.equal((val(u54.stdout, 4) >> 36n) & 1n, 0n, 'sifive-u54 has no Zihintpause');
    const bad = t([], { QEMU_CPU: 'nope' });
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /unable to find CPU model 'nope'/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('the default guest boots with -cpu max and reports the extensions', { timeout: 180_000 }, async () => {
  // Zkr included: OpenSBI 1.6 sets mseccfg.SSEED, so Linux 6.12's boot-time read of the seed CSR
  // from S-mode works (OpenSBI 1.1 left it clear, and the read was an illegal instruction).
  const c = new Console(['-M', 'virt', '-m', '256M', '-cpu', 'max', '-kernel', kernelImage(), '-initrd', INITRD,
    '-append', 'console=ttyS0', '-nographic']);
  try {
    await c.expect(/boot complete/, 150_000);
    // From 0: the prompt may arrive in the same chunk as "boot complete" (the pattern is anchored
    // at the end of the output, so only a prompt still waiting matches).
    await c.expect(/# $/, 30_000, 0);
    const isa = await c.sh('grep ^isa /proc/cpuinfo');
    // Linux 6.12 prints the letters and the multi-letter extensions it knows.
    assert.match(isa, /^isa\s*: rv64imafdc[a-z]*_.*sstc/);
    for (const e of ['sscofpmf', 'svinval', 'svpbmt', 'zkr']) assert.match(isa, new RegExp(e));
    const dmesg = await c.sh('dmesg | grep -c "Timer interrupt in S-mode is available via sstc extension"');
    assert.equal(dmesg.trim(), '1', 'the kernel takes its timer from stimecmp');
    // The timer works: sleep returns.
    assert.equal(await c.sh('sleep 1; echo slept'), 'slept');
  } finally {
    c.kill();
  }
});
