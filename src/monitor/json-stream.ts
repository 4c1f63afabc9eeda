// QMP input framing and parsing (QEMU's json-lexer + json-streamer + json-parser): bytes arrive
// in any chunks; a message ends when its outermost {...} or [...] closes (newlines mean
// nothing). QEMU's extensions are accepted (single-quoted strings). Every bound is explicit, so
// a client cannot make us allocate without limit or recurse deeply.

/** Deepest nesting QEMU accepts (json-streamer.c MAX_NESTING). */
export const JSON_MAX_NESTING = 1024;
/** Largest message we buffer (QEMU bounds a token at 64 MiB; a whole message here). */
export const JSON_MAX_MESSAGE = 16 << 20;

export type JsonValue = null | boolean | number | string | JsonValue[] | { [k: string]: JsonValue | undefined };
export type JsonObject = { [k: string]: JsonValue | undefined };

/** One parsed message, or the error QEMU reports for it ("JSON parse error, ..."). */
export type JsonMessage = { ok: true; value: JsonValue } | { ok: false; error: string };

export class JsonStreamer {
  private buf: string[] = [];
  private len = 0;
  private depth = 0;
  /** Inside a string: its quote character; escape: the previous char was a backslash. */
  private quote = '';
  private escape = false;
  /** A scalar (keyword, number) at top level is being read. */
  private scalar = false;
  /** After a limit error, the rest of the line is dropped (its remaining brackets would
   * otherwise swallow the next messages). */
  private skipLine = false;

  constructor(private readonly emit: (m: JsonMessage) => void) {}

  private reset(): void {
    this.buf = [];
    this.len = 0;
    this.depth = 0;
    this.quote = '';
    this.escape = false;
    this.scalar = false;
  }

  private fail(error: string): void {
    this.reset();
    this.emit({ ok: false, error });
  }

  private flush(): void {
    const text = this.buf.join('');
    this.reset();
    this.emit(parseJson(text));
  }

  feed(text: string): void {
    for (const ch of text) {
      if (this.skipLine) { if (ch === '\n') this.skipLine = false; continue; }
      if (this.scalar && !/[A-Za-z0-9.+\-_]/.test(ch)) this.flush();
      if (this.len >= JSON_MAX_MESSAGE) { this.fail('JSON token size limit exceeded'); this.skipLine = ch !== '\n'; continue; }
      if (this.quote) {
        this.push(ch);
        if (this.escape) this.escape = false;
        else if (ch === '\\') this.escape = true;
        else if (ch === this.quote) {
          this.quote = '';
          if (this.depth === 0) this.flush();
        }
        continue;
      }
      if (ch === ' ' || ch === '\t' || ch === '\r' || ch === '\n') {
        if (this.depth > 0) this.push(ch);
        continue;
      }
      if (ch === '"' || ch === "'") { this.quote = ch; this.push(ch); continue; }
      if (ch === '{' || ch === '[') {
        if (++this.depth > JSON_MAX_NESTING) { this.fail('JSON nesting depth limit exceeded'); this.skipLine = true; continue; }
        this.push(ch);
        continue;
      }
      if (ch === '}' || ch === ']') {
        if (this.depth === 0) { this.fail('JSON parse error, expecting value'); continue; }
        this.push(ch);
        if (--this.depth === 0) this.flush();
        continue;
      }
      if (this.depth === 0) {
        if (/[A-Za-z0-9\-]/.test(ch)) { this.scalar = true; this.push(ch); continue; }
        this.fail(ch === ':' || ch === ',' ? 'JSON parse error, expecting value' : `JSON parse error, stray '${ch}'`);
        continue;
      }
      this.push(ch);
    }
  }

  private push(ch: string): void {
    this.buf.push(ch);
    this.len++;
  }
}

/** Recursive-descent parse of one message (nesting is bounded by the streamer). */
export function parseJson(text: string): JsonMessage {
  const p = new Parser(text);
  try {
    const v = p.value(0);
    p.ws();
    if (p.pos < text.length) throw new ParseError('expecting value');
    return { ok: true, value: v };
  } catch (e) {
    if (e instanceof ParseError) return { ok: false, error: `JSON parse error, ${e.message}` };
    throw e;
  }
}

class ParseError extends Error {}

class Parser {
  pos = 0;
  constructor(private readonly s: string) {}

  ws(): void {
    while (this.pos < this.s.length && ' \t\r\n'.includes(this.s[this.pos])) this.pos++;
  }

  value(depth: number): JsonValue {
    if (depth > JSON_MAX_NESTING) throw new ParseError('nesting too deep');
    this.ws();
    const c = this.s[this.pos];
    if (c === '{') return this.object(depth);
    if (c === '[') return this.array(depth);
    if (c === '"' || c === "'") return this.string();
    if (c !== undefined && /[-0-9]/.test(c)) return this.number();
    if (c !== undefined && /[A-Za-z]/.test(c)) {
      const m = /^[A-Za-z0-9_]+/.exec(this.s.slice(this.pos, this.pos + 64)) as RegExpExecArray;
      this.pos += m[0].length;
      if (m[0] === 'true') return true;
      if (m[0] === 'false') return false;
      if (m[0] === 'null') return null;
      throw new ParseError(`invalid keyword '${m[0]}'`);
    }
    throw new ParseError('expecting value');
  }

  private object(depth: number): JsonObject {
    this.pos++;
    const o: JsonObject = {};
    this.ws();
    if (this.s[this.pos] === '}') { this.pos++; return o; }
    for (;;) {
      this.ws();
      const c = this.s[this.pos];
      if (c !== '"' && c !== "'") throw new ParseError('key is not a string in object');
      const k = this.string();
      this.ws();
      if (this.s[this.pos] !== ':') throw new ParseError('missing : in object pair');
      this.pos++;
      const v = this.value(depth + 1);
      if (Object.prototype.hasOwnProperty.call(o, k)) throw new ParseError(`duplicate key '${k}'`);
      Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
      this.ws();
      const d = this.s[this.pos++];
      if (d === '}') return o;
      if (d !== ',') throw new ParseError('expected separator in dict');
    }
  }

  private array(depth: number): JsonValue[] {
    this.pos++;
    const a: JsonValue[] = [];
    this.ws();
    if (this.s[this.pos] === ']') { this.pos++; return a; }
    for (;;) {
      a.push(this.value(depth + 1));
      this.ws();
      const d = this.s[this.pos++];
      if (d === ']') return a;
      if (d !== ',') throw new ParseError('expected separator in list');
    }
  }

  private string(): string {
    const q = this.s[this.pos++];
    let out = '';
    for (;;) {
      const c = this.s[this.pos++];
      if (c === undefined) throw new ParseError('missing terminating quote');
      if (c === q) return out;
      if (c !== '\\') { out += c; continue; }
      const e = this.s[this.pos++];
      switch (e) {
        case '"': case "'": case '\\': case '/': out += e; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          const h = this.s.slice(this.pos, this.pos + 4);
          if (!/^[0-9a-fA-F]{4}$/.test(h)) throw new ParseError('invalid hex escape sequence in string');
          out += String.fromCharCode(parseInt(h, 16));
          this.pos += 4;
          break;
        }
        default: throw new ParseError('invalid escape sequence in string');
      }
    }
  }

  private number(): number {
    const m = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?/.exec(this.s.slice(this.pos, this.pos + 400));
    if (!m) throw new ParseError('expecting value');
    this.pos += m[0].length;
    return Number(m[0]);
  }
}

/**
 * QEMU's output formatting (qobject_to_json): ", " and ": " separators, non-ASCII as \uXXXX
 * (upper-case hex), so replies compare byte for byte with real QEMU's.
 */
export function toQmpJson(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'number') return Number.isFinite(v) ? (Number.isInteger(v) ? v.toFixed(0) : String(v)) : 'null';
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'string') return quote(v);
  if (Array.isArray(v)) return `[${v.map(toQmpJson).join(', ')}]`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o).filter((k) => o[k] !== undefined).map((k) => `${quote(k)}: ${toQmpJson(o[k])}`).join(', ')}}`;
}

function quote(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x22) out += '\\"';
    else if (c === 0x5c) out += '\\\\';
    else if (c === 0x0a) out += '\\n';
    else if (c === 0x0d) out += '\\r';
    else if (c === 0x09) out += '\\t';
    else if (c === 0x08) out += '\\b';
    else if (c === 0x0c) out += '\\f';
    else if (c < 0x20 || c >= 0x7f) out += `\\u${c.toString(16).toUpperCase().padStart(4, '0')}`;
    else out += s[i];
  }
  return out + '"';
}
