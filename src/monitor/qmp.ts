// The QMP front end (QEMU's monitor/qmp.c + qapi/qmp-dispatch.c) on a chardev: greeting,
// capabilities negotiation, input checks with QEMU's wording, `id` echo, error classes, events
// after negotiation, and every message ending in CRLF (libvirt splits only on "\r\n").
// Requests run one at a time in arrival order; input is held (canReceive 0) while a few wait.
import type { ChrEvent, Chardev, CharFrontend } from '../chardev/char.js';
import { type CommandTable, QmpError, checkArgs } from './commands.js';
import { type JsonMessage, type JsonObject, type JsonValue, JsonStreamer, toQmpJson } from './json-stream.js';
import type { MonitorContext, MonitorEvents, MonitorVM } from './vm.js';
import { QEMU_VERSION, TSQEMU_PACKAGE } from './qom.js';
import { hmpExecute } from './hmp.js';

/** Requests queued before we stop reading (QEMU's QMP_REQ_QUEUE_LEN_MAX). */
const QUEUE_MAX = 8;
const ENC = new TextEncoder();

export class QmpMonitor implements CharFrontend {
  private caps = false;
  private streamer: JsonStreamer;
  private readonly queue: JsonMessage[] = [];
  private busy = false;
  private readonly decoder = new TextDecoder('utf-8', { fatal: false });
  private readonly unsubscribe: () => void;
  /** Commands handled, for tests. */
  handled = 0;

  /**
   * `greetNow`: the chardev is already open (stdio); a socket greets each client that connects.
   */
  constructor(private readonly chr: Chardev, readonly vm: MonitorVM, readonly events: MonitorEvents,
    private readonly table: CommandTable, greetNow: boolean, private readonly ready: Promise<void> = Promise.resolve()) {
    this.streamer = new JsonStreamer((m) => this.enqueue(m));
    this.unsubscribe = events.subscribe((ev, data, ts) => {
      if (!this.caps) return;
      const o: JsonObject = { timestamp: ts, event: ev };
      if (data !== undefined) o.data = data;
      this.send(o);
    });
    chr.attach(this);
    if (greetNow) this.greet();
  }

  private send(o: JsonObject): void {
    this.chr.write(ENC.encode(`${toQmpJson(o)}\r\n`));
  }

  private greet(): void {
    const [major, minor, micro] = QEMU_VERSION.split('.').map(Number);
    this.send({ QMP: { version: { qemu: { micro, minor, major }, package: TSQEMU_PACKAGE }, capabilities: [] } });
  }

  event(ev: ChrEvent): void {
    // A new client starts from scratch: no capabilities, nothing half-parsed, nothing queued.
    this.caps = false;
    this.queue.length = 0;
    this.streamer = new JsonStreamer((m) => this.enqueue(m));
    if (ev === 'opened') this.greet();
  }

  canReceive(): number {
    return this.queue.length >= QUEUE_MAX ? 0 : 4096;
  }

  receive(data: Uint8Array): void {
    this.streamer.feed(this.decoder.decode(data, { stream: true }));
  }

  close(): void {
    this.unsubscribe();
  }

  private enqueue(m: JsonMessage): void {
    this.queue.push(m);
    if (!this.busy) void this.drain();
  }

  private async drain(): Promise<void> {
    this.busy = true;
    await this.ready; // commands wait until the machine is built (its harts exist)
    while (this.queue.length > 0) {
      const m = this.queue.shift() as JsonMessage;
      const h = this.handle(m);
      const reply = h instanceof Promise ? await h : h;
      if (reply) this.send(reply);
      this.handled++;
    }
    this.busy = false;
    this.chr.acceptInput();
  }

  /** One request to its reply (QEMU's qmp_dispatch). */
  private handle(m: JsonMessage): JsonObject | null | Promise<JsonObject | null> {
    if (!m.ok) return errorReply('GenericError', m.error);
    const req = m.value;
    if (typeof req !== 'object' || req === null || Array.isArray(req)) return errorReply('GenericError', 'QMP input must be a JSON object');
    const id = req.id;
    const fail = (cls: QmpError['cls'], desc: string): JsonObject => (id === undefined ? errorReply(cls, desc) : { id, ...errorReply(cls, desc) });
    for (const [k, v] of Object.entries(req)) {
      if (k === 'execute') { if (typeof v !== 'string') return fail('GenericError', "QMP input member 'execute' must be a string"); }
      else if (k === 'arguments') { if (typeof v !== 'object' || v === null || Array.isArray(v)) return fail('GenericError', "QMP input member 'arguments' must be an object"); }
      else if (k !== 'id') return fail('GenericError', `QMP input member '${k}' is unexpected`);
    }
    const name = req.execute;
    if (typeof name !== 'string') return fail('GenericError', "QMP input lacks member 'execute'");
    const args = (req.arguments ?? {}) as Record<string, JsonValue>;
    const withId = (o: JsonObject): JsonObject => (id === undefined ? o : { ...o, id });
    if (name === 'qmp_capabilities') {
      if (this.caps) return withId(errorReply('CommandNotFound', 'Capabilities negotiation is already complete, command ignored'));
      try {
        checkArgs([{ name: 'enable', type: { array: { enum: ['oob'], name: 'QMPCapability' } }, optional: true }], args);
      } catch (e) {
        if (e instanceof QmpError) return withId(errorReply(e.cls, e.message));
        throw e;
      }
      if (Array.isArray(args.enable) && args.enable.length > 0) {
        return withId(errorReply('GenericError', "Capability 'oob' not available"));
      }
      this.caps = true;
      return withId({ return: {} });
    }
    if (!this.caps) return withId(errorReply('CommandNotFound', "Expecting capabilities negotiation with 'qmp_capabilities'"));
    const cmd = this.table.qmp(name);
    if (!cmd) return withId(errorReply('CommandNotFound', `The command ${name} has not been found`));
    const fail2 = (e: unknown): JsonObject => {
      if (e instanceof QmpError) return withId(errorReply(e.cls, e.message));
      // A bug in a command must not take the monitor (or the VM) down: report it.
      return withId(errorReply('GenericError', `internal error: ${e instanceof Error ? e.message : String(e)}`));
    };
    try {
      checkArgs(cmd.args ?? [], cmd.openArgs ? Object.fromEntries(Object.entries(args).filter(([k]) => (cmd.args ?? []).some((a) => a.name === k))) : args);
      // A synchronous command's reply leaves before anything it woke (the vCPUs after `cont`) runs.
      const r = cmd.run(args, this.context());
      if (r instanceof Promise) return r.then((ret) => withId({ return: ret === undefined ? {} : ret }), fail2);
      return withId({ return: r === undefined ? {} : r });
    } catch (e) {
      return fail2(e);
    }
  }

  private context(): MonitorContext {
    const ctx: MonitorContext = {
      vm: this.vm, events: this.events, table: this.table, cpuIndex: 0,
      hmp: (line, cpu) => hmpExecute(line, { ...ctx, cpuIndex: cpu ?? 0 }),
      getMsgFd: () => this.chr.getMsgFd?.() ?? -1,
    };
    return ctx;
  }
}

function errorReply(cls: string, desc: string): JsonObject {
  return { error: { class: cls, desc } };
}
