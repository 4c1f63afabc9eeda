// Debian's libvirt 9.0 driving tsqemu: the test starts its own virtlogd and libvirtd (the QEMU
// driver in session mode, every directory in a temp dir; a system libvirtd is never touched) and,
// with <emulator> = bin/tsqemu-system-riscv64, runs virsh domcapabilities, define, start (the
// default guest boots; its shell is reached on the pty libvirt reports and reads a marker from
// /dev/vda behind a pcie-root-port: libvirt's PCIe layout, as with QEMU), domblkstat, dommemstat, suspend, resume, dominfo, reset, a libvirtd restart with the domain
// running (it reconnects through monitor.sock and its status XML), virsh console (through
// libvirtd, on a pty: tests/helpers/virsh-console.py), destroy and undefine. The serial has a
// <log>: virtlogd's pipe reaches tsqemu as an fd set (-add-fd, logfile=/dev/fdset/0). A guest agent
// <channel> is a virtserialport on libvirt's socket; the guest opening it turns its state connected.
// libvirt's session mode refuses to run as root, so as root the daemons run as `nobody`
// (setpriv) when the checkout is readable by it, else in a user namespace (unshare -U).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import tty from 'node:tty';
import { spawnSync } from 'node:child_process';
import { BIN, ROOT, INITRD, hasTool, tmpdir } from './system-helpers.js';
import { loadUserSys } from '../dist/host/node/user-sys.js';

const LIBVIRTD = ['/usr/sbin/libvirtd', '/usr/bin/libvirtd'].find((p) => fs.existsSync(p));
const VIRTLOGD = ['/usr/sbin/virtlogd', '/usr/bin/virtlogd'].find((p) => fs.existsSync(p));
const skip = !LIBVIRTD || !VIRTLOGD || !hasTool('virsh') ? 'libvirtd, virtlogd or virsh is not installed (Debian: libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients)'
  : typeof loadUserSys()?.openPty !== 'function' ? 'the native tsqemu_sys addon (pty chardevs) is not built' : false;

const KERNEL = path.join(ROOT, 'images', 'Image.gz');
const MARKER = 'tsqemu-libvirt-disk-marker';
const NOBODY = 65534;

/** How to run a libvirt program: as ourselves, as nobody, or in a user namespace (root). */
function userPrefix() {
  if (process.getuid() !== 0) return [];
  if (process.env.TSQEMU_LIBVIRT_USERNS) return spawnSync('unshare', ['-U', 'true']).status === 0 ? ['unshare', '-U'] : null;
  const probe = spawnSync('setpriv', [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', process.execPath, '-e',
    `require('fs').accessSync(${JSON.stringify(path.join(ROOT, 'dist', 'cli', 'system-riscv64.js'))}, 4)`]);
  if (probe.status === 0) return ['setpriv', `--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups'];
  return spawnSync('unshare', ['-U', 'true']).status === 0 ? ['unshare', '-U'] : null;
}

function domainXml(dir) {
  return `<domain type='qemu'>
  <name>tsqemu-lv</name>
  <memory unit='MiB'>256</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='riscv64' machine='virt'>hvm</type>
    <kernel>${KERNEL}</kernel>
    <initrd>${INITRD}</initrd>
    <cmdline>console=ttyS0</cmdline>
  </os>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <emulator>${BIN}</emulator>
    <disk type='file' device='disk'>
      <driver name='qemu' type='raw'/>
      <source file='${dir}/disk.img'/>
      <target dev='vda' bus='virtio'/>
    </disk>
    <serial type='pty'>
      <log file='${dir}/serial.log'/>
      <target port='0'/>
    </serial>
    <console type='pty'>
      <target type='serial' port='0'/>
    </console>
    <channel type='unix'>
      <target type='virtio' name='org.qemu.guest_agent.0'/>
    </channel>
  </devices>
</domain>
`;
}

/** A reader/writer on the guest console's pty slave. */
class PtyPeer {
  constructor(p) {
    this.fd = fs.openSync(p, fs.constants.O_RDWR | fs.constants.O_NOCTTY);
    this.s = new tty.ReadStream(this.fd);
    this.buf = '';
    this.s.on('data', (d) => { this.buf += d; });
    this.s.on('error', () => {});
  }
  /** Type `cmd` until `re` appears in what comes back (the guest may not be at its shell yet). */
  async until(cmd, re, timeoutMs = 120_000) {
    const t0 = Date.now();
    const from = this.buf.length;
    for (;;) {
      fs.writeSync(this.fd, cmd);
      for (let i = 0; i < 20; i++) {
        const m = re.exec(this.buf.slice(from).replace(/\r/g, ''));
        if (m) return m;
        await new Promise((r) => setTimeout(r, 100));
      }
      if (Date.now() - t0 > timeoutMs) throw new Error(`timeout waiting for ${re}; got ${JSON.stringify(this.buf.slice(-800))}`);
    }
  }
  close() { this.s.destroy(); }
}

test('libvirt 9.0 probes, starts, pauses, resets, reconnects to and destroys a tsqemu domain', { skip, timeout: 300_000 }, async (t) => {
  const prefix = userPrefix();
  if (prefix === null) { t.skip('root, the checkout is not readable by nobody, and user namespaces are not allowed: libvirt session mode cannot run'); return; }
  const dir = tmpdir();
  fs.chmodSync(dir, 0o755);
  for (const d of ['home', 'config/libvirt', 'cache', 'data', 'runtime']) fs.mkdirSync(path.join(dir, d), { recursive: true });
  fs.chmodSync(path.join(dir, 'runtime'), 0o700);
  fs.writeFileSync(path.join(dir, 'config/libvirt/libvirtd.conf'),
    `log_filters="1:qemu.qemu_monitor_json 3:*"\nlog_outputs="1:file:${dir}/libvirtd.log"\n`);
  // stdout/stderr of the emulator go through virtlogd (to cache/libvirt/qemu/log/NAME.log).
  fs.writeFileSync(path.join(dir, 'config/libvirt/qemu.conf'), 'stdio_handler = "logd"\n');
  const disk = Buffer.alloc(8 << 20);
  disk.write(MARKER, 0);
  fs.writeFileSync(path.join(dir, 'disk.img'), disk);
  fs.writeFileSync(path.join(dir, 'dom.xml'), domainXml(dir));
  // The daemons' PATH: the caller's without qemu-system-* (and qemu-kvm, kvm). `virsh dominfo`
  // asks for the security model, for which libvirtd builds its host capabilities: finding no
  // guests it probed every QEMU binary in PATH (19 with Debian's qemu-system-misc, 24 s and as
  // many QEMU starts, every run: the cache is in this temp dir). None of them is this domain's
  // emulator (BIN, named in the XML).
  const bin = path.join(dir, 'bin');
  fs.mkdirSync(bin);
  for (const d of (process.env.PATH ?? '').split(':').filter(Boolean)) {
    let names = [];
    try { names = fs.readdirSync(d); } catch { continue; }
    for (const n of names) {
      if (/^qemu-system-|^qemu-kvm$|^kvm$/.test(n)) continue;
      try { fs.symlinkSync(path.join(d, n), path.join(bin, n)); } catch { /* an earlier PATH entry has it */ }
    }
  }
  if (prefix[0] === 'setpriv') spawnSync('chown', ['-R', `${NOBODY}:${NOBODY}`, dir]);

  const env = { PATH: process.env.PATH, LC_ALL: 'C', HOME: `${dir}/home`, XDG_CONFIG_HOME: `${dir}/config`, XDG_CACHE_HOME: `${dir}/cache`,
    XDG_DATA_HOME: `${dir}/data`, XDG_RUNTIME_DIR: `${dir}/runtime` };
  const runAs = (argv, timeout = 90_000, e = env) => {
    const cmd = [...prefix, ...argv];
    const r = spawnSync(cmd[0], cmd.slice(1), { env: e, cwd: dir, encoding: 'utf8', timeout });
    return { code: r.status, out: r.stdout ?? '', err: `${r.stderr ?? ''}${r.error ? String(r.error) : ''}` };
  };
  const logs = () => {
    const f = (p) => { try { return fs.readFileSync(path.join(dir, p), 'utf8').slice(-3000); } catch { return ''; } };
    return `\n--- emulator log:\n${f('cache/libvirt/qemu/log/tsqemu-lv.log')}\n--- libvirtd log:\n${f('libvirtd.log')}`;
  };
  const virsh = (...args) => {
    const r = runAs(['virsh', '-c', 'qemu:///session', ...args]);
    assert.equal(r.code, 0, `virsh ${args.join(' ')}: ${r.err}${r.out}${logs()}`);
    return r.out;
  };
  const pidOf = (name) => { try { return Number(fs.readFileSync(path.join(dir, `runtime/libvirt/${name}.pid`), 'utf8')); } catch { return 0; } };
  const startDaemon = async (prog, sock) => {
    const r = runAs([prog, '-d'], undefined, { ...env, PATH: bin });
    assert.equal(r.code, 0, `${prog} -d: ${r.err}`);
    for (let i = 0; i < 1200 && !fs.existsSync(path.join(dir, 'runtime/libvirt', sock)); i++) await new Promise((res) => setTimeout(res, 50));
  };
  const killDaemon = async (name) => {
    const pid = pidOf(name);
    if (!pid) return;
    try { process.kill(pid, 'SIGTERM'); } catch { return; }
    for (let i = 0; i < 100; i++) {
      try { process.kill(pid, 0); } catch { return; }
      await new Promise((res) => setTimeout(res, 100));
    }
    try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
  };
  let peer;
  try {
    await startDaemon(VIRTLOGD, 'virtlogd-sock');
    await startDaemon(LIBVIRTD, 'libvirt-sock');

    // The probe: -machine none, -daemonize, the capability queries (cached afterwards).
    const caps = virsh('domcapabilities', '--emulatorbin', BIN, '--arch', 'riscv64', '--machine', 'virt', '--virttype', 'qemu');
    assert.match(caps, /<domain>qemu<\/domain>/);
    assert.match(caps, /<machine>virt<\/machine>/);
    assert.match(caps, /<arch>riscv64<\/arch>/);
    assert.match(caps, /<value>virtio<\/value>/, 'virtio disks');

    assert.match(virsh('define', 'dom.xml'), /Domain 'tsqemu-lv' defined/);
    assert.match(virsh('start', 'tsqemu-lv'), /Domain 'tsqemu-lv' started/);
    const cmdline = fs.readFileSync(path.join(dir, 'cache/libvirt/qemu/log/tsqemu-lv.log'), 'utf8');
    assert.match(cmdline, /-chardev socket,id=charmonitor,fd=\d+,server=on,wait=off/, 'the monitor is an inherited listening socket');
    // libvirt's PCIe layout, as with real QEMU 7.2 (gpex-pcihost and virtio-blk-pci-non-transitional
    // advertised): root ports, the channels' virtio-serial behind pci.1, the disk behind pci.2, the balloon behind pci.3.
    assert.match(cmdline, /-device pcie-root-port,port=8,chassis=1,id=pci\.1,bus=pcie\.0,multifunction=on,addr=0x1 /);
    assert.match(cmdline, /-device pcie-root-port,port=9,chassis=2,id=pci\.2,bus=pcie\.0,addr=0x1\.0x1 /);
    assert.match(cmdline, /-device virtio-blk-pci,bus=pci\.2,addr=0x0,drive=libvirt-1-format,id=virtio-disk0,bootindex=1/);
    // libvirt adds a balloon by itself: its `balloon` at start and query-balloon (dominfo's used memory).
    assert.match(cmdline, /-device virtio-balloon-pci,id=balloon0,bus=pci\.3,addr=0x0/);
    // <log> on the serial: virtlogd's pipe comes in as an fd set, the chardev's logfile= names it.
    assert.match(cmdline, /-add-fd set=0,fd=\d+,opaque=serial0-log/);
    assert.match(cmdline, /-chardev pty,id=charserial0,logfile=\/dev\/fdset\/0,logappend=on/);
    assert.match(virsh('domstate', '--reason', 'tsqemu-lv'), /running \(booted\)/);

    // The console: the pty tsqemu reported in query-chardev, as libvirt shows it.
    const pts = virsh('ttyconsole', 'tsqemu-lv').trim();
    assert.match(pts, /^\/dev\/pts\/\d+$/);
    assert.match(virsh('dumpxml', 'tsqemu-lv'), new RegExp(`<console type='pty' tty='${pts}'>`));
    peer = new PtyPeer(pts);
    await peer.until('\n', /\/ # $/m);
    assert.match(fs.readFileSync(path.join(dir, 'serial.log'), 'latin1'), /Linux version/, 'the serial log (virtlogd) has the boot');
    // The marker is not in the command line the shell echoes: seeing it means vda was read.
    await peer.until(`head -c ${MARKER.length} /dev/vda; echo\n`, new RegExp(`^${MARKER}$`, 'm'));
    // The guest agent channel: libvirt's virtio-serial controller and named port on its own unix
    // socket; the guest opening the port is VSERPORT_CHANGE, libvirt's channel state (a sleep holds
    // the port open: a reader would see end of file while no agent is connected and close it again).
    assert.match(cmdline, /-device virtio-serial-pci,id=virtio-serial0,bus=pci\.1,addr=0x0/);
    assert.match(cmdline, /-device virtserialport,bus=virtio-serial0\.0,nr=1,chardev=charchannel0,id=channel0,name=org\.qemu\.guest_agent\.0/);
    assert.match(virsh('dumpxml', 'tsqemu-lv'), /name='org\.qemu\.guest_agent\.0' state='disconnected'/);
    await peer.until('for p in /sys/class/virtio-ports/*; do grep -q guest_agent $p/name && (sleep 600 < /dev/${p##*/} &); done; echo agent-open\n', /^agent-open$/m);
    const agentDeadline = Date.now() + 30_000;
    while (!/name='org\.qemu\.guest_agent\.0' state='connected'/.test(virsh('dumpxml', 'tsqemu-lv')) && Date.now() < agentDeadline) {
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.match(virsh('dumpxml', 'tsqemu-lv'), /name='org\.qemu\.guest_agent\.0' state='connected'/);
    // dommemstat: query-balloon (libvirt 9.0 reads QOM guest-stats only for a PCI or CCW balloon).
    assert.match(virsh('dommemstat', 'tsqemu-lv'), /actual 262144/);
    // --period sets the PCI balloon's QOM guest-stats-polling-interval (virsh fails if it is refused).
    virsh('dommemstat', 'tsqemu-lv', '--period', '5', '--live');

    const stats = virsh('domblkstat', 'tsqemu-lv', 'vda');
    const rdReq = Number(/vda rd_req (\d+)/.exec(stats)?.[1]);
    assert.ok(rdReq > 0, `the guest's reads are counted: ${stats}`);
    assert.match(stats, /vda wr_bytes \d+/);

    virsh('suspend', 'tsqemu-lv');
    assert.match(virsh('domstate', '--reason', 'tsqemu-lv'), /paused \(user\)/);
    virsh('resume', 'tsqemu-lv');
    assert.match(virsh('domstate', '--reason', 'tsqemu-lv'), /running \(unpaused\)/);
    const info = virsh('dominfo', 'tsqemu-lv');
    assert.match(info, /State:\s+running/);
    assert.match(info, /Max memory:\s+262144 KiB/);
    assert.match(info, /Used memory:\s+262144 KiB/);
    assert.match(info, /CPU\(s\):\s+1/);

    // reset: the guest boots again (its banner comes back on the console).
    const before = peer.buf.length;
    virsh('reset', 'tsqemu-lv');
    assert.match(virsh('domstate', '--reason', 'tsqemu-lv'), /running/);
    await peer.until('', /Linux version/, 120_000).catch((e) => { throw new Error(`${e.message}; since reset: ${JSON.stringify(peer.buf.slice(before, before + 300))}`); });

    // libvirtd restarts with the domain running: it reconnects by path to monitor.sock.
    const emuPid = Number(fs.readFileSync(path.join(dir, 'runtime/libvirt/qemu/run/tsqemu-lv.pid'), 'utf8'));
    await killDaemon('libvirtd');
    await startDaemon(LIBVIRTD, 'libvirt-sock');
    assert.match(virsh('domstate', '--reason', 'tsqemu-lv'), /running/);
    process.kill(emuPid, 0); // still the same emulator
    virsh('suspend', 'tsqemu-lv');
    assert.match(virsh('domstate', '--reason', 'tsqemu-lv'), /paused \(user\)/);
    virsh('resume', 'tsqemu-lv');
    assert.match(virsh('domblkstat', 'tsqemu-lv', 'vda'), /vda rd_req [1-9]/, 'the counters survive the reconnect');
    await peer.until('echo alive-$((6*7))\n', /^alive-42$/m);
    peer.close();
    peer = undefined;

    // virsh console itself (libvirtd opens the pty and relays it), on a pty of its own.
    // The system's python3 (a per-user shim in PATH may not be readable by the daemon's user).
    const python = fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
    const con = runAs([python, path.join(ROOT, 'tests', 'helpers', 'virsh-console.py'), 'echo via-virsh-$((6*7))', '\nvia-virsh-42', '90',
      'virsh', '-c', 'qemu:///session', 'console', '--force', 'tsqemu-lv'], 120_000);
    assert.equal(con.code, 0, `virsh console: ${con.out}${con.err}`);
    assert.match(con.out, /Connected to domain 'tsqemu-lv'/);

    virsh('destroy', 'tsqemu-lv');
    assert.match(virsh('domstate', '--reason', 'tsqemu-lv'), /shut off \(destroyed\)/);
    assert.throws(() => process.kill(emuPid, 0), 'the emulator is gone');
    const log = fs.readFileSync(path.join(dir, 'cache/libvirt/qemu/log/tsqemu-lv.log'), 'utf8');
    assert.match(log, /terminating on signal 15/);
    assert.doesNotMatch(log, /crashed|without SHUTDOWN/);
    assert.match(virsh('undefine', 'tsqemu-lv'), /Domain 'tsqemu-lv' has been undefined/);
    assert.doesNotMatch(virsh('list', '--all', '--name'), /tsqemu-lv/);
  } finally {
    peer?.close();
    runAs(['virsh', '-c', 'qemu:///session', 'destroy', 'tsqemu-lv'], 20_000);
    await killDaemon('libvirtd');
    await killDaemon('virtlogd');
    if (!process.env.TSQEMU_KEEP_LIBVIRT_DIR) fs.rmSync(dir, { recursive: true, force: true });
    else console.error(`kept ${dir}`);
  }
});
