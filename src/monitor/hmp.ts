// The HMP front end (QEMU's monitor/hmp.c): a line editor on a chardev (the mux's Ctrl-A c, or
// a -monitor socket), and hmpExecute(), which human-monitor-command shares. Commands come from
// the one command table (their HMP spelling and text formatting); `info` subcommands, x/xp,
// print and help are HMP's own.
import type { ChrEvent, Chardev } from '../chardev/char.js';
import type { MuxFrontend } from '../chardev/char-mux.js';
import { type CommandTable, QmpError } from './commands.js';
import type { MonitorContext, MonitorEvents, MonitorVM } from './vm.js';
import { QEMU_VERSION } from './qom.js';
import { riscvMemoryDebug } from '../target/riscv/mmu-debug.js';
import { riscvDisasLine } from '../target/riscv/disas.js';
import { hmpRegister } from './hmp-info.js';

const MAX_LINE = 1024;
/** Largest x/xp dump (QEMU has none; a guest-sized count must not make us allocate gigabytes). */
const MAX_DUMP = 64 * 1024;

/** Run one HMP command line; its output ("\n" line ends). */
export async function hmpExecute(line: string, ctx: MonitorContext): Promise<string> {
  const cmdline = line.trim();
  if (cmdline === '') return '';
  const m = /^(\S+?)(\/\S*)?(?:\s+(.*))?$/.exec(cmdline) as RegExpExecArray;
  const [, name, fmt0, restRaw] = m;
  let fmt = fmt0;
  let rest = (restRaw ?? '').trim();
  // `x /4x addr`, as QEMU users type it: the format may stand apart from the command.
  if (fmt === undefined && /^(x|xp|p|print)$/.test(name) && rest.startsWith('/')) {
    const sp = /^(\S+)\s*(.*)$/.exec(rest) as RegExpExecArray;
    fmt = sp[1];
    rest = sp[2];
  }
  const words = rest === '' ? [] : rest.split(/\s+/);
  try {
    switch (name) {
      case 'help': case '?': return help(ctx.table, words[0]);
      case 'info': return await info(ctx, words);
      case 'x': case 'xp': return memoryDump(ctx, name === 'xp', fmt, rest);
      case 'p': case 'print': return printExpr(ctx, fmt, rest);
      case 'cpu': {
        if (words.length === 0) throw new HmpArgError('unexpected end of expression');
        const i = Number(words[0]);
        if (!/^[0-9]+$/.test(words[0] ?? '') || !ctx.vm.hartEnv(i)) return 'invalid CPU index\n';
        ctx.cpuIndex = i;
        return '';
      }
    }
    const cmd = ctx.table.hmp(name);
    if (!cmd || !cmd.hmp) return `unknown command: '${name}'\n`;
    const args = cmd.hmp.parse ? cmd.hmp.parse(words, rest) : {};
    const ret = await cmd.run(args, ctx);
    return cmd.hmp.format ? cmd.hmp.format(ret ?? {}, ctx) : '';
  } catch (e) {
    // QEMU's monitor_parse_arguments failures: the reason, then where to look.
    if (e instanceof HmpArgError) {
      return `${e.message === EXTRANEOUS ? `${name === 'p' || name === 'print' ? 'print|p' : name}: extraneous characters at the end of line` : e.message}\nTry "help ${name}" for more information\n`;
    }
    if (e instanceof QmpError || e instanceof HmpError) return `Error: ${e.message}\n`;
    return `internal error: ${e instanceof Error ? e.message : String(e)}\n`;
  }
}

export class HmpError extends Error {}
/** A command line's arguments QEMU's parser refuses (bad format, bad expression). */
export class HmpArgError extends Error {}
/** Text after a complete expression (QEMU: "x: extraneous characters at the end of line"). */
const EXTRANEOUS = '\0extraneous';

function help(table: CommandTable, topic: string | undefined): string {
  const lines: [string, string][] = [
    ['cpu index', 'set the default CPU'],
    ['help|? [cmd]', 'show the help'],
    ['info [subcommand]', 'show various information about the system state'],
    ['print|p /fmt expr', 'print expression value (use $reg for CPU register access)'],
    ['x /fmt addr', 'virtual memory dump starting at \'addr\''],
    ['xp /fmt addr', 'physical memory dump starting at \'addr\''],
  ];
  for (const c of table.hmpCommands()) {
    const h = c.hmp as NonNullable<typeof c.hmp>;
    lines.push([`${h.names} ${h.params ?? ''}`, h.help]);
  }
  lines.sort((a, b) => a[0].localeCompare(b[0]));
  if (topic === 'info') return infoHelp(table);
  const pick = topic === undefined ? lines : lines.filter(([u]) => u.split(/[| ]/).includes(topic));
  if (topic !== undefined && pick.length === 0) return `unknown command: '${topic}'\n`;
  return pick.map(([u, h]) => `${u.includes(' ') ? u.trimEnd() : `${u} `} -- ${h}\n`).join('');
}

function infoHelp(table: CommandTable): string {
  return table.infoCommands().map((i) => `info ${i.name} ${i.params ?? ''} -- ${i.help}\n`).join('');
}

async function info(ctx: MonitorContext, words: string[]): Promise<string> {
  if (words.length === 0) return infoHelp(ctx.table);
  const i = ctx.table.info(words[0]);
  if (!i) return `unknown command: 'info ${words[0]}'\n`;
  return i.run(words.slice(1), ctx);
}

// ---- x / xp (QEMU's memory_dump) ----

/** Sticky across commands, as QEMU's default_fmt_format/size. */
let lastFormat = 'x';
let lastSize = 4;

function parseFormat(fmt: string | undefined): { count: number; format: string; size: number } {
  let count = 1, format = lastFormat, size = -1;
  if (fmt) {
    const m = /^\/([0-9]*)([a-z]*)$/.exec(fmt);
    if (!m) throw new HmpArgError(`invalid char in format: '${fmt.replace(/^\/[0-9]*[a-z]*/, '')[0] ?? ''}'`);
    if (m[1]) count = Number(m[1]);
    for (const c of m[2]) {
      if ('xduocai'.includes(c)) format = c;
      else if (c === 'b') size = 1;
      else if (c === 'h') size = 2;
      else if (c === 'w') size = 4;
      else if (c === 'g' || c === 'l') size = 8;
      else throw new HmpArgError(`invalid char in format: '${c}'`);
    }
  }
  // /c takes the sticky size too: x/2c after x/x dumps 8 bytes, each as a char (QEMU's memory_dump).
  if (size < 0) size = format === 'i' ? 4 : lastSize;
  lastFormat = format;
  if (format !== 'i') lastSize = size;
  return { count, format, size };
}

function memoryDump(ctx: MonitorContext, phys: boolean, fmt: string | undefined, expr: string): string {
  const { count, format, size } = parseFormat(fmt);
  if (expr === '') throw new HmpArgError('unexpected end of expression');
  const env = ctx.vm.hartEnv(ctx.cpuIndex);
  if (!env) return 'No CPU available\n';
  let addr = BigInt.asUintN(64, evalExpr(ctx, expr));
  const hex = (a: bigint) => a.toString(16).padStart(16, '0');
  if (format === 'i') {
    let out = '';
    for (let n = 0; n < Math.min(count, 4096); n++) {
      const b = riscvMemoryDebug(env, addr, 4, phys) ?? riscvMemoryDebug(env, addr, 2, phys);
      if (!b) return `${out}${hex(addr)}: Cannot access memory\n`;
      const insn = b.length === 4 ? new DataView(b.buffer).getUint32(0, true) : new DataView(b.buffer).getUint16(0, true);
      out += `${riscvDisasLine((insn & 3) === 3 ? insn : insn & 0xffff, addr)}\n`;
      addr += (insn & 3) === 3 ? 4n : 2n;
    }
    return out;
  }
  let len = Math.min(size * count, MAX_DUMP);
  const lineSize = size === 1 ? 8 : 16;
  const wsize = format === 'c' ? 1 : size;
  const digits = format === 'o' ? Math.ceil((wsize * 8) / 3) : format === 'u' || format === 'd' ? Math.ceil((wsize * 80) / 33) : (wsize * 8) / 4;
  let out = '';
  while (len > 0) {
    out += `${hex(addr)}:`;
    const l = Math.min(len, lineSize);
    const buf = riscvMemoryDebug(env, addr, l, phys);
    if (!buf) return `${out} Cannot access memory\n`;
    const dv = new DataView(buf.buffer);
    for (let i = 0; i + wsize <= l; i += wsize) {
      const v = wsize === 1 ? BigInt(buf[i]) : wsize === 2 ? BigInt(dv.getUint16(i, true)) : wsize === 4 ? BigInt(dv.getUint32(i, true)) : dv.getBigUint64(i, true);
      out += ' ';
      switch (format) {
        case 'o': out += (v === 0n ? '0' : `0${v.toString(8)}`).padStart(digits); break;
        case 'u': out += v.toString().padStart(digits); break;
        case 'd': out += (wsize === 8 ? BigInt.asIntN(64, v) : v).toString().padStart(digits); break;
        case 'c': out += printChar(Number(v)); break;
        default: out += `0x${v.toString(16).padStart(digits, '0')}`;
      }
    }
    out += '\n';
    addr += BigInt(l);
    len -= l;
  }
  return out;
}

function printChar(c: number): string {
  if (c === 0x27 || c === 0x5c) return `'\\${String.fromCharCode(c)}'`;
  if (c === 10) return "'\\n'";
  if (c === 13) return "'\\r'";
  if (c >= 32 && c <= 126) return `'${String.fromCharCode(c)}'`;
  return `'\\x${c.toString(16).padStart(2, '0')}'`;
}

// ---- print and expressions (QEMU's get_expr: + - * / % & | ^ ( ) numbers, $registers) ----

const ABI = ['zero', 'ra', 'sp', 'gp', 'tp', 't0', 't1', 't2', 's0', 's1', 'a0', 'a1', 'a2', 'a3', 'a4', 'a5', 'a6', 'a7',
  's2', 's3', 's4', 's5', 's6', 's7', 's8', 's9', 's10', 's11', 't3', 't4', 't5', 't6'];

function printExpr(ctx: MonitorContext, fmt: string | undefined, expr: string): string {
  // QEMU's hmp_print: the format is the sticky one x/xp/p last set unless given; %# prints 0 bare.
  const f = fmt ? parseFormat(fmt).format : lastFormat;
  const v = evalExpr(ctx, expr);
  const u = BigInt.asUintN(64, v);
  switch (f) {
    case 'u': return `${u}\n`;
    case 'o': return u === 0n ? '0\n' : `0${u.toString(8)}\n`;
    case 'x': return u === 0n ? '0\n' : `0x${u.toString(16)}\n`;
    case 'c': return `${printChar(Number(v & 0xffn))}\n`;
    default: return `${BigInt.asIntN(64, v)}\n`;
  }
}

export function evalExpr(ctx: MonitorContext, text: string): bigint {
  const toks = text.match(/\$[A-Za-z0-9_]+|0[xX][0-9a-fA-F]+|[0-9]+|[-+*/%&|^()~]|\S/g) ?? [];
  let pos = 0;
  const peek = () => toks[pos];
  const reg = (name: string): bigint => {
    const env = ctx.vm.hartEnv(ctx.cpuIndex);
    if (!env) throw new HmpArgError('No CPU available');
    if (name === 'pc') return env.pc;
    const xi = /^x([0-9]+)$/.exec(name);
    const i = xi ? Number(xi[1]) : ABI.indexOf(name === 'fp' ? 's0' : name);
    if (i >= 0 && i < 32) return env.getGpr(i);
    throw new HmpArgError('unknown register');
  };
  const primary = (): bigint => {
    const t = toks[pos++];
    if (t === undefined) throw new HmpArgError('unexpected end of expression');
    if (t === '(') { const v = or(); if (toks[pos++] !== ')') throw new HmpArgError("')' expected"); return v; }
    if (t === '-') return -primary();
    if (t === '+') return primary();
    if (t === '~') return ~primary();
    if (t.startsWith('$')) return reg(t.slice(1));
    if (/^(0[xX][0-9a-fA-F]+|[0-9]+)$/.test(t)) return BigInt(t);
    throw new HmpArgError(`invalid char '${t[0]}' in expression`);
  };
  const bin = (next: () => bigint, ops: string, apply: (a: bigint, op: string, b: bigint) => bigint) => (): bigint => {
    let v = next();
    while (peek() !== undefined && ops.includes(peek() as string) && (peek() as string).length === 1) { const op = toks[pos++]; v = apply(v, op, next()); }
    return v;
  };
  const mul = bin(primary, '*/%', (a, op, b) => {
    if (op !== '*' && b === 0n) throw new HmpArgError('division by zero');
    return op === '*' ? a * b : op === '/' ? a / b : a % b;
  });
  const add = bin(mul, '+-', (a, op, b) => (op === '+' ? a + b : a - b));
  const or = bin(add, '&|^', (a, op, b) => (op === '&' ? a & b : op === '|' ? a | b : a ^ b));
  const v = or();
  if (pos < toks.length) throw new HmpArgError(EXTRANEOUS);
  return BigInt.asUintN(64, v);
}

// ---- the interactive front end ----

/** HMP on a chardev: banner, "(qemu) " prompt, a line editor with backspace. */
export class HmpMonitor implements MuxFrontend {
  private line = '';
  private greeted = false;
  private busy: Promise<void> = Promise.resolve();
  private readonly ctx: MonitorContext;

  constructor(private readonly chr: Chardev, vm: MonitorVM, events: MonitorEvents, table: CommandTable) {
    const ctx: MonitorContext = {
      vm, events, table, cpuIndex: 0,
      hmp: (line, cpu) => hmpExecute(line, { ...ctx, cpuIndex: cpu ?? ctx.cpuIndex }),
    };
    this.ctx = ctx;
    chr.attach(this);
  }

  private out(text: string): void {
    this.chr.write(new TextEncoder().encode(text.replace(/\r?\n/g, '\r\n')));
  }

  focusChanged(focused: boolean): void {
    if (!focused) return;
    if (!this.greeted) {
      this.greeted = true;
      this.out(`QEMU ${QEMU_VERSION} monitor - type 'help' for more information\n`);
    }
    this.out('(qemu) ');
  }

  /** On a socket: every client that connects gets the banner and a prompt (QEMU's monitor_event). */
  event(ev: ChrEvent): void {
    this.line = '';
    if (ev !== 'opened') return;
    this.greeted = false;
    this.focusChanged(true);
  }

  canReceive(): number {
    return MAX_LINE;
  }

  receive(data: Uint8Array): void {
    for (const b of data) {
      if (b === 13 || b === 10) {
        this.out('\n');
        const cmd = this.line;
        this.line = '';
        // Commands run in order; the prompt comes back when this one is done.
        this.busy = this.busy.then(async () => {
          this.out(await hmpExecute(cmd, this.ctx));
          this.out('(qemu) ');
        });
      } else if (b === 127 || b === 8) {
        if (this.line.length > 0) {
          this.line = this.line.slice(0, -1);
          this.out('\b \b');
        }
      } else if (b >= 32 && b < 127 && this.line.length < MAX_LINE) {
        this.line += String.fromCharCode(b);
        this.out(String.fromCharCode(b));
      }
    }
  }
}

/** The HMP spellings of table commands and the info subcommands (hmp-info.ts). */
hmpRegister();
