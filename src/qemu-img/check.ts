// tsqemu-img check: "check [--object o] [--image-opts] [-q] [-f fmt] [--output=ofmt] [-r leaks|all] [-T cache] [-U] filename".
// Exit status as qemu-img: 0 clean, 1 check errors, 2 corruptions, 3 leaks only, 63 unsupported.
import { QemuError } from '../qemu/error.js';
import { BdrvCheckMode, BdrvCheckResult, hasCheck } from '../block/block_int.js';
import { ImgEnv, getopt, imgOpen, safeClose, qjson } from './common.js';

function human(env: ImgEnv, r: BdrvCheckResult): void {
  const o: string[] = [];
  if (r.corruptions) o.push(`\n${r.corruptions} errors were found on the image.\nData may be corrupted, or further writes to the image may corrupt it.\n`);
  if (r.leaks) o.push(`\n${r.leaks} leaked clusters were found on the image.\nThis means waste of disk space, but no harm to data.\n`);
  if (r.checkErrors) o.push(`\n${r.checkErrors} internal errors have occurred during the check.\n`);
  if (!r.corruptions && !r.leaks && !r.checkErrors) o.push('No errors were found on the image.\n');
  if (r.totalClusters && r.allocatedClusters) {
    o.push(`${r.allocatedClusters}/${r.totalClusters} = ${(r.allocatedClusters * 100 / r.totalClusters).toFixed(2)}% allocated, ` +
      `${(r.fragmentedClusters * 100 / r.allocatedClusters).toFixed(2)}% fragmented, ` +
      `${(r.compressedClusters * 100 / r.allocatedClusters).toFixed(2)}% compressed clusters\n`);
  }
  if (r.imageEndOffset > 0) o.push(`Image end offset: ${r.imageEndOffset}\n`);
  env.out(o.join(''));
}

function json(env: ImgEnv, r: BdrvCheckResult, filename: string, format: string): void {
  const o: Record<string, number | string> = {};
  if (r.imageEndOffset > 0) o['image-end-offset'] = r.imageEndOffset;
  if (r.totalClusters) o['total-clusters'] = r.totalClusters;
  if (r.corruptions) o.corruptions = r.corruptions;
  o['check-errors'] = r.checkErrors;
  if (r.leaks) o.leaks = r.leaks;
  if (r.corruptionsFixed) o['corruptions-fixed'] = r.corruptionsFixed;
  if (r.leaksFixed) o['leaks-fixed'] = r.leaksFixed;
  if (r.totalClusters && r.allocatedClusters) {
    o['allocated-clusters'] = r.allocatedClusters;
    if (r.fragmentedClusters) o['fragmented-clusters'] = r.fragmentedClusters;
    if (r.compressedClusters) o['compressed-clusters'] = r.compressedClusters;
  }
  o.filename = filename;
  o.format = format;
  env.out(`${qjson(o)}\n`);
}

export async function imgCheck(env: ImgEnv, argv: string[]): Promise<number> {
  const { opts, args } = getopt(argv, 'hf:r:T:qU', {
    help: 'h', format: 'f', repair: 'r', 'output=': 'output', 'image-opts': 'image-opts', object: 'object=', 'force-share': 'U',
  });
  let fmt: string | undefined, output = 'human', mode = BdrvCheckMode.NONE, quiet = false, imageOpts = false, cache: string | undefined, force = false;
  for (const [k, v] of opts) {
    if (k === 'f') fmt = v; else if (k === 'output') output = v; else if (k === 'q') quiet = true;
    else if (k === 'T') cache = v; else if (k === 'image-opts') imageOpts = true; else if (k === 'object') env.addObject(v);
    else if (k === 'U') force = true;
    else if (k === 'r') {
      if (v === 'leaks') mode = BdrvCheckMode.FIX_LEAKS;
      else if (v === 'all') mode = BdrvCheckMode.FIX_LEAKS | BdrvCheckMode.FIX_ERRORS;
      else throw new QemuError("Unknown option value for -r (expecting 'leaks' or 'all'): " + v);
    }
  }
  if (output !== 'human' && output !== 'json') throw new QemuError('--output must be used with human or json as argument.');
  if (args.length !== 1) throw new QemuError('Expecting one image file name');
  const bs = await imgOpen(env, { filename: args[0], fmt, imageOpts, readOnly: mode === BdrvCheckMode.NONE, cache, check: true, forceShare: force, noBacking: true });
  try {
    if (!hasCheck(bs)) {
      if (output === 'json') throw new QemuError('This image format does not support checks');
      env.err(`${env.prog ?? 'tsqemu-img'}: This image format does not support checks\n`);
      return 63;
    }
    let r = await bs.check(mode);
    if (!quiet) for (const m of r.messages) env.err(`${m}\n`);
    if (mode !== BdrvCheckMode.NONE && (r.corruptionsFixed || r.leaksFixed)) {
      const fixedLeaks = r.leaksFixed, fixedCorr = r.corruptionsFixed;
      r = await bs.check(BdrvCheckMode.NONE);
      // The second check's findings first: qemu-img's stdout is block-buffered into a pipe (as
      // scripts and qemu-iotests read it) and its stderr is not (qemu-iotests 271).
      if (!quiet) for (const m of r.messages) env.err(`${m}\n`);
      if (output === 'human' && !quiet) {
        env.out(`The following inconsistencies were found and repaired:\n\n    ${fixedLeaks} leaked clusters\n    ${fixedCorr} corruptions\n\nDouble checking the fixed image now...\n`);
      }
      r.leaksFixed = fixedLeaks; r.corruptionsFixed = fixedCorr;
    }
    if (!quiet) {
      if (output === 'json') json(env, r, bs.filename === args[0] || imageOpts ? bs.filename : args[0], bs.drv.formatName);
      else human(env, r);
    }
    if (r.checkErrors) return 1;
    if (r.corruptions) return 2;
    if (r.leaks) return 3;
    return 0;
  } finally {
    await safeClose(bs);
  }
}
