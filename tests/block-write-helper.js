// Child process used by block tests: apply random writes to an image through openDrive
// (the path virtio-blk uses). argv: image format seed count size [slowms]
// With slowms, prints "op N" after each write so a parent can SIGKILL it mid-run.
// (node --test also runs this file with no arguments: then it does nothing.)
import { openDrive } from '../dist/host/node/block.js';
import { randomOps } from './img-helpers.js';

const [image, format, seed, count, size, slow] = process.argv.slice(2);
if (image === undefined) process.exit(0);
process.on('uncaughtException', (e) => { process.stderr.write(`error: ${e.message}\n`); process.exit(1); });
const blk = await openDrive(new Map([['file', image], ['format', format], ['cache', 'writeback']]));
const ops = randomOps(Number(seed), Number(size), Number(count));
let n = 0;
for (const op of ops) {
  if (op.zero) await blk.pwriteZeroes(op.off, op.len, n % 2 === 0);
  else await blk.pwrite(op.off, op.data);
  n++;
  if (slow) process.stdout.write(`op ${n}\n`);
}
await blk.close();
process.stdout.write('done\n');
