// The ELF loader reads a program in pieces (src/linux-user/elfload.ts ElfFile: the headers, then
// each segment straight into guest memory; start-up round 6): headers that lie beyond the first
// bytes read are fetched through the reader, and every answer is the whole-file parse's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';
import { ccSpawnSync } from './helpers/cc-cache.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { parseElf } = await import(path.join(root, 'dist/linux-user/elfload.js'));
const missing = spawnSync('sh', ['-c', 'command -v riscv64-linux-gnu-gcc']).status === 0 ? null : 'riscv64-linux-gnu-gcc';

/** An ElfFile over `bytes` whose first `head` bytes are given; counts the reads. */
function pieces(bytes, head) {
  const reads = [];
  return {
    reads,
    file: { head: bytes.subarray(0, head), size: bytes.length, readAt(dst, off) { reads.push([off, dst.length]); dst.set(bytes.subarray(off, off + dst.length)); } },
  };
}

test('parseElf of a file read in pieces equals the whole file\'s; ENOEXEC past its end', { skip: missing ?? false }, () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tsqemu-elf-'));
  try {
    const src = path.join(tmp, 'p.c');
    fs.writeFileSync(src, 'int main(void) { return 0; }\n');
    for (const flags of [['-static'], []]) { // static; dynamic (PT_INTERP)
      const exe = path.join(tmp, `p${flags.length}`);
      const b = ccSpawnSync('riscv64-linux-gnu-gcc', ['-O2', ...flags, '-o', exe, src], { encoding: 'utf8' });
      assert.equal(b.status, 0, b.stderr);
      const bytes = new Uint8Array(fs.readFileSync(exe));
      const whole = parseElf(bytes);
      for (const head of [64, 4096, bytes.length]) {
        const p = pieces(bytes, head);
        assert.deepEqual(parseElf(p.file), whole, `head ${head}`);
        if (head === 64) assert.ok(p.reads.length >= 1, 'the program headers were read through readAt');
        if (head === bytes.length) assert.equal(p.reads.length, 0);
      }
      if (!flags.length) assert.match(whole.interp, /ld-linux-riscv64/);
      // A file whose size ends before its program headers: ENOEXEC, as the whole file's.
      const cut = bytes.subarray(0, 100);
      assert.throws(() => parseElf(cut), (e) => e.errno === 8);
      assert.throws(() => parseElf({ head: cut, size: cut.length, readAt() { throw new Error('read past the end'); } }), (e) => e.errno === 8);
    }
  } finally { fs.rmSync(tmp, { recursive: true, force: true }); }
});
