// QMP memsave / pmemsave (QEMU's qmp_memsave, qmp_pmemsave): guest memory, virtual (through the
// chosen hart's MMU) or physical, into a host file. Test harnesses use them to read results.
import * as fs from 'node:fs';
import { QmpError, registerCommand } from '../monitor/monitor.js';
import type { JsonValue } from '../monitor/json-stream.js';
import type { MonitorContext } from '../monitor/vm.js';
import { riscvMemoryDebug } from '../target/riscv/mmu-debug.js';
import { strerror } from '../host/node/strerror.js';

const CHUNK = 1024; // QEMU's buffer

function save(a: Record<string, JsonValue>, ctx: MonitorContext, phys: boolean): undefined {
  const cpu = a['cpu-index'] === undefined ? ctx.cpuIndex : Number(a['cpu-index']);
  const env = ctx.vm.hartEnv(cpu);
  if (!env) throw new QmpError('GenericError', "Parameter 'cpu-index' expects a CPU number");
  const file = String(a.filename);
  let fd: number;
  try {
    fd = fs.openSync(file, 'w', 0o600);
  } catch (e) {
    throw new QmpError('GenericError', `Could not open '${file}': ${strerror(e)}`);
  }
  try {
    const size = Number(a.size);
    const addr = BigInt.asUintN(64, BigInt(a.val as number));
    for (let done = 0; done < size; done += CHUNK) {
      const n = Math.min(CHUNK, size - done);
      const at = addr + BigInt(done);
      let buf = riscvMemoryDebug(env, at, n, phys);
      if (!buf) {
        // Physical reads of holes read zeroes (unassigned memory); a virtual address that does
        // not translate is QEMU's error.
        if (!phys) throw new QmpError('GenericError', `Invalid addr 0x${at.toString(16).padStart(16, '0')}/size ${n} specified`);
        buf = new Uint8Array(n);
        for (let i = 0; i < n; i++) buf[i] = riscvMemoryDebug(env, at + BigInt(i), 1, true)?.[0] ?? 0;
      }
      fs.writeSync(fd, buf);
    }
  } finally {
    fs.closeSync(fd);
  }
  return undefined;
}

registerCommand({
  name: 'memsave',
  args: [{ name: 'val', type: 'int' }, { name: 'size', type: 'int' }, { name: 'filename', type: 'str' }, { name: 'cpu-index', type: 'int', optional: true }],
  run: (a, ctx) => save(a, ctx, false),
});

registerCommand({
  name: 'pmemsave',
  args: [{ name: 'val', type: 'int' }, { name: 'size', type: 'int' }, { name: 'filename', type: 'str' }],
  run: (a, ctx) => save(a, ctx, true),
});
