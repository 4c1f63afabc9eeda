// blockdev-add / blockdev-del for the system emulator (QEMU's qmp_blockdev_add/_del): nodes
// the monitor owns (-blockdev and blockdev-add), opened by the block layer on the host; a node
// is deleted only when it is a root that no device and no other node uses, with QEMU's texts.
import { QemuError } from '../qemu/error.js';
import { QmpError } from '../monitor/monitor.js';
import type { JsonValue } from '../monitor/json-stream.js';
import type { SystemConfig } from '../system/vl.js';
import { jsonToOpts } from '../system/vl-opts.js';
import { bdrvClose, bdrvLookupNode } from '../block/block.js';
import type { QemuOptsDict } from '../qemu/option.js';

/** Children a node names by reference (file=NAME, backing=NAME, data-file=NAME). */
function referencedNodes(opts: QemuOptsDict): string[] {
  return ['file', 'backing', 'data-file'].map((k) => opts.get(k)).filter((v): v is string => v !== undefined && v !== '' && v !== 'null');
}

export class MonitorBlockdevs {
  /** Monitor-owned nodes and the nodes each one uses. */
  private readonly owned = new Map<string, string[]>();

  constructor(private readonly cfg: SystemConfig) {
    for (const b of cfg.extras.blockdevs) this.owned.set(b.opts.get('node-name') as string, referencedNodes(b.opts));
  }

  async add(args: Record<string, JsonValue>, warn: (m: string) => void): Promise<void> {
    let opts: QemuOptsDict;
    try {
      opts = jsonToOpts(JSON.stringify(args));
    } catch (e) {
      throw new QmpError('GenericError', (e as Error).message);
    }
    // In QMP a string child is always a node reference (never a file name, as -drive's file=).
    for (const k of ['file', 'backing', 'data-file']) {
      const ref = args[k];
      if (typeof ref === 'string' && !bdrvLookupNode(ref)) throw new QmpError('GenericError', `Cannot find device='${ref}' nor node-name='${ref}'`);
    }
    const { blockdevAdd } = await import('../host/node/block.js');
    try {
      await blockdevAdd(opts, warn);
    } catch (e) {
      if (e instanceof QemuError) throw new QmpError('GenericError', e.message);
      throw e;
    }
    this.owned.set(opts.get('node-name') as string, referencedNodes(opts));
  }

  private usedByDevice(name: string): boolean {
    return this.cfg.devices.some((d) => d.drive === name || d.props?.get('drive') === name);
  }

  async del(name: string): Promise<void> {
    const bs = bdrvLookupNode(name);
    if (!bs) throw new QmpError('GenericError', `Failed to find node with node-name='${name}'`);
    if (this.usedByDevice(name)) throw new QmpError('GenericError', `Node ${name} is in use`);
    if (!this.owned.has(name)) throw new QmpError('GenericError', `Node ${name} is not owned by the monitor`);
    if ([...this.owned.values()].some((kids) => kids.includes(name))) throw new QmpError('GenericError', `Block device ${name} is in use`);
    this.owned.delete(name);
    await bdrvClose(bs);
  }
}
