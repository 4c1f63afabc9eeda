// A guest stuck in a trap loop (ebreak with mtvec = 0: every trap faults again at address 0)
// retires no instruction; the emulator must still answer its monitor and end on SIGTERM, in
// every compiler mode and with harts on threads (found by the riscv-arch-test privilege tests).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const SYSTEM = new URL('../dist/cli/system-riscv64.js', import.meta.url).pathname;
const MODES = [[], ['-accel', 'tcg,jit-threshold=1'], ['-smp', '2', '-accel', 'tcg,thread=multi']];

function untilOutput(child, re, ms) {
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`no ${re} in ${ms} ms; output: ${out}`)), ms);
    const on = (d) => { out += d; if (re.test(out)) { clearTimeout(timer); resolve(out); } };
    child.stdout.on('data', on); child.stderr.on('data', on);
  });
}

for (const mode of MODES) {
  test(`trap loop: monitor answers and SIGTERM ends it (${mode.join(' ') || 'default'})`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tsqemu-traploop-'));
    let child;
    try {
      const kernel = join(dir, 'ebreak.bin');
      writeFileSync(kernel, Buffer.from([0x73, 0x00, 0x10, 0x00])); // ebreak at 0x80000000
      child = spawn(process.execPath, [SYSTEM, '-M', 'virt', '-bios', 'none', '-kernel', kernel,
        '-display', 'none', '-serial', 'none', '-monitor', 'stdio', ...mode], { stdio: 'pipe' });
      const exited = new Promise((resolve) => child.on('exit', (code, sig) => resolve({ code, sig })));
      await untilOutput(child, /\(qemu\) /, 30000);
      await new Promise((r) => setTimeout(r, 500)); // let it loop
      const status = untilOutput(child, /VM status: running/, 30000);
      child.stdin.write('info status\n');
      await status;
      const term = untilOutput(child, /terminating on signal 15/, 30000);
      child.kill('SIGTERM');
      await term;
      const { code, sig } = await exited;
      assert.equal(sig, null);
      assert.equal(code, 0);
    } finally {
      if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
