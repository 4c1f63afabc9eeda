// AF_PACKET sockets and the SIOCGIF* interface queries (if_nametoindex) in tsqemu-riscv64,
// compared with real Linux (the program built for the host) and Debian's qemu-riscv64 7.2.
// Needs root (CAP_NET_RAW); the test's datagram is found among other traffic on lo by a marker.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ccSpawnSync } from './helpers/cc-cache.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cli = path.join(root, 'dist/cli/riscv64.js');
const have = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const missing = ['riscv64-linux-gnu-gcc', 'qemu-riscv64', 'gcc'].find((c) => !have(c)) ?? null;
const noProc = fs.existsSync(path.join(root, 'native/build/Release/tsqemu_proc.node')) ? null : 'native addon tsqemu_proc not built';
const notRoot = process.getuid?.() === 0 ? null : 'needs root (raw sockets)';

test('AF_PACKET raw and dgram sockets on lo, sockaddr_ll and if_nametoindex as Linux and qemu-riscv64', { skip: missing ? `${missing} not installed` : noProc ?? notRoot ?? false }, () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tsqemu-packet-'));
  try {
    const src = path.join(root, 'tests/linux-user/packet.c');
    const rv = path.join(tmp, 'packet-rv'), host = path.join(tmp, 'packet-host');
    assert.equal(ccSpawnSync('riscv64-linux-gnu-gcc', ['-O1', '-static', '-o', rv, src]).status, 0);
    assert.equal(ccSpawnSync('gcc', ['-O1', '-o', host, src]).status, 0);
    const run = (argv) => {
      const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8', timeout: 60000 });
      return { stdout: r.stdout, stderr: r.stderr, status: r.status };
    };
    const linux = run([host]);
    assert.equal(linux.status, 0, linux.stderr);
    assert.match(linux.stdout, /^raw: len \d+ family 17 proto 0x800 ifindex-is-lo 1 .*\ngetsockname: family 17 ifindex-is-lo 1 len 18\ndgram: /);
    assert.deepEqual(run(['qemu-riscv64', rv]), linux);
    assert.deepEqual(run([process.execPath, cli, rv]), linux);
  } finally { fs.rmSync(tmp, { recursive: true, force: true }); }
});
