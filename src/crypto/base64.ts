// Strict base64 (RFC 4648, with padding) without Buffer/atob, for secrets and LUKS2 JSON.
// QEMU's qbase64_decode refuses anything outside the alphabet; so do we.
import { QemuError } from '../qemu/error.js';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const LOOKUP = new Int16Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) LOOKUP[ALPHABET.charCodeAt(i)] = i;

export function base64Encode(data: Uint8Array): string {
  let s = '';
  for (let i = 0; i < data.length; i += 3) {
    const n = (data[i] << 16) | ((data[i + 1] ?? 0) << 8) | (data[i + 2] ?? 0);
    s += ALPHABET[n >> 18] + ALPHABET[(n >> 12) & 63];
    s += i + 1 < data.length ? ALPHABET[(n >> 6) & 63] : '=';
    s += i + 2 < data.length ? ALPHABET[n & 63] : '=';
  }
  return s;
}

export function base64Decode(text: string, what = 'data'): Uint8Array {
  const bad = (): QemuError => new QemuError(`Base64 ${what} is invalid`);
  // JSON producers (json-c) may escape '/' as '\/' before we see it; that is JSON's business.
  if (text.length % 4 !== 0) throw bad();
  const pad = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  const out = new Uint8Array((text.length / 4) * 3 - pad);
  let o = 0;
  for (let i = 0; i < text.length; i += 4) {
    let n = 0;
    for (let j = 0; j < 4; j++) {
      const c = text.charCodeAt(i + j);
      const isPad = c === 61 && i + 4 === text.length && j >= 4 - pad;
      const v = isPad ? 0 : c < 128 ? LOOKUP[c] : -1;
      if (v < 0) throw bad();
      n = (n << 6) | v;
    }
    if (o < out.length) out[o++] = n >> 16;
    if (o < out.length) out[o++] = (n >> 8) & 255;
    if (o < out.length) out[o++] = n & 255;
  }
  return out;
}
