// The chardev commands of QEMU's chardev/char.c and char-ringbuf.c: ringbuf-write and
// ringbuf-read (QMP and HMP), with QEMU's argument checks and error texts.
import { type MonitorCommand, QmpError, registerCommand } from './commands.js';
import type { JsonValue } from './json-stream.js';
import type { MonitorContext } from './vm.js';
import { RingbufChardev } from '../chardev/char-ringbuf.js';

const DATA_FORMAT = { enum: ['utf8', 'base64'], name: 'DataFormat' } as const;

function ringbuf(ctx: MonitorContext, device: string): RingbufChardev {
  const chr = ctx.vm.chardevBackend?.(device);
  if (!chr) throw new QmpError('GenericError', `Device '${device}' not found`);
  if (!(chr instanceof RingbufChardev)) throw new QmpError('GenericError', `${device} is not a ringbuf device`);
  return chr;
}

function fromBase64(text: string): Uint8Array {
  if (!/^[A-Za-z0-9+/\s]*={0,2}\s*$/.test(text)) throw new QmpError('GenericError', 'Base64 data is not valid');
  let bin: string;
  try {
    bin = atob(text.replace(/\s/g, ''));
  } catch {
    throw new QmpError('GenericError', 'Base64 data is not valid');
  }
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

function toBase64(data: Uint8Array): string {
  let bin = '';
  for (const b of data) bin += String.fromCharCode(b);
  return btoa(bin);
}

/** HMP prints what it read with backslashes doubled and control characters as \uXXXX (hmp_ringbuf_read). */
function hmpEscape(data: Uint8Array): string {
  let out = '';
  for (const c of new TextDecoder().decode(data)) {
    const code = c.codePointAt(0) ?? 0;
    if (c === '\\') out += '\\\\';
    else if (code < 0x20 || code === 0x7f) out += `\\u${code.toString(16).toUpperCase().padStart(4, '0')}`;
    else out += c;
  }
  return `${out}\n`;
}

const commands: MonitorCommand[] = [
  {
    name: 'ringbuf-write',
    args: [{ name: 'device', type: 'str' }, { name: 'data', type: 'str' }, { name: 'format', type: DATA_FORMAT, optional: true }],
    hmp: {
      names: 'ringbuf_write', params: 'device data', help: 'Write to a ring buffer character device',
      parse: (words, rest) => {
        if (words.length < 2) throw new QmpError('GenericError', 'Parameter \'data\' is missing');
        return { device: words[0], data: rest.slice(words[0].length).trimStart() };
      },
    },
    run: (a, ctx) => {
      const chr = ringbuf(ctx, String(a.device));
      const data = a.format === 'base64' ? fromBase64(String(a.data)) : new TextEncoder().encode(String(a.data));
      chr.write(data);
      return undefined;
    },
  },
  {
    name: 'ringbuf-read',
    args: [{ name: 'device', type: 'str' }, { name: 'size', type: 'int' }, { name: 'format', type: DATA_FORMAT, optional: true }],
    returns: 'str',
    hmp: {
      names: 'ringbuf_read', params: 'device size', help: 'Read from a ring buffer character device',
      parse: (words) => {
        if (words.length < 2) throw new QmpError('GenericError', 'Parameter \'size\' is missing');
        if (!/^-?[0-9]+$/.test(words[1])) throw new QmpError('GenericError', `invalid size '${words[1]}'`);
        return { device: words[0], size: Number(words[1]), format: 'base64' };
      },
      format: (ret) => hmpEscape(Uint8Array.from(atob(String(ret)), (c) => c.charCodeAt(0))),
    },
    run: (a, ctx): JsonValue => {
      const chr = ringbuf(ctx, String(a.device));
      const size = Number(a.size);
      if (!(size > 0)) throw new QmpError('GenericError', 'size must be greater than zero');
      const data = chr.read(Math.min(size, chr.size));
      return a.format === 'base64' ? toBase64(data) : new TextDecoder().decode(data);
    },
  },
];

for (const c of commands) registerCommand(c);
