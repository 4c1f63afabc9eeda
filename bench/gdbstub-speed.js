// Guest speed under the GDB stub: instructions retired per second while continuing with no
// breakpoint (translated blocks) and with one breakpoint that is never hit (one interpreted
// instruction at a time with the pc checked). Usage: node bench/gdbstub-speed.js
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, TSQEMU, build } from '../tests/tcg-bare-helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'tsqemu-gdbbench-'));
const elf = build({ name: 'gdb-target', file: join(ROOT, 'tests', 'gdbstub', 'gdb-target.c') }, dir);
const le = (h) => BigInt('0x' + h.match(/../g).reverse().join(''));

async function measure(withBp, port) {
  const child = spawn(process.execPath, [TSQEMU, '-M', 'virt', '-bios', 'none', '-kernel', elf, '-nographic', '-S', '-gdb', `tcp::${port}`], { stdio: 'ignore' });
  await new Promise((r) => setTimeout(r, 1500));
  const s = connect(port, '127.0.0.1');
  let data = '';
  s.on('data', (d) => { data += d; });
  const send = (b) => { let x = 0; for (const c of Buffer.from(b)) x = (x + c) & 255; s.write(`$${b}#${x.toString(16).padStart(2, '0')}`); };
  const reply = async () => {
    for (;;) {
      const m = /\$([^#]*)#../.exec(data);
      if (m) { data = data.slice(m.index + m[0].length); s.write('+'); return m[1]; }
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  await new Promise((r) => s.on('connect', r));
  send('qSupported'); await reply();
  send('pc43'); const i0 = le(await reply()); // instret (65 + 0xc02)
  if (withBp) { send('Z0,1000,4'); await reply(); }
  send('c');
  await new Promise((r) => setTimeout(r, 3000));
  s.write(Buffer.from([3])); await reply();
  send('pc43'); const i1 = le(await reply());
  send('D'); await reply();
  s.destroy();
  child.kill();
  return Number(i1 - i0) / 3e6;
}

console.log(`no breakpoint:  ${(await measure(false, 40000 + Math.floor(Math.random() * 20000))).toFixed(1)} M insns/s`);
console.log(`one breakpoint: ${(await measure(true, 40000 + Math.floor(Math.random() * 20000))).toFixed(1)} M insns/s`);
rmSync(dir, { recursive: true, force: true });
