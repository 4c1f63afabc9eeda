// Raw deflate of qcow2 clusters (convert -c, write-compressed) with ONE zlib stream, reset
// between clusters, writing into one reused output buffer. node:zlib's deflateRawSync builds a
// stream object, a native zlib handle and its ~150 KB of state, and a chunk list for every
// cluster, and node:zlib loads Node's stream classes. The zlib binding's handle (which node:zlib
// itself drives, and which process.binding still hands out: process-binding.ts) does the same
// deflate without those: 468 clusters of bench/img.js's 64 MiB image 370 -> 260 ms of CPU and
// the same bytes (deflateReset restarts a stream exactly as a new one). Where the binding is
// missing, answers otherwise, or under --pending-deprecation (process.binding would warn),
// node:zlib's deflateRawSync is used.
import type * as Zlib from 'node:zlib';
import { createRequire } from 'node:module';

/** The zlib binding's handle, as node:zlib (lib/zlib.js) drives it. */
interface ZlibHandle {
  init(windowBits: number, level: number, memLevel: number, strategy: number, writeState: Uint32Array, processCallback: () => void, dictionary: undefined): void;
  writeSync(flush: number, input: Uint8Array, inOff: number, inLen: number, out: Uint8Array, outOff: number, outLen: number): void;
  reset(): void;
  onerror?: (message: string, errno: number) => void;
}

const DEFLATERAW = 5; // zlib binding modes (node:zlib's constants)
const INFLATERAW = 6;
const Z_SYNC_FLUSH = 2;
const Z_FINISH = 4;
const Z_DEFAULT_COMPRESSION = -1;
const Z_DEFAULT_MEMLEVEL = 8;
const Z_DEFAULT_STRATEGY = 0;

let zlibModule: typeof Zlib | null = null;
/** node:zlib on first use only. */
export const nodeZlib = (): typeof Zlib => zlibModule ??= createRequire(import.meta.url)('node:zlib') as typeof Zlib;

function pendingDeprecation(): boolean {
  return process.execArgv.includes('--pending-deprecation') || /--pending-deprecation/.test(process.env.NODE_OPTIONS ?? '') ||
    process.env.NODE_PENDING_DEPRECATION === '1';
}

/** One zlib stream of the binding, reset after each whole buffer it processes. */
class RawStream {
  private readonly state = new Uint32Array(2); // [avail_out, avail_in] after each write
  private out = new Uint8Array(0);
  private failed = false;

  constructor(private readonly handle: ZlibHandle, readonly windowBits: number) {
    handle.onerror = () => { this.failed = true; };
    handle.init(windowBits, Z_DEFAULT_COMPRESSION, Z_DEFAULT_MEMLEVEL, Z_DEFAULT_STRATEGY, this.state, () => {}, undefined);
  }

  /** `data` through the stream in one call with `outLen` bytes of room: the output, or null
   * when zlib failed or the room was all used (the caller then takes node:zlib's path). */
  run(flush: number, data: Uint8Array, outLen: number): Uint8Array | null {
    if (this.out.length < outLen) this.out = new Uint8Array(outLen);
    this.handle.writeSync(flush, data, 0, data.length, this.out, 0, outLen);
    const availOut = this.state[0];
    const res = !this.failed && availOut > 0 ? this.out.slice(0, outLen - availOut) : null;
    if (!this.failed) this.handle.reset();
    return res;
  }

  get broken(): boolean { return this.failed; }
}

let deflater: RawStream | null | undefined;
let inflater: RawStream | null | undefined;

/** Node versions whose zlib binding has the init/writeSync/reset signatures used here (lib/zlib.js
 * of 20 and 22 calls them so): a handle whose init fails aborts the process at exit ("close
 * before init"), so other versions take node:zlib. */
const bindingVersionKnown = (): boolean => { const major = Number(process.versions.node.split('.')[0]); return major === 20 || major === 22; };

function openStream(mode: number, windowBits: number): RawStream | null {
  if (pendingDeprecation() || !bindingVersionKnown()) return null;
  const p = process as unknown as { binding?: (name: string) => Record<string, unknown> | undefined; noDeprecation?: boolean };
  const quiet = p.noDeprecation;
  try {
    p.noDeprecation = true;
    const Ctor = p.binding?.('zlib')?.Zlib as (new (mode: number) => ZlibHandle) | undefined;
    if (typeof Ctor !== 'function') return null;
    const z = new RawStream(new Ctor(mode), windowBits);
    // A known answer: "tsqemu" and its raw deflate at the default level.
    const text = [0x74, 0x73, 0x71, 0x65, 0x6d, 0x75], packed = [0x2b, 0x29, 0x2e, 0x4c, 0xcd, 0x2d, 0x05, 0x00];
    const [input, want] = mode === DEFLATERAW ? [text, packed] : [packed, text];
    const probe = z.run(mode === DEFLATERAW ? Z_FINISH : Z_SYNC_FLUSH, new Uint8Array(input), 64);
    if (!probe || probe.length !== want.length || probe.some((b, i) => b !== want[i])) return null;
    return z;
  } catch {
    return null;
  } finally {
    p.noDeprecation = quiet;
  }
}

/** Raw deflate (zlib, default level) with QEMU's window bits for qcow2 clusters. */
export function deflateRawCluster(data: Uint8Array, windowBits: number): Uint8Array {
  if (deflater === undefined) deflater = openStream(DEFLATERAW, windowBits);
  if (deflater && deflater.windowBits === windowBits && !deflater.broken) {
    // zlib's conservative deflateBound (window bits or memLevel not the defaults): incompressible
    // clusters come out a little longer than they went in, and must fit in one pass.
    const n = data.length;
    const r = deflater.run(Z_FINISH, data, n + (n >>> 5) + (n >>> 7) + (n >>> 11) + 7 + 64);
    if (r) return r;
  }
  const z = nodeZlib();
  return new Uint8Array(z.deflateRawSync(data, { windowBits, level: z.constants.Z_DEFAULT_COMPRESSION }));
}

/**
 * A compressed cluster's raw deflate stream inflated (trailing input, the rest of its last
 * sector, is ignored): up to 2 * outLen bytes, as node:zlib's inflateRawSync with
 * maxOutputLength; the caller checks the length. Whatever the reused stream cannot finish
 * (corrupt data, too much output) goes through inflateRawSync, which reports it as before.
 */
export function inflateRawCluster(data: Uint8Array, outLen: number): Uint8Array {
  if (inflater === undefined) inflater = openStream(INFLATERAW, 15);
  if (inflater && !inflater.broken) {
    const r = inflater.run(Z_SYNC_FLUSH, data, 2 * outLen + 1);
    if (r) return r;
  }
  const z = nodeZlib();
  const out = z.inflateRawSync(data, { windowBits: 15, finishFlush: z.constants.Z_SYNC_FLUSH, maxOutputLength: outLen * 2 });
  return new Uint8Array(out.buffer, out.byteOffset, out.length);
}
