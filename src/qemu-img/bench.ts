// tsqemu-img bench: qemu-img's I/O benchmark. COUNT requests of SIZE bytes, DEPTH in flight,
// at OFFSET + i*STEP (wrapping at the image end), reads or (-w) writes of a pattern byte, an
// optional flush every N requests (draining the queue first unless --no-drain). Output and
// error wording as qemu-img's.
import { QemuError } from '../qemu/error.js';
import { BlockDriverState } from '../block/block_int.js';
import { bdrvPread, bdrvPwrite } from '../block/io.js';
import { ImgEnv, getopt, imgOpen, safeClose } from './common.js';
import { parseImgSize } from './create.js';

interface BenchOpts {
  count: number; depth: number; bufsize: number; step: number; offset: number;
  write: boolean; pattern: number; flushInterval: number; drain: boolean;
}

function intArg(v: string, what: string, min: number): number {
  const n = /^\d+$/.test(v) ? Number(v) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > 0x7fffffff) throw new QemuError(`Invalid ${what} specified`);
  return n;
}

function sizeArg(v: string, what: string): number {
  let n: number;
  try { n = parseImgSize(v); } catch { throw new QemuError(`Invalid ${what} specified`); }
  if (!Number.isSafeInteger(n) || n < 0 || n > 0x7fffffff) throw new QemuError(`Invalid ${what} specified`);
  return n;
}

/** Run the request loop; resolves when every request (and flush) completed. */
function run(bs: BlockDriverState, o: BenchOpts, bufs: Uint8Array[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const size = bs.getLength();
    let n = o.count, inFlight = 0, offset = o.offset, inFlush = false, failed = false;
    const free: Uint8Array[] = bufs.slice();
    const fail = (e: unknown): void => {
      if (failed) return;
      failed = true;
      reject(new QemuError(`Failed request: ${e instanceof Error ? e.message : String(e)}`));
    };
    const flushDone = (): void => { inFlush = false; pump(); };
    const completed = (buf: Uint8Array): void => {
      free.push(buf);
      const remaining = n - inFlight;
      n--;
      inFlight--;
      if (o.flushInterval && remaining % o.flushInterval === 0) {
        if (!inFlight || !o.drain) {
          if (o.drain) inFlush = true;
          bs.flush().then(o.drain ? flushDone : undefined, fail);
        }
        if (o.drain) return;
      }
      pump();
    };
    const pump = (): void => {
      if (failed || inFlush) return;
      if (n === 0 && inFlight === 0) { resolve(); return; }
      while (n > inFlight && inFlight < o.depth) {
        const at = offset;
        inFlight++;
        offset = size === 0 ? 0 : (offset + o.step) % size;
        const buf = free.pop() as Uint8Array;
        const p = o.write ? bdrvPwrite(bs, at, buf) : bdrvPread(bs, at, buf);
        p.then(() => completed(buf), fail);
      }
    };
    pump();
  });
}

export async function imgBench(env: ImgEnv, argv: string[]): Promise<number> {
  const { opts, args } = getopt(argv, 'hc:d:f:ni:o:qs:S:t:wU', {
    help: 'h', 'flush-interval': 'flush-interval=', 'image-opts': 'image-opts', pattern: 'pattern=',
    'no-drain': 'no-drain', 'force-share': 'U', object: 'object=',
  });
  const o: BenchOpts = { count: 75000, depth: 64, bufsize: 4096, step: 0, offset: 0, write: false, pattern: 0, flushInterval: 0, drain: true };
  let fmt: string | undefined, cache = 'writeback', aio = '', imageOpts = false, force = false;
  for (const [k, v] of opts) {
    switch (k) {
      case 'h': throw new QemuError('bench [-c count] [-d depth] [-f fmt] [--flush-interval=flush_interval] [-i aio] [-n] [--no-drain] [-o offset] [--pattern=pattern] [-q] [-s buffer_size] [-S step_size] [-t cache] [-w] [-U] filename');
      case 'c': o.count = intArg(v, 'request count', 0); break;
      case 'd': o.depth = intArg(v, 'queue depth', 1); break;
      case 'f': fmt = v; break;
      case 'n': cache = 'none'; break;
      case 'i':
        if (!['threads', 'native', 'io_uring'].includes(v)) throw new QemuError(`Invalid aio option: ${v}`);
        aio = v; break;
      case 'o':
        try { o.offset = sizeArg(v, 'offset'); } catch {
          throw new QemuError('Invalid offset specified. You may use k, M, G, T, P or E suffixes for\n' +
            'tsqemu-img: kilobytes, megabytes, gigabytes, terabytes, petabytes and exabytes.');
        }
        break;
      case 'q': break; // qemu-img 7.2 prints the summary lines even with -q
      case 's': o.bufsize = sizeArg(v, 'buffer size'); break;
      case 'S': o.step = sizeArg(v, 'step size'); break;
      case 't': if (!['writeback', 'none', 'off', 'writethrough', 'directsync', 'unsafe'].includes(v)) throw new QemuError('Invalid cache mode'); cache = v; break;
      case 'w': o.write = true; break;
      case 'U': force = true; break;
      case 'pattern': o.pattern = intArg(v, 'pattern byte', 0); if (o.pattern > 0xff) throw new QemuError('Invalid pattern byte specified'); break;
      case 'flush-interval': o.flushInterval = intArg(v, 'flush interval', 0); break;
      case 'no-drain': o.drain = false; break;
      case 'image-opts': imageOpts = true; break;
      case 'object': env.addObject(v); break;
    }
  }
  if (args.length !== 1) throw new QemuError('Expecting one image file name');
  if (o.flushInterval && !o.write) throw new QemuError('--flush-interval is only available in write tests');
  if (o.step === 0) o.step = o.bufsize;
  if (aio === 'native' && cache !== 'none' && cache !== 'off' && cache !== 'directsync') {
    throw new QemuError(`Could not open '${args[0]}': aio=native was specified, but it requires cache.direct=on, which was not specified.`);
  }
  const bs = await imgOpen(env, { filename: args[0], fmt, imageOpts, readOnly: !o.write, forceShare: force, cache, aio });
  try {
    const bufs = env.ioBuffers ? env.ioBuffers(o.depth, o.bufsize) : Array.from({ length: o.depth }, () => new Uint8Array(o.bufsize));
    if (o.write) for (const b of bufs) b.fill(o.pattern);
    {
      env.out(`Sending ${o.count} ${o.write ? 'write' : 'read'} requests, ${o.bufsize} bytes each, ${o.depth} in parallel ` +
        `(starting at offset ${o.offset}, step size ${o.step})\n`);
      if (o.flushInterval) env.out(`Sending flush every ${o.flushInterval} requests\n`);
    }
    const t0 = performance.now();
    await run(bs, o, bufs);
    const secs = (performance.now() - t0) / 1000;
    env.out(`Run completed in ${secs.toFixed(3)} seconds.\n`);
  } finally {
    await safeClose(bs);
  }
  return 0;
}
