// The default initramfs with extra files: the kernel unpacks a second (gzip'd newc) cpio
// archive concatenated to the first over it, so a test adds programs without rebuilding it.
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';

/** A newc cpio archive (what the kernel's initramfs unpacker reads) of executable `files`. */
export function newcArchive(files) {
  const parts = [];
  const pad4 = (n) => Buffer.alloc((4 - (n % 4)) % 4);
  let ino = 1000;
  const entry = (name, mode, data) => {
    const f = [ino++, mode, 0, 0, 1, 0, data.length, 0, 0, 0, 0, name.length + 1, 0];
    const hdr = Buffer.from('070701' + f.map((v) => v.toString(16).padStart(8, '0')).join('') + name + '\0', 'latin1');
    parts.push(hdr, pad4(hdr.length), data, pad4(data.length));
  };
  for (const [name, data] of files) entry(name, 0o100755, data);
  entry('TRAILER!!!', 0, Buffer.alloc(0));
  return Buffer.concat(parts);
}

/** Write `base` + the archive of `files` ([name, Buffer][]) to `out`; returns `out`. */
export function initrdWith(base, files, out) {
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, Buffer.concat([fs.readFileSync(base), zlib.gzipSync(newcArchive(files))]));
  return out;
}
