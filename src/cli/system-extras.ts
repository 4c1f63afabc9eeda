// Host side of the options of src/system/vl-extra.ts: -object secrets registered, -blockdev
// nodes opened, -pidfile written (and removed at exit), the RTC's wall clock for -rtc.
import * as fs from 'node:fs';
import { QemuError, optError } from '../qemu/error.js';
import type { SystemConfig } from '../system/vl.js';
import { rtcWallClock } from '../system/vl-opts.js';
import { qcryptoSecretAdd, qcryptoSecretNew } from '../crypto/secret.js';
import type { BlockBackend } from '../block/block-backend.js';
import { strerror } from '../host/node/strerror.js';

/** -object secret,...: registered for the block layer (encrypt.key-secret=ID). */
export function createObjects(cfg: SystemConfig): void {
  for (const o of cfg.extras.objects) {
    if (o.qomType !== 'secret') continue;
    const opts = new Map(o.opts);
    opts.delete('qom-type');
    opts.delete('loaded');
    try {
      qcryptoSecretAdd(qcryptoSecretNew(opts, (f) => {
        try { return new Uint8Array(fs.readFileSync(f)); } catch (e) { throw new QemuError(`Unable to read ${f}: ${strerror(e)}`); }
      }));
    } catch (e) {
      if (e instanceof QemuError) throw optError('-object', o.text, e.message);
      throw e;
    }
  }
}

/** -blockdev nodes, opened in order; -device ...,drive=NODE-NAME finds them. */
export async function openBlockdevs(cfg: SystemConfig, warn: (m: string) => void): Promise<Map<string, BlockBackend>> {
  const out = new Map<string, BlockBackend>();
  if (cfg.extras.blockdevs.length === 0) return out;
  const { blockdevAdd, blockBackendForNode } = await import('../host/node/block.js');
  for (const b of cfg.extras.blockdevs) {
    try {
      await blockdevAdd(b.opts, warn);
      const name = b.opts.get('node-name') as string;
      out.set(name, blockBackendForNode(name));
    } catch (e) {
      if (e instanceof QemuError) throw optError('-blockdev', b.text, e.message);
      throw e;
    }
  }
  return out;
}

/**
 * A -blockdev node a device uses, described as -drive options for the monitor's accounting
 * (query-block/-blockstats show it with device "" and its node name, as QEMU's): the format
 * node's driver, and the file name of the protocol node under it.
 */
export function blockdevDriveOpts(cfg: SystemConfig, node: string): Map<string, string> {
  const find = (n: string) => cfg.extras.blockdevs.find((b) => b.opts.get('node-name') === n)?.opts;
  const top = find(node);
  const out = new Map<string, string>([['node-name', node], ['driver', top?.get('driver') ?? 'raw']]);
  let o = top;
  for (let depth = 0; o && depth < 8; depth++) {
    const f = o.get('filename') ?? o.get('file.filename');
    if (f !== undefined) { out.set('file', f); break; }
    const child = o.get('file');
    o = child === undefined ? undefined : find(child);
  }
  return out;
}

/** -pidfile FILE: this process's pid, removed again at exit (as QEMU). */
export function writePidfile(cfg: SystemConfig): void {
  const f = cfg.extras.pidfile;
  if (f === undefined) return;
  try {
    fs.writeFileSync(f, `${process.pid}\n`);
  } catch (e) {
    throw new QemuError(`cannot create PID file: Could not create '${f}': ${strerror(e)}`);
  }
  process.once('exit', () => { try { fs.unlinkSync(f); } catch { /* gone already */ } });
}

/** The goldfish RTC's time of day under -rtc base=,clock= (ns since the epoch). */
export function rtcWallNs(cfg: SystemConfig, vmNs: () => bigint): () => bigint {
  return rtcWallClock(cfg.extras.rtc, () => Date.now(), () => process.hrtime.bigint(), vmNs);
}
