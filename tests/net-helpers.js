// Helpers for the network tests: a guest with a DHCP script, a tiny DNS server, free ports.
import dgram from 'node:dgram';
import net from 'node:net';
import assert from 'node:assert/strict';
import { NetClientState } from '../dist/net/net.js';

/** The in-process stack tests' guest and gateway MACs, and a NIC that keeps what it receives. */
export const GUEST_MAC = new Uint8Array([0x52, 0x54, 0, 0x12, 0x34, 0x56]);
export const GW_MAC = new Uint8Array([0x52, 0x55, 10, 0, 2, 2]);
export class FakeNic extends NetClientState {
  type = 'nic';
  frames = [];
  receive(f) { this.frames.push(f); return true; }
  infoStr() { return 'fake'; }
}

/** The udhcpc script the guest runs (BusyBox ships none): configure eth0 from the lease. */
export const UDHCPC_SCRIPT = '#!/bin/sh\\n[ "$1" = bound ] && ifconfig $interface $ip netmask $subnet && ' +
  'route add default gw $router && echo nameserver $dns > /etc/resolv.conf && echo hostname=$hostname > /tmp/lease\\nexit 0\\n';

/** Bring eth0 up and take a DHCP lease; returns udhcpc's output. */
export async function guestDhcp(c) {
  await c.sh(`printf '${UDHCPC_SCRIPT}' > /tmp/dhcp.sh; chmod +x /tmp/dhcp.sh; ifconfig eth0 up`);
  return c.sh('udhcpc -i eth0 -s /tmp/dhcp.sh -n -q -t 5 2>&1', 90_000);
}

/** A TCP port that was free a moment ago on 127.0.0.1. */
export function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** A DNS server on 127.0.0.1 answering A queries from `names` ({ name: 'a.b.c.d' }), NXDOMAIN otherwise. */
export function dnsServer(names) {
  const s = dgram.createSocket('udp4');
  s.queries = [];
  s.on('message', (q, r) => {
    if (q.length < 12) return;
    let i = 12;
    const labels = [];
    while (i < q.length && q[i] !== 0) { labels.push(q.subarray(i + 1, i + 1 + q[i]).toString()); i += q[i] + 1; }
    const qend = i + 5;
    const name = labels.join('.');
    const qtype = q.readUInt16BE(i + 1);
    s.queries.push(`${name}/${qtype}`);
    const ip = names[name];
    const ans = ip && qtype === 1;
    const hdr = Buffer.alloc(12);
    q.copy(hdr, 0, 0, 2);
    hdr.writeUInt16BE(0x8180 | (ip ? 0 : 3), 2); // response, RD, RA; NXDOMAIN for unknown names
    hdr.writeUInt16BE(1, 4);
    hdr.writeUInt16BE(ans ? 1 : 0, 6);
    const parts = [hdr, q.subarray(12, qend)];
    if (ans) {
      const rr = Buffer.alloc(16);
      rr.writeUInt16BE(0xc00c, 0); rr.writeUInt16BE(1, 2); rr.writeUInt16BE(1, 4); rr.writeUInt32BE(60, 6); rr.writeUInt16BE(4, 10);
      ip.split('.').forEach((b, k) => { rr[12 + k] = Number(b); });
      parts.push(rr);
    }
    s.send(Buffer.concat(parts), r.port, r.address);
  });
  return new Promise((resolve) => s.bind(0, '127.0.0.1', () => resolve(s)));
}

/** Wait until a TCP (or UDP with proto 'u') listener on `port` exists in the guest. */
export async function waitListen(c, port, proto = 't') {
  for (let i = 0; i < 240; i++) { // a minute and more: a guest on a loaded host
    if ((await c.sh(`netstat -ln${proto} | grep -c ':${port} '`)) !== '0') return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`nothing listens on port ${port} in the guest`);
}

/** Ping and a TCP transfer (nc) in both directions between a (ipA) and b (ipB). */
export async function checkLink(a, ipA, b, ipB, port) {
  assert.match(await a.sh(`ping -c 2 -W 10 ${ipB}`, 60_000), /2 packets transmitted, 2 packets received/);
  assert.match(await b.sh(`ping -c 2 -W 10 ${ipA}`, 60_000), /2 packets transmitted, 2 packets received/);
  for (const [src, dst, dstIp] of [[a, b, ipB], [b, a, ipA]]) {
    await dst.sh(`rm -f /tmp/r /tmp/r.done; (nc -l -p ${port} < /dev/null > /tmp/r; echo done > /tmp/r.done) & sleep 0`);
    await waitListen(dst, port);
    const sent = await src.sh(`dd if=/dev/urandom of=/tmp/x bs=1024 count=768 2>/dev/null; nc ${dstIp} ${port} < /tmp/x; sha256sum /tmp/x | cut -d' ' -f1`, 120_000);
    let done = '';
    for (let i = 0; i < 240 && done !== 'done'; i++) done = await dst.sh('sleep 0.5; cat /tmp/r.done 2>/dev/null');
    const got = await dst.sh("sha256sum /tmp/r | cut -d' ' -f1");
    assert.equal(got, /^[0-9a-f]{64}$/m.exec(sent)?.[0]);
  }
}

/** Side-by-side guest commands on `emu.tsqemu` and `emu.qemu` (each `{ c }` with c.sh):
 * `both` gives [tsqemu, qemu] outputs, `same` asserts they are equal and returns it. */
export function sideBySide(emu) {
  const both = (cmd, timeoutMs = 90_000) => Promise.all([emu.tsqemu.c.sh(cmd, timeoutMs), emu.qemu.c.sh(cmd, timeoutMs)]);
  const same = async (cmd, timeoutMs) => {
    const [ts, q] = await both(cmd, timeoutMs);
    assert.equal(ts, q, `guest command: ${cmd}`);
    return ts;
  };
  return { both, same };
}
