// tsqemu-img: the qemu-img command line on the tsqemu block layer (run by cli/img.ts).
import { internalErrorText } from '../host/node/fatal.js';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { QemuError } from '../qemu/error.js';
import { qcryptoSecretAddOpts } from '../crypto/secret.js';
import { bdrvFindFormat, bdrvFormats, bdrvOpen } from '../block/block.js';
import { BlockOptions } from '../block/block_int.js';
import { blockInit, createContext, turbofanOn } from '../host/node/block.js';
import { ImgEnv } from '../qemu-img/common.js';
import { imgCreate } from '../qemu-img/create.js';
import { imgInfo } from '../qemu-img/info.js';
import { imgCheck } from '../qemu-img/check.js';
import { imgConvert } from '../qemu-img/convert.js';
import { imgCompare } from '../qemu-img/compare.js';
import { imgMap } from '../qemu-img/map.js';
import { imgSnapshot } from '../qemu-img/snapshot.js';
import { imgBitmap } from '../qemu-img/bitmap.js';
import { imgResize } from '../qemu-img/resize.js';
import { imgRebase, imgCommit } from '../qemu-img/rebase.js';
import { imgAmend } from '../qemu-img/amend.js';
import { imgDd } from '../qemu-img/dd.js';
import { imgMeasure } from '../qemu-img/measure.js';
import { imgBench } from '../qemu-img/bench.js';
import { setAioNoticeSink } from '../host/node/file-aio.js';
import { mainIoUring } from '../host/node/io_uring.js';

// Error lines start with the base name of the name we were run by, as qemu-img's (QEMU's
// error_report prefix): bin/tsqemu-img passes its $0 in TSQEMU_IMG_ARGV0, so a symlink named
// qemu-img (how qemu-iotests run it) says "qemu-img: ...".
const PROG = /[^/]+$/.exec(process.env.TSQEMU_IMG_ARGV0 ?? '')?.[0] ?? 'tsqemu-img';
delete process.env.TSQEMU_IMG_ARGV0;
/** A QemuError's text as lines of `PROG: ...` (some messages are two error_report lines). */
const errorLines = (m: string): string => `${PROG}: ${m.replace(/\ntsqemu-img: /g, `\n${PROG}: `)}\n`;

/**
 * Text to descriptor 1 or 2 with writeSync: process.stdout on a pipe (how scripts and tests run
 * us) builds a net.Socket, loading Node's net and stream modules: ~25 ms of CPU for one line
 * ("Images are identical."). A descriptor that cannot take it now (a non-blocking pipe that is
 * full: EAGAIN) or fails hands this and all later text to Node's stream, in order.
 */
function writer(fd: 1 | 2): (t: string) => void {
  let stream: NodeJS.WriteStream | null = null;
  // The reader went away (`tsqemu-img map ... | head`): the rest is dropped and the command ends
  // as it would have, as qemu-img does (it ignores SIGPIPE and does not check its writes).
  let gone = false;
  const isEpipe = (e: unknown) => (e as NodeJS.ErrnoException | null)?.code === 'EPIPE';
  return (t) => {
    if (gone) return;
    if (stream) { stream.write(t); return; }
    const b = Buffer.from(t);
    let done = 0;
    try {
      while (done < b.length) done += fs.writeSync(fd, b, done);
    } catch (e) {
      if (isEpipe(e)) { gone = true; return; }
      stream = fd === 1 ? process.stdout : process.stderr;
      stream.on('error', (err) => { if (isEpipe(err)) gone = true; else throw err; });
      stream.write(b.subarray(done));
    }
  };
}
const stdout = writer(1);
const stderr = writer(2);

function env(): ImgEnv {
  const warn = (m: string): void => { stderr(`${PROG}: warning: ${m}\n`); };
  return {
    prog: PROG,
    out: stdout,
    err: stderr,
    open: (opts, flags, probe) => bdrvOpen(opts, flags, { warn, log: (l) => stderr(`${l}\n`) }, probe),
    create: async (format: string, filename: string, size: number, options: BlockOptions) => {
      const drv = bdrvFindFormat(format);
      if (!drv || !drv.create) throw new QemuError(`Format driver '${format}' does not support image creation`);
      await drv.create(createContext(filename, size, options, warn));
    },
    addObject: (text) => {
      const type = text.split(',')[0].replace(/^qom-type=/, '');
      if (type !== 'secret') throw new QemuError(`Invalid object type '${type}'`);
      qcryptoSecretAddOpts(text, (p) => new Uint8Array(fs.readFileSync(p)));
    },
    realPath: (p) => { try { return fs.realpathSync(p); } catch { return path.resolve(p); } },
    fileExists: (p) => fs.existsSync(p),
    localTime: (sec) => {
      const d = new Date(sec * 1000);
      const two = (n: number): string => String(n).padStart(2, '0');
      return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
    },
    formats: () => bdrvFormats(),
    createOptions: (format) => bdrvFindFormat(format)?.createOptions ?? [],
    ioBuffers,
    memEqual: (a, b) => Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.length), Buffer.from(b.buffer, b.byteOffset, b.length)) === 0,
  };
}

/** One 4 KiB-aligned slab cut into buffers, registered as an io_uring fixed buffer (zero copy). */
function ioBuffers(count: number, size: number): Uint8Array[] {
  const ALIGN = 4096;
  const stride = Math.ceil(Math.max(size, 1) / ALIGN) * ALIGN;
  const raw = new Uint8Array(count * stride + ALIGN);
  const ring = mainIoUring();
  const skew = ring ? ring.addrMod(raw, ALIGN) : 0;
  const slab = raw.subarray(skew ? ALIGN - skew : 0, (skew ? ALIGN - skew : 0) + count * stride);
  ring?.addFixedBuffer(slab);
  return Array.from({ length: count }, (_, i) => slab.subarray(i * stride, i * stride + size));
}

const COMMANDS: Record<string, (e: ImgEnv, argv: string[]) => Promise<number>> = {
  // bench is all JavaScript per request: TurboFan from the start (cli/img.ts defers it).
  amend: imgAmend, bitmap: imgBitmap, bench: (e, a) => { turbofanOn(); return imgBench(e, a); }, check: imgCheck, commit: imgCommit, compare: imgCompare, convert: imgConvert, create: imgCreate,
  dd: imgDd, info: imgInfo, map: imgMap, measure: imgMeasure, rebase: imgRebase, resize: imgResize, snapshot: imgSnapshot,
};

function help(): string {
  return `${PROG} version 10.2.0 (tsqemu)\nusage: ${PROG} [standard options] command [command options]\n` +
    'QEMU disk image utility\n\nCommand syntax:\n' + Object.keys(COMMANDS).map((c) => `  ${c}\n`).join('') +
    `\nSupported formats: ${bdrvFormats().join(' ')}\n`;
}

async function main(argv: string[]): Promise<number> {
  blockInit();
  const e = env();
  setAioNoticeSink((m) => e.err(`${PROG}: warning: ${m}\n`));
  if (argv.length === 0) throw new QemuError(`Not enough arguments\nTry '${PROG} --help' for more information`);
  const cmd = argv[0];
  if (cmd === '-h' || cmd === '--help') { e.out(help()); return 0; }
  if (cmd === '-V' || cmd === '--version') { e.out(`${PROG} version 10.2.0 (tsqemu)\n`); return 0; }
  const fn = COMMANDS[cmd];
  if (!fn) throw new QemuError(`Command not found: ${cmd}`);
  return fn(e, argv.slice(1));
}

main(process.argv.slice(2)).then((rc) => { process.exitCode = rc; }, (err: unknown) => {
  if (err instanceof QemuError) stderr(errorLines(err.message));
  else stderr(internalErrorText(PROG, err));
  process.exitCode = 1;
});
