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

/** Device models QEMU 10.2's qemu-system-riscv64 has and tsqemu does not (display, input, USB,
 * SCSI, NICs other than virtio, sound, ...): refused as not supported, not as unknown. */
const QEMU_DEVICES = /^(virtio-(gpu|vga|keyboard|mouse|tablet|multitouch|input-host|scsi|serial|iommu|mem|pmem|crypto|sound)(-.*)?|vhost-.*|vfio-.*|usb-.*|(qemu|nec-usb)-xhci|pci-ohci|ich9-usb-.*|ramfb|VGA|secondary-vga|bochs-display|ati-vga|cirrus-vga|e1000e?|rtl8139|i82559er|i8255[0-9].*|pcnet|ne2k_pci|vmxnet3|tulip|igb|ich9-ahci|ide-(hd|cd)|nvme(-ns|-subsys)?|megasas(-gen2)?|lsi53c895a|am53c974|dc390|mptsas1068|pvscsi|scsi-(hd|cd|generic|block)|virtconsole|virtserialport|intel-hda|ich9-intel-hda|hda-(duplex|micro|output)|AC97|ES1370|pvpanic-pci|i6300esb|ivshmem-(plain|doorbell)|pci-bridge|pci-bridge-seat|pcie-pci-bridge|x3130-upstream|xio3130-downstream|ioh3420|i82801b11-bridge|pxb(-pcie)?|pci-testdev|edu|pci-serial(-2x|-4x)?|tpm-tis-device|nvdimm|pc-dimm|riscv-iommu-pci|guest-loader|loader|vmcoreinfo|ccid-card-.*|u2f-.*|virtio-net-device-.*)$/;

/** Whether QEMU has device model `driver` (so tsqemu says it is not supported). */
export function qemuOnlyDevice(driver: string): boolean {
  return QEMU_DEVICES.test(driver);
}
