// Block commands of QEMU's blockdev.c / block/qapi-sysemu.c for what tsqemu has: block_resize
// (the device sees the new capacity: virtio-blk raises its config interrupt), and eject,
// blockdev-change-medium and HMP change, which every disk here refuses as QEMU refuses them
// for a device without removable media (virtio-blk has none).
import { QmpError, registerCommand } from './commands.js';
import type { JsonValue } from './json-stream.js';
import type { MonitorContext } from './vm.js';

const SIZE_UNITS: Record<string, number> = { '': 2 ** 20, B: 1, K: 2 ** 10, M: 2 ** 20, G: 2 ** 30, T: 2 ** 40 };

/** HMP sizes: a number with an optional suffix, megabytes by default (block_resize's 'o' type). */
function hmpSize(text: string): number {
  const m = /^([0-9]+(?:\.[0-9]+)?)([BKMGT]?)$/i.exec(text);
  if (!m) throw new QmpError('GenericError', `invalid size`);
  return Math.round(Number(m[1]) * SIZE_UNITS[m[2].toUpperCase()]);
}

/** The device for eject/change: not found, else not removable (QEMU's text). */
function refuseMedium(ctx: MonitorContext, id: string): never {
  if (!ctx.vm.blockExists?.(id)) throw new QmpError('DeviceNotFound', `Device '${id}' not found`);
  throw new QmpError('GenericError', `Device '${id}' is not removable`);
}

registerCommand({
  name: 'block_resize',
  args: [{ name: 'device', type: 'str', optional: true }, { name: 'node-name', type: 'str', optional: true }, { name: 'size', type: 'int' }],
  hmp: {
    names: 'block_resize', params: 'device size', help: 'resize a block image',
    parse: (words) => {
      if (words.length < 2) throw new QmpError('GenericError', `Parameter '${words.length === 0 ? 'device' : 'size'}' is missing`);
      return { device: words[0], size: hmpSize(words[1]) };
    },
  },
  run: async (a, ctx) => {
    if (!ctx.vm.blockResize) throw new QmpError('GenericError', 'block_resize is not supported here');
    await ctx.vm.blockResize(a.device as string | undefined, a['node-name'] as string | undefined, Number(a.size));
    return undefined;
  },
});

registerCommand({
  name: 'eject',
  args: [{ name: 'device', type: 'str', optional: true }, { name: 'id', type: 'str', optional: true }, { name: 'force', type: 'bool', optional: true }],
  hmp: {
    names: 'eject', params: '[-f] device', help: 'eject a removable medium (use -f to force it)',
    parse: (words) => {
      const w = words.filter((x) => x !== '-f');
      if (w.length === 0) throw new QmpError('GenericError', `Parameter 'device' is missing`);
      return { device: w[0], force: words.includes('-f') };
    },
  },
  run: (a, ctx): JsonValue | undefined => {
    const id = (a.device ?? a.id) as string | undefined;
    if (id === undefined) throw new QmpError('GenericError', 'Need exactly one of \'device\' and \'id\'');
    refuseMedium(ctx, id);
  },
});

registerCommand({
  name: 'blockdev-change-medium',
  args: [{ name: 'device', type: 'str', optional: true }, { name: 'id', type: 'str', optional: true }, { name: 'filename', type: 'str' },
    { name: 'format', type: 'str', optional: true }, { name: 'force', type: 'bool', optional: true },
    { name: 'read-only-mode', type: { enum: ['retain', 'read-only', 'read-write'], name: 'BlockdevChangeReadOnlyMode' }, optional: true }],
  hmp: {
    names: 'change', params: 'device filename [format [read-only-mode]]', help: 'change a removable medium, optional format',
    parse: (words) => {
      if (words.length < 2) throw new QmpError('GenericError', `Parameter '${words.length === 0 ? 'device' : 'target'}' is missing`);
      return { device: words[0], filename: words[1], ...(words[2] ? { format: words[2] } : {}) };
    },
  },
  run: (a, ctx): JsonValue | undefined => {
    const id = (a.device ?? a.id) as string | undefined;
    if (id === undefined) throw new QmpError('GenericError', 'Need exactly one of \'device\' and \'id\'');
    refuseMedium(ctx, id);
  },
});

registerCommand({
  name: 'blockdev-add',
  args: [{ name: 'driver', type: 'str' }, { name: 'node-name', type: 'str', optional: true }],
  openArgs: true,
  run: async (a, ctx) => {
    if (!ctx.vm.blockdevAdd) throw new QmpError('GenericError', 'blockdev-add is not supported here');
    await ctx.vm.blockdevAdd(a);
    return undefined;
  },
});

registerCommand({
  name: 'blockdev-del',
  args: [{ name: 'node-name', type: 'str' }],
  run: async (a, ctx) => {
    if (!ctx.vm.blockdevDel) throw new QmpError('GenericError', 'blockdev-del is not supported here');
    await ctx.vm.blockdevDel(String(a['node-name']));
    return undefined;
  },
});
