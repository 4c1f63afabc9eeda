// What the host can give guest RAM: MemTotal + SwapTotal, the bound of Linux's overcommit
// heuristic that makes QEMU's one big allocation fail ("cannot set up guest memory"). Our RAM
// beyond the wasm memory is many smaller buffers, which the heuristic would each let through,
// so the limit is applied up front (imported for its effect by the system emulator).
import * as fs from 'node:fs';
import * as os from 'node:os';
import { setHostRamLimit } from '../../exec/memory.js';

function hostRamBytes(): number {
  try {
    const info = fs.readFileSync('/proc/meminfo', 'utf8');
    const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(info)?.[1] ?? 0) * 1024;
    const total = kb('MemTotal') + kb('SwapTotal');
    if (total > 0) return total;
  } catch { /* not Linux: os.totalmem() */ }
  return os.totalmem();
}

setHostRamLimit(hostRamBytes());
