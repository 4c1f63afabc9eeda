// -readconfig FILE (QEMU's qemu_config_parse): an ini-style file of option groups,
//   [drive "d0"]            [device "v0"]                [machine]
//     file = "disk.img"       driver = "virtio-blk-pci"    type = "virt"
//     if = "none"             drive = "d0"
// each section standing for one command-line option in that place of the command line. The
// file is read by the caller (no host access here); sections become the equivalent options.
import { QemuError, optError } from '../qemu/error.js';

/** Option groups and the option each section is (with the key its section id goes to). */
const GROUPS: Record<string, { opt: string; idKey?: string }> = {
  drive: { opt: '-drive', idKey: 'id' }, device: { opt: '-device', idKey: 'id' }, netdev: { opt: '-netdev', idKey: 'id' },
  chardev: { opt: '-chardev', idKey: 'id' }, object: { opt: '-object', idKey: 'id' }, fsdev: { opt: '-fsdev', idKey: 'id' },
  machine: { opt: '-machine' }, memory: { opt: '-m' }, 'smp-opts': { opt: '-smp' }, 'boot-opts': { opt: '-boot' }, rtc: { opt: '-rtc' },
  icount: { opt: '-icount' }, global: { opt: '-global' }, mon: { opt: '-mon', idKey: 'id' }, accel: { opt: '-accel' }, name: { opt: '-name' },
  action: { opt: '-action' }, msg: { opt: '-msg' }, 'add-fd': { opt: '-add-fd' }, nic: { opt: '-nic', idKey: 'id' },
};
/** QEMU groups this machine has no option for. */
const OTHER_GROUPS = ['numa', 'spice', 'vnc', 'sandbox', 'overcommit', 'tpmdev', 'iscsi', 'audiodev', 'plugin', 'fw_cfg', 'option-rom', 'incoming',
  'qemu-img', 'smbios', 'semihosting-config', 'display', 'trace', 'mem-path', 'usbdevice', 'net', 'virtfs', 'realtime', 'acpi'];

const q = (v: string) => v.replace(/,/g, ',,');

/** The options one config file stands for, in file order. */
export function parseConfigFile(text: string, fname: string): string[] {
  const out: string[] = [];
  let cur: { opt: string; parts: string[]; bad?: string } | undefined;
  const flush = () => { if (cur && !cur.bad) out.push(cur.opt, cur.parts.join(',')); cur = undefined; };
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].replace(/\r$/, '');
    const fail = (m: string) => new QemuError(`${fname}:${i + 1}: ${m}`);
    if (/^\s*(#.*)?$/.test(line)) continue;
    const sec = /^\[([^\s"\]]{1,63})(?:\s+"([^"]{0,63})")?\]?/.exec(line);
    if (sec && line.startsWith('[')) {
      flush();
      const g = sec[1];
      const def = GROUPS[g];
      // As QEMU's, an unknown group is reported at its first setting.
      if (!def) { cur = { opt: '', parts: [], bad: OTHER_GROUPS.includes(g) ? `option group '${g}' is not supported by tsqemu` : `There is no option group '${g}'` }; continue; }
      cur = { opt: def.opt, parts: [] };
      if (sec[2] !== undefined) {
        if (!def.idKey) throw fail(`Parameter 'id' is unexpected`); // QEMU's: the group has no ids
        cur.parts.push(`${def.idKey}=${q(sec[2])}`);
      }
      continue;
    }
    const kv = /^\s*(\S{1,63})\s*=\s*"([^"]{0,1023})"/.exec(line);
    if (kv) {
      if (!cur) throw fail('no group defined');
      if (cur.bad) throw fail(cur.bad);
      cur.parts.push(`${kv[1]}=${q(kv[2])}`);
      continue;
    }
    throw fail('parse error');
  }
  flush();
  return out;
}

/** argv with every -readconfig FILE replaced by the options of FILE (read by `read`). */
export function expandReadconfig(argv: readonly string[], read: (file: string) => string): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if ((a !== '-readconfig' && a !== '--readconfig') || i + 1 >= argv.length) { out.push(a); continue; }
    const file = argv[++i];
    let text: string;
    try {
      text = read(file);
    } catch (e) {
      throw optError(a, file, e instanceof Error ? e.message : String(e));
    }
    out.push(...parseConfigFile(text, file));
  }
  return out;
}
