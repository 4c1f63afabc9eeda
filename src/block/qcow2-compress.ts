// Compressed-cluster codecs, injected by the host (node:zlib on Node, CompressionStream in a
// browser) so the core stays free of host modules. qcow2 stores raw deflate streams (zlib
// without header, 4 KiB window) and, with compression_type=zstd, zstd frames.
import { QemuError } from '../qemu/error.js';

/**
 * zstd clusters (compression_type=zstd) through fzstd, a pure-JS decoder both hosts use. The
 * payload runs to a sector end, so bytes after the frame are ignored once the cluster is complete.
 */
export async function zstdDecompressCluster(data: Uint8Array, outLen: number): Promise<Uint8Array> {
  // Loaded on first use: its tables cost every start-up of every tool otherwise.
  const { Decompress: ZstdDecompress } = await import('fzstd');
  const out = new Uint8Array(outLen);
  let got = 0;
  const d = new ZstdDecompress((chunk) => {
    out.set(chunk.subarray(0, Math.max(0, Math.min(chunk.length, outLen - got))), got);
    got += chunk.length;
  });
  try { d.push(data, true); } catch (e) { if (got < outLen) throw e; }
  if (got < outLen) throw new Error('short zstd cluster');
  return out;
}

export interface Qcow2Codec {
  /** Raw deflate, window bits 12, as QEMU writes it. */
  deflate(data: Uint8Array): Promise<Uint8Array>;
  /** Inflate a raw deflate stream to exactly outLen bytes (trailing input ignored). */
  inflate(data: Uint8Array, outLen: number): Promise<Uint8Array>;
  /** zstd decompression, when the host has a decoder. */
  zstdDecompress?(data: Uint8Array, outLen: number): Promise<Uint8Array>;
}

let codec: Qcow2Codec | null = null;

export function setQcow2Codec(c: Qcow2Codec): void { codec = c; }

export function getQcow2Codec(): Qcow2Codec {
  if (!codec) throw new QemuError('qcow2 compression support is not available');
  return codec;
}
