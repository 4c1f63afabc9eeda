// QMP fuzz pass: malformed JSON, oversized and deeply nested messages, wrong types, unknown
// commands, commands before negotiation, random bytes. Each gets QEMU's error reply (wording
// measured on qemu-system-riscv64 7.2); the monitor keeps answering and the guest keeps running.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { BIN, tmpdir } from './system-helpers.js';
import { QmpClient, startEmu, rmrf } from './qmp-helpers.js';

/** [input, error class, desc (string: equal, RegExp: match)] */
const CASES = [
  ['{"execute":"query-status"}\n', 'CommandNotFound', "Expecting capabilities negotiation with 'qmp_capabilities'"],
  ['{"execute":"qmp_capabilities"}\n', null],
  ['[1,2]\n', 'GenericError', 'QMP input must be a JSON object'],
  ['"str"\n', 'GenericError', 'QMP input must be a JSON object'],
  ['{"foo":1}\n', 'GenericError', "QMP input member 'foo' is unexpected"],
  ['{"execute":1}\n', 'GenericError', "QMP input member 'execute' must be a string"],
  ['{"execute":"query-status","arguments":[]}\n', 'GenericError', "QMP input member 'arguments' must be an object"],
  ['{"arguments":{}}\n', 'GenericError', "QMP input lacks member 'execute'"],
  ['{"execute":"human-monitor-command","arguments":{}}\n', 'GenericError', "Parameter 'command-line' is missing"],
  ['{"execute":"human-monitor-command","arguments":{"command-line":5}}\n', 'GenericError', "Invalid parameter type for 'command-line', expected: string"],
  ['{"execute":"qom-list","arguments":{"path":true}}\n', 'GenericError', "Invalid parameter type for 'path', expected: string"],
  ['{"execute":"migrate-set-capabilities","arguments":{"capabilities":[{"capability":"nope","state":true}]}}\n', 'GenericError', "Parameter 'capability' does not accept value 'nope'"],
  ['{"execute":"qmp_capabilities"}\n', 'CommandNotFound', 'Capabilities negotiation is already complete, command ignored'],
  ['{"execute":"no-such-command"}\n', 'CommandNotFound', 'The command no-such-command has not been found'],
  ['{"execute":"hmp-log"}\n', 'CommandNotFound', 'The command hmp-log has not been found'],
  ['{"execute":"query-status","arguments":{"a":1}}\n', 'GenericError', "Parameter 'a' is unexpected"],
  ['{"execute":"query-status","id":{"a":[1]},"extra":2}\n', 'GenericError', "QMP input member 'extra' is unexpected"],
  ['bad\n', 'GenericError', "JSON parse error, invalid keyword 'bad'"],
  ['{"execute":"query-status",}\n', 'GenericError', /^JSON parse error/],
  ['}\n', 'GenericError', 'JSON parse error, expecting value'],
  [`${'['.repeat(1100)}\n`, 'GenericError', 'JSON nesting depth limit exceeded'],
  [`{"execute":"query-status","id":"${'x'.repeat(17 << 20)}"}\n`, 'GenericError', 'JSON token size limit exceeded'],
  ['{"execute":"human-monitor-command","arguments":{"command-line":"x/100000000xg 0"}}\n', null],
  ['{"execute":"human-monitor-command","arguments":{"command-line":"p 1/0"}}\n', null],
  ['{"execute":"human-monitor-command","arguments":{"command-line":"xp/4i 0xffffffffffffff00"}}\n', null],
  ['{"execute":"qom-get","arguments":{"path":"/machine","property":"__proto__"}}\n', 'GenericError', /not found/],
  ['{"execute":"query-status","id":"\\u00e9\\ud83d\\ude00"}\n', null],
];

test('QMP fuzz: every bad input gets QEMU\'s error, the monitor and the guest survive', { timeout: 180_000 }, async () => {
  const dir = tmpdir();
  const sock = path.join(dir, 'qmp');
  const emu = startEmu(BIN, ['-display', 'none', '-nodefaults', '-m', '128', '-qmp', `unix:${sock},server=on,wait=off`]);
  try {
    const c = await QmpClient.connect(sock);
    await c.greeting();
    for (const [input, cls, desc] of CASES) {
      const r = await c.sendRaw(input);
      const what = `${input.slice(0, 80)} -> ${JSON.stringify(r).slice(0, 300)}`;
      if (cls === null) { assert.ok('return' in r, what); continue; }
      assert.equal(r.error?.class, cls, what);
      if (desc instanceof RegExp) assert.match(r.error.desc, desc, what);
      else assert.equal(r.error.desc, desc, what);
      // The monitor still answers a good command after each bad one (once negotiated).
      if (c.raw.length > 3) assert.ok('return' in (await c.cmd('query-kvm')), `after ${what}`);
    }
    assert.equal((await c.cmd('query-status', undefined, 'u')).id, 'u');
    // Random bytes, then a reconnect: a new client starts over with a greeting.
    let seed = 1;
    const rnd = () => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed & 0xff; };
    c.sock.write(Buffer.from(Array.from({ length: 4096 }, rnd)));
    c.close();
    const d = await QmpClient.connect(sock);
    assert.ok((await d.greeting()).QMP);
    assert.deepEqual(await d.cmd('qmp_capabilities'), { return: {} });
    const st = await d.cmd('query-status');
    assert.equal(st.return.status, 'running');
    assert.equal(st.return.running, true);
    assert.deepEqual(await d.cmd('quit'), { return: {} });
    await d.event('SHUTDOWN');
    const ex = await emu.exit;
    assert.equal(ex.code, 0, emu.err);
  } finally {
    emu.p.kill('SIGKILL');
    rmrf(dir);
  }
});
