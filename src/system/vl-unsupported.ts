// Options of QEMU 10.2's qemu-system-riscv64 that tsqemu does not implement: refused as "not
// supported" (with their argument when they take one), never as an invalid option, since a
// QEMU user may rightly pass them. Options tsqemu handles are never looked up here.

/** QEMU options that take an argument. */
const QEMU_WITH_ARG = new Set(['numa', 'add-fd', 'set', 'mem-path', 'k', 'audio', 'fda', 'fdb', 'hda', 'hdb', 'hdc', 'hdd',
  'cdrom', 'mtdblock', 'sd', 'pflash', 'iscsi', 'usbdevice', 'vga', 'g', 'vnc', 'spice', 'rotate', 'acpitable', 'smbios',
  'shim', 'fw_cfg', 'parallel', 'qmp-pretty', 'debugcon', 'gdb', 'dfilter', 'xen-domid', 'loadvm', 'option-rom',
  'watchdog-action', 'echr', 'incoming', 'trace', 'plugin', 'run-with', 'dump-vmstate', 'semihosting-config', 'compat',
  'tpmdev', 'runas', 'chroot', 'overcommit', 'msg', 'sandbox', 'readconfig', 'action', 'pidfile', 'rtc', 'icount', 'boot',
  'uuid', 'global', 'object', 'blockdev', 'audiodev', 'qmp', 'nic', 'net', 'netdev', 'fsdev', 'virtfs', 'serial', 'monitor']);
/** QEMU options without an argument. */
const QEMU_FLAGS = new Set(['portrait', 'full-screen', 'win2k-hack', 'no-fd-bootchk', 'enable-kvm', 'xen-attach',
  'xen-domid-restrict', 'daemonize', 'only-migratable', 'no-user-config', 'enable-sync-profile', 'semihosting', 'preconfig',
  'mem-prealloc', 'usb', 's', 'snapshot', 'nographic', 'no-reboot', 'no-shutdown', 'nodefaults', 'S']);

/** For an option tsqemu does not know: whether QEMU has it ('arg' or 'flag'), else undefined. */
export function qemuOnlyOption(name: string): 'arg' | 'flag' | undefined {
  return QEMU_WITH_ARG.has(name) ? 'arg' : QEMU_FLAGS.has(name) ? 'flag' : undefined;
}
