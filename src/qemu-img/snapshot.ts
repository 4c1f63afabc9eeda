// tsqemu-img snapshot: "snapshot [--object o] [--image-opts] [-U] [-q] [-l | -a s | -c s | -d s] filename".
import { QemuError } from '../qemu/error.js';
import { hasSnapshots } from '../block/block_int.js';
import { ImgEnv, getopt, imgOpen, safeClose } from './common.js';
import { snapshotTable } from './info.js';

export async function imgSnapshot(env: ImgEnv, argv: string[]): Promise<number> {
  const { opts, args } = getopt(argv, 'la:c:d:f:hqU', { help: 'h', object: 'object=', 'image-opts': 'image-opts', 'force-share': 'U' });
  let action: 'l' | 'a' | 'c' | 'd' | undefined, name = '', fmt: string | undefined, imageOpts = false, force = false;
  for (const [k, v] of opts) {
    if (k === 'l' || k === 'a' || k === 'c' || k === 'd') {
      if (action) throw new QemuError('Cannot mix \'-l\', \'-a\', \'-c\', \'-d\'');
      action = k; name = v;
    } else if (k === 'f') fmt = v; else if (k === 'object') env.addObject(v); else if (k === 'image-opts') imageOpts = true;
    else if (k === 'U') force = true;
  }
  if (args.length !== 1) throw new QemuError('Expecting one image file name');
  action ??= 'l';
  const bs = await imgOpen(env, { filename: args[0], fmt, imageOpts, readOnly: action === 'l', noBacking: true, forceShare: force });
  try {
    if (!hasSnapshots(bs)) throw new QemuError(`Could not ${action === 'l' ? 'list' : 'create'} snapshots: This format does not support snapshots`);
    const verb = { a: 'apply', c: 'create', d: 'delete', l: 'list' }[action];
    try {
      if (action === 'l') {
        const list = bs.snapshotList();
        if (list.length) env.out(`Snapshot list:\n${snapshotTable(env, list)}`);
      } else if (action === 'c') {
        await bs.snapshotCreate(name, 0n);
      } else if (action === 'a') {
        await bs.snapshotGoto(name);
      } else {
        await bs.snapshotDelete(name);
      }
    } catch (e) {
      if (e instanceof QemuError) throw new QemuError(`Could not ${verb} snapshot '${name}': ${e.message}`);
      throw e;
    }
  } finally {
    await safeClose(bs);
  }
  return 0;
}
