// Debian's riscv64 kernel and U-Boot under tsqemu-system-riscv64 and qemu-system-riscv64 (opt-in,
// not run by npm test). Fetches linux-image-6.12*-riscv64 and u-boot-qemu (suite trixie) with a
// private apt state (scripts/debian-apt.js), builds an initramfs from images/busybox.gz,
// scripts/distro-init and the kernel's own modules (xz-decompressed, in modinfo dependency
// order), ext4 disks (mke2fs -d) and a partitioned disk with extlinux.conf for U-Boot; boots each
// case under both emulators with the same command line and compares the sections distro-init
// prints (dmesg without timestamps, /proc/cpuinfo, /proc/interrupts' names, PCI and virtio from
// /sys, module loads, disk and 9p mounts, net, rng) and how the run ended. Prints a table.
// Usage: node scripts/distro-boot-diff.js [case-filter-regex]
//   TSQEMU_DISTRO_DIFF_DIR: work dir (default <tmp>/tsqemu-distro-diff; the packages stay there)
//   TSQEMU_DISTRO_TIMEOUT: seconds per boot (default 1200)
//   TSQEMU_DISTRO_VERBOSE=1: print every differing line
import { execFileSync, spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { extractDebs, privateApt } from './debian-apt.js';

const TOP = join(dirname(fileURLToPath(import.meta.url)), '..');
const WORK = process.env.TSQEMU_DISTRO_DIFF_DIR ?? join(tmpdir(), 'tsqemu-distro-diff');
const TIMEOUT = Number(process.env.TSQEMU_DISTRO_TIMEOUT ?? 1200) * 1000;
const VERBOSE = process.env.TSQEMU_DISTRO_VERBOSE === '1';
// In dependency order after depsOrder(); virtio, virtio_pci and virtio_ring are built in.
const MODULES = ['crc32c_generic', 'virtio_mmio', 'virtio_blk', 'virtio_net', 'virtio-rng', 'ext4', '9pnet_virtio', '9p', 'sdhci-pci', 'mmc_block'];

/** The extracted packages: { root, kver, image, ubootSmode }. */
function packages() {
  const root = join(WORK, 'root');
  if (!existsSync(join(root, '.complete'))) {
    rmSync(root, { recursive: true, force: true });
    console.error(`distro-boot-diff: fetching Debian's riscv64 kernel and u-boot-qemu into ${root}`);
    const { apt, debs } = privateApt(join(WORK, 'apt'), 'trixie');
    const names = apt('apt-cache', ['search', '--names-only', '^linux-image-6\\.[0-9.]+\\+deb[0-9]+-riscv64$']).split('\n')
      .map((l) => l.split(' ')[0]).filter(Boolean).sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
    if (!names.length) throw new Error('no linux-image-*-riscv64 in trixie');
    for (const f of readdirSync(debs)) rmSync(join(debs, f));
    apt('apt-get', ['download', '-qq', names[names.length - 1], 'u-boot-qemu'], debs);
    extractDebs(debs, root);
    writeFileSync(join(root, '.complete'), '');
  }
  const kver = readdirSync(join(root, 'usr/lib/modules'))[0];
  return { root, kver, image: join(root, 'boot', `vmlinux-${kver}`), ubootSmode: join(root, 'usr/lib/u-boot/qemu-riscv64_smode/u-boot.bin') };
}

/** The .ko paths of `wanted` and what they depend on, dependencies first (modinfo's depends=). */
function depsOrder(modDir, wanted) {
  const paths = new Map();
  const walk = (d) => { for (const e of readdirSync(d, { withFileTypes: true })) e.isDirectory() ? walk(join(d, e.name)) : paths.set(e.name.replace(/\.ko(\.xz)?$/, ''), join(d, e.name)); };
  walk(join(modDir, 'kernel'));
  const order = [], seen = new Set();
  const visit = (name) => {
    const n = paths.has(name) ? name : name.replace(/_/g, '-');
    if (seen.has(n)) return;
    seen.add(n);
    const p = paths.get(n);
    if (!p) throw new Error(`module ${name} not in ${modDir}`);
    const ko = p.endsWith('.xz') ? execFileSync('xz', ['-dc', p], { maxBuffer: 1 << 28 }) : readFileSync(p);
    const dep = /depends=([^\0]*)\0/.exec(ko.toString('latin1'))?.[1] ?? '';
    for (const d of dep.split(',').filter(Boolean)) visit(d);
    order.push({ name: n, ko });
  };
  for (const w of wanted) visit(w);
  return order;
}

/** newc cpio of `files` ({ path, data?, mode, link? }), gzip'ed by the caller's choice. */
function cpio(files) {
  const parts = [];
  let ino = 1;
  const pad4 = (n) => Buffer.alloc((4 - (n % 4)) % 4);
  const add = (name, mode, data) => {
    const hex = (v) => v.toString(16).padStart(8, '0');
    const hdr = '070701' + [ino++, mode, 0, 0, 1, 0, data.length, 0, 0, 0, 0, name.length + 1, 0].map(hex).join('');
    parts.push(Buffer.from(hdr), Buffer.from(name + '\0'), pad4(110 + name.length + 1), data, pad4(data.length));
  };
  for (const f of files) add(f.path, f.mode, f.link !== undefined ? Buffer.from(f.link) : (f.data ?? Buffer.alloc(0)));
  add('TRAILER!!!', 0, Buffer.alloc(0));
  return Buffer.concat(parts);
}

function initramfs(pk) {
  const out = join(WORK, 'initramfs.cpio');
  const mods = depsOrder(join(pk.root, 'usr/lib/modules', pk.kver), MODULES);
  const files = [{ path: 'bin', mode: 0o40755 }, { path: 'sbin', mode: 0o40755 }, { path: 'proc', mode: 0o40755 },
    { path: 'sys', mode: 0o40755 }, { path: 'dev', mode: 0o40755 }, { path: 'tmp', mode: 0o41777 }, { path: 'mnt', mode: 0o40755 },
    { path: 'modules', mode: 0o40755 },
    { path: 'bin/busybox', mode: 0o100755, data: gunzipSync(readFileSync(join(TOP, 'images/busybox.gz'))) },
    { path: 'bin/sh', mode: 0o120777, link: 'busybox' },
    { path: 'init', mode: 0o100755, data: readFileSync(join(TOP, 'scripts/distro-init')) },
    { path: 'modules.order', mode: 0o100644, data: Buffer.from(mods.map((m) => m.name).join('\n') + '\n') },
    ...mods.map((m) => ({ path: `modules/${m.name}.ko`, mode: 0o100644, data: m.ko }))];
  writeFileSync(out, cpio(files));
  return { path: out, modules: mods.map((m) => m.name) };
}

/** A raw ext4 image of `files` ({ name: text }). */
function ext4(path, sizeMiB, files, label = 'distro') {
  const src = `${path}.d`;
  rmSync(src, { recursive: true, force: true });
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(src, name)), { recursive: true });
    typeof text === 'string' ? writeFileSync(join(src, name), text) : copyFileSync(text.copy, join(src, name));
  }
  rmSync(path, { force: true });
  execFileSync('mke2fs', ['-q', '-F', '-t', 'ext4', '-L', label, '-E', 'root_owner=0:0', '-U', '12345678-1234-1234-1234-123456789abc',
    '-d', src, path, `${sizeMiB}M`], { env: { ...process.env, E2FSPROGS_FAKE_TIME: '1000000000' } });
  rmSync(src, { recursive: true, force: true });
}

/** An MBR disk with one bootable Linux partition at 1 MiB holding `fsImage` (no sfdisk needed). */
function mbrDisk(path, fsImage) {
  const fs = readFileSync(fsImage);
  const start = 2048, sectors = fs.length / 512;
  const mbr = Buffer.alloc(1 << 20);
  const e = 446;
  mbr[e] = 0x80; mbr[e + 4] = 0x83;
  mbr.writeUInt8(0xfe, e + 1); mbr.writeUInt16LE(0xffff, e + 2); mbr.writeUInt8(0xfe, e + 5); mbr.writeUInt16LE(0xffff, e + 6);
  mbr.writeUInt32LE(start, e + 8); mbr.writeUInt32LE(sectors, e + 12);
  mbr.writeUInt32LE(0x12345678, 440);
  mbr[510] = 0x55; mbr[511] = 0xaa;
  writeFileSync(path, Buffer.concat([mbr, fs]));
}

const BIOS = join(TOP, 'pc-bios/opensbi-riscv64-generic-fw_dynamic.bin');

/** The cases: name, args (with DISK/DISK2/SHARE/SD for per-run copies), what ends the run. */
function cases(pk, initrd) {
  const kernel = ['-kernel', pk.image, '-initrd', initrd, '-append', 'console=ttyS0 loglevel=7'];
  const devs = ['-drive', 'file=DISK,format=raw,if=none,id=d0', '-device', 'virtio-blk-pci,drive=d0',
    '-drive', 'file=DISK2,format=raw,if=none,id=d1', '-device', 'virtio-blk-device,drive=d1',
    '-netdev', 'user,id=n0', '-device', 'virtio-net-pci,netdev=n0,romfile=', '-device', 'virtio-rng-pci',
    '-virtfs', 'local,path=SHARE,mount_tag=share,security_model=none,id=fs0'];
  // QEMU 7.2 has no `emmc` device (QEMU 9.1 added it): both get an SD card on sdhci-pci.
  const sd = ['-device', 'sdhci-pci', '-drive', 'file=SD,format=raw,if=none,id=card0', '-device', 'sd-card,drive=card0'];
  const base = (smp, cpu) => ['-M', 'virt', '-m', '1G', '-smp', String(smp), ...(cpu ? ['-cpu', cpu] : []), '-nographic', '-bios', BIOS];
  const ub = ['-kernel', pk.ubootSmode, '-drive', 'file=BOOT,format=raw,if=none,id=b0', '-device', 'virtio-blk-device,drive=b0',
    '-netdev', 'user,id=n0', '-device', 'virtio-net-device,netdev=n0'];
  return [
    { name: 'kernel smp1', args: [...base(1), ...kernel, ...devs, ...sd] },
    { name: 'kernel smp1 -cpu max', args: [...base(1, 'max'), ...kernel, ...devs, ...sd] },
    { name: 'kernel smp2', args: [...base(2), ...kernel, ...devs, ...sd] },
    { name: 'kernel smp2 -cpu max', args: [...base(2, 'max'), ...kernel, ...devs, ...sd] },
    { name: 'kernel reboot', args: [...base(1), '-no-reboot', '-kernel', pk.image, '-initrd', initrd, '-append', 'console=ttyS0 distro.end=reboot'] },
    { name: 'u-boot extlinux', args: [...base(1), ...ub], uboot: true },
    // U-Boot's EFI boot manager finds EFI/BOOT/BOOTRISCV64.EFI (the kernel's EFI stub); -append
    // and -initrd reach the kernel through the device tree U-Boot hands on.
    { name: 'u-boot efi', args: [...base(1), '-kernel', pk.ubootSmode, '-append', 'console=ttyS0 loglevel=7', '-initrd', initrd,
      '-drive', 'file=UEFIIMG,format=raw,if=none,id=b0', '-device', 'virtio-blk-device,drive=b0'], uboot: true },
  ];
}

/** One run: resolves { out, code, signal, timedOut }. */
function run(bin, args, dir, input) {
  return new Promise((resolve) => {
    const p = spawn(bin, args, { cwd: dir, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    const t = setTimeout(() => { timedOut = true; p.kill('SIGKILL'); }, TIMEOUT);
    let timedOut = false;
    p.stdout.on('data', (d) => { out += d.toString('latin1'); if (input) input(out, p); });
    p.stderr.on('data', (d) => { out += d.toString('latin1'); });
    p.on('close', (code, signal) => { clearTimeout(t); resolve({ out, code, signal, timedOut }); });
  });
}

/** U-Boot's autoboot is left to run: it finds extlinux.conf on virtio 0:1 (distro_bootcmd). */
function files(pk, initrd, dir) {
  mkdirSync(join(dir, 'share'), { recursive: true });
  writeFileSync(join(dir, 'share/hello.txt'), 'from 9p\n');
  ext4(join(dir, 'disk.img'), 64, { 'hello.txt': 'from disk 0\n' });
  ext4(join(dir, 'disk2.img'), 64, { 'hello.txt': 'from disk 1\n' });
  ext4(join(dir, 'sd.img'), 64, { 'hello.txt': 'from sd\n' });
  ext4(join(dir, 'bootfs.img'), 96, {
    'extlinux/extlinux.conf': 'default debian\ntimeout 1\nlabel debian\n  kernel /vmlinux\n  initrd /initrd\n  append console=ttyS0 loglevel=7\n',
    vmlinux: { copy: pk.image }, initrd: { copy: initrd } }, 'boot');
  mbrDisk(join(dir, 'boot.img'), join(dir, 'bootfs.img'));
  rmSync(join(dir, 'bootfs.img'));
  ext4(join(dir, 'efifs.img'), 64, { 'EFI/BOOT/BOOTRISCV64.EFI': { copy: pk.image } }, 'efi');
  mbrDisk(join(dir, 'efi.img'), join(dir, 'efifs.img'));
  rmSync(join(dir, 'efifs.img'));
}

/** Sections of distro-init's output ("@@@ NAME" markers), normalized for comparison. */
export function sections(out) {
  const s = { prelude: [] };
  let cur = 'prelude';
  for (let line of out.replace(/\r/g, '').split('\n')) {
    const m = /^@@@ (\S+)/.exec(line);
    if (m) { cur = m[1]; s[cur] = []; continue; }
    line = line.replace(/^\[\s*\d+\.\d+\] /, '').replace(/^<\d>\[\s*\d+\.\d+\] /, '');
    if (cur === 'interrupts') line = line.replace(/^(\s*\S+:)(\s+\d+)+/, '$1');
    s[cur].push(line);
  }
  return s;
}

/** Lines whose values legitimately differ between any two boots (time, speed, random). */
const NOISE = [/BogoMIPS|bogomips|lpj=|calibrat/i, /\d+\.\d+ ?(ms|us|MB\/s|MiB\/s)/, /random: /, /Freeing unused/, /Run \/init/,
  /raid6: |xor: /, /sched_clock: |clocksource: Switched/, /hash table entries/, /Memory: \d+K/, /usecs|msecs|nsecs/, /lease of|udhcpc/,
  /ext4 filesystem being mounted at .* supports timestamps/, /NODE_DATA\(\d\) allocated/, /deferred pages initialised/, /^audit: /,
  /unaligned word access is/, /setting system clock to/, /hrtimer: interrupt took/];
/** Guest-reported trouble worth a look even when QEMU cannot run the case. */
const TROUBLE = /WARNING|Oops|BUG|Call Trace|Unable to handle|unknown|fail|error|illegal|not supported|timed out|\bstall/i;

function compare(a, b) {
  const sa = sections(a.out), sb = sections(b.out);
  const rows = [];
  for (const name of new Set(['shell', ...Object.keys(sa), ...Object.keys(sb), 'done'])) {
    if (name === 'prelude') continue;
    const la = (sa[name] ?? ['<missing>']).filter((l) => !NOISE.some((r) => r.test(l)));
    const lb = (sb[name] ?? ['<missing>']).filter((l) => !NOISE.some((r) => r.test(l)));
    const setB = new Set(lb), setA = new Set(la);
    const onlyA = la.filter((l) => !setB.has(l)), onlyB = lb.filter((l) => !setA.has(l));
    rows.push({ name, same: !onlyA.length && !onlyB.length, onlyA, onlyB });
  }
  return rows;
}

async function main() {
  const filter = process.argv[2] ? new RegExp(process.argv[2]) : null;
  mkdirSync(WORK, { recursive: true });
  const pk = packages();
  const ird = initramfs(pk);
  console.log(`kernel ${pk.kver}; modules: ${ird.modules.join(' ')}`);
  const emus = [{ name: 'qemu', bin: 'qemu-system-riscv64' }, { name: 'tsqemu', bin: join(TOP, 'bin/tsqemu-system-riscv64') }];
  const table = [];
  for (const c of cases(pk, ird.path)) {
    if (filter && !filter.test(c.name)) continue;
    const res = await Promise.all(emus.map(async (e) => {
      const dir = join(WORK, 'run', c.name.replace(/\W+/g, '-'), e.name);
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir, { recursive: true });
      files(pk, ird.path, dir);
      const args = c.args.map((a) => a.replace('DISK2', join(dir, 'disk2.img')).replace('DISK', join(dir, 'disk.img'))
        .replace('SHARE', join(dir, 'share')).replace(/\bSD\b/, join(dir, 'sd.img')).replace('UEFIIMG', join(dir, 'efi.img')).replace('BOOT', join(dir, 'boot.img')));
      const cpu0 = process.cpuUsage();
      const r = await run(e.bin, args, dir);
      writeFileSync(join(dir, 'console.log'), r.out);
      return { ...r, dir, cpu: cpu0 };
    }));
    const [q, t] = res;
    const end = (r) => r.timedOut ? 'timeout' : r.signal ? `signal ${r.signal}` : `exit ${r.code}`;
    const trouble = (r) => (sections(r.out).dmesg ?? []).filter((l) => TROUBLE.test(l) && !NOISE.some((n) => n.test(l)));
    // QEMU 7.2 (Debian 12's) has no -cpu max (8.1 added it): ours runs alone, its trouble is listed.
    const lack = /unable to find CPU model|is not a valid device model name|Unsupported/.exec(q.out);
    if (lack) {
      const tb = trouble(t);
      table.push(`${c.name.padEnd(22)} ${'qemu'.padEnd(11)} n/a (${q.out.trim().split('\n').pop()})`);
      table.push(`${c.name.padEnd(22)} ${'tsqemu'.padEnd(11)} ${'shell' in sections(t.out) && 'done' in sections(t.out) ? 'boots, all sections' : 'INCOMPLETE'}, ${end(t)}, ${tb.length} trouble lines`);
      for (const l of tb.slice(0, VERBOSE ? Infinity : 8)) table.push(`    tsqemu: ${l}`);
      console.log(table.splice(0).join('\n'));
      continue;
    }
    const rows = compare(q, t);
    rows.push({ name: 'end', same: end(q) === end(t), onlyA: [end(q)], onlyB: [end(t)] });
    if (c.uboot) {
      // U-Boot's own lines: from its banner to the kernel's first, escape sequences and times left out.
      const ubLines = (r) => {
        const text = r.out.replace(/\r/g, '').replace(/\x1b(\[[0-9;?]*[A-Za-z]|[78])/g, '');
        const from = text.indexOf('\nU-Boot 20'), to = text.search(/\n(busybox: |\[ {4}0\.000000\])/);
        return text.slice(from, to < 0 ? undefined : to).split('\n').filter((l) => l.trim() && !l.startsWith('['))
          .map((l) => l.replace(/ \(\w{3} \d+ \d{4} - [\d:]+ \+0000\)/, '').replace(/\d+ bytes read in \d+ ms \([^)]*\)/, 'N bytes read'));
      };
      const a = ubLines(q), b = ubLines(t);
      rows.unshift({ name: 'u-boot', same: a.join('\n') === b.join('\n'), onlyA: a.filter((l) => !b.includes(l)), onlyB: b.filter((l) => !a.includes(l)) });
    }
    for (const r of rows) {
      table.push(`${c.name.padEnd(22)} ${r.name.padEnd(11)} ${r.same ? 'same' : 'DIFF'}`);
      if (!r.same) {
        const n = VERBOSE ? Infinity : 8;
        for (const l of r.onlyA.slice(0, n)) table.push(`    qemu:   ${l}`);
        for (const l of r.onlyB.slice(0, n)) table.push(`    tsqemu: ${l}`);
      }
    }
    console.log(table.splice(0).join('\n'));
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) main().catch((e) => { console.error(`distro-boot-diff: ${e.message}`); process.exit(1); });
