// The TCG accelerator's knobs (QEMU's -accel tcg,... and the switches tsqemu adds for tests).
// The block compiler reads `tcgOptions` when a CPU is created; front ends (the CLIs, the
// linux-user worker) fill it from the command line and the TSQEMU_TCG* environment variables.
import { QemuError } from '../../qemu/error.js';

export interface TcgOptions {
  /** Translate hot blocks to wasm; false = interpreter only. */
  enabled: boolean;
  /** Executions of a block start before it is translated (1 = translate everything). A block
   * costs ~9 us per instruction to translate once V8 has warmed the translator up, 60-200 us
   * before (a boot translates only a few thousand instructions, so mostly the latter; see
   * bench/xlate.js), and saves ~6 ns per executed instruction over the interpreter: 5000 is
   * about break-even (boot CPU time was no lower at 2000 or 200). */
  threshold: number;
  /** Code cache budget (MiB of generated wasm): past it the whole cache is flushed. */
  tbSizeMiB: number;
  /** User mode: small leaf callees of `jal ra` on other pages are translated inline (on by
   * default; TSQEMU_TCG_INLINE=0 turns it off). */
  inlineLeaves: boolean;
  /** -accel tcg,one-insn-per-tb=on: one guest instruction per block. */
  oneInsnPerTb: boolean;
  /** Compile on background threads (needs a host event loop that runs: the system emulator). */
  asyncCompile: boolean;
  /** Hot blocks wait for a batch (a module had a fixed cost of ~1.5 ms, mostly instantiation,
   * now ~0.1 ms; 200k showed more of a boot run translated, ~42% vs ~38%, but no measurable
   * CPU change, so the default stays): compiled once
   * this many instructions ran since the first of them got hot, or 250 are waiting. */
  batchInsns: number;
  /** Instructions one block may gather from the runs its branches reach in its page (a region;
   * 0 = one run per block). */
  regionInsns: number;
  /** -accel tcg,thread=multi: each hart on its own thread (system/mttcg.ts). */
  mttcg?: boolean;
}

/** Process-wide settings (one per thread: workers set their own copy). */
export const tcgOptions: TcgOptions = { enabled: true, threshold: 5000, tbSizeMiB: 64, oneInsnPerTb: false, asyncCompile: false,
  batchInsns: 2_000_000, regionInsns: 256, inlineLeaves: true };

const onOff = (k: string, v: string): boolean => {
  if (v === 'on' || v === 'yes' || v === 'true') return true;
  if (v === 'off' || v === 'no' || v === 'false') return false;
  throw new QemuError(`Parameter '${k}' expects 'on' or 'off'`);
};

/** Apply one `-accel` argument ("tcg,tb-size=64,one-insn-per-tb=on,thresh=1"). */
export function tcgApplyAccelArg(arg: string): void {
  const [name, ...props] = arg.split(',');
  if (name !== 'tcg') throw new QemuError(`invalid accelerator ${name}`);
  for (const p of props) {
    const eq = p.indexOf('=');
    const k = eq < 0 ? p : p.slice(0, eq);
    const v = eq < 0 ? 'on' : p.slice(eq + 1);
    if (k === 'tb-size') {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1 || n > 4096) throw new QemuError(`Parameter 'tb-size' expects a size in MiB (1-4096)`);
      tcgOptions.tbSizeMiB = n;
    } else if (k === 'one-insn-per-tb') tcgOptions.oneInsnPerTb = onOff(k, v);
    // tsqemu's own: the block compiler off (interpreter only) and its hotness threshold.
    else if (k === 'jit') tcgOptions.enabled = onOff(k, v);
    else if (k === 'jit-threshold') setThreshold(positive(k, v));
    else if (k === 'jit-async') tcgOptions.asyncCompile = onOff(k, v);
    else if (k === 'jit-batch-insns') setBatch(positive(k, v));
    else if (k === 'jit-region-insns') tcgOptions.regionInsns = v === '0' ? 0 : positive(k, v);
    else if (k === 'thread') {
      if (v !== 'single' && v !== 'multi') throw new QemuError(`Invalid 'thread' setting ${v}`);
      tcgOptions.mttcg = v === 'multi';
    } else throw new QemuError(`Property 'tcg-accel.${k}' not found`);
  }
}

/** TSQEMU_TCG=off|on, TSQEMU_TCG_THRESHOLD=N, TSQEMU_TCG_BATCH=instructions, TSQEMU_TCG_INLINE=0|1,
 * TSQEMU_TCG_REGION=instructions and TSQEMU_TCG_THREAD=single|multi (tests run suites in each
 * mode). */
export function tcgApplyEnv(env: Readonly<Record<string, string | undefined>>): void {
  const m = env.TSQEMU_TCG;
  if (m !== undefined && m !== '') tcgOptions.enabled = onOff('TSQEMU_TCG', m);
  const t = env.TSQEMU_TCG_THRESHOLD;
  if (t !== undefined && t !== '') setThreshold(positive('TSQEMU_TCG_THRESHOLD', t));
  const b = env.TSQEMU_TCG_BATCH;
  if (b !== undefined && b !== '') setBatch(positive('TSQEMU_TCG_BATCH', b));
  const th = env.TSQEMU_TCG_THREAD; // the system emulator's thread=single|multi (the diff harness)
  if (th === 'multi' || th === 'single') tcgOptions.mttcg = th === 'multi';
  else if (th !== undefined && th !== '') throw new QemuError(`Invalid 'thread' setting ${th}`);
  const il = env.TSQEMU_TCG_INLINE;
  if (il !== undefined && il !== '') tcgOptions.inlineLeaves = il !== '0' && onOff('TSQEMU_TCG_INLINE', il === '1' ? 'on' : il);
  const r = env.TSQEMU_TCG_REGION;
  if (r !== undefined && r !== '') tcgOptions.regionInsns = r === '0' ? 0 : positive('TSQEMU_TCG_REGION', r);
}

const DEFAULT_BATCH_INSNS = tcgOptions.batchInsns;
/** Threshold 1 batch (instructions) when no batch size was given. */
const THRESHOLD1_BATCH_INSNS = 1000;
/** A batch size was given (jit-batch-insns or TSQEMU_TCG_BATCH): the threshold leaves it alone. */
let batchGiven = false;

/** The option and the environment variable mean the same: threshold 1 is the "translate
 * everything" test mode, so it also stops hot blocks from waiting for big batches (short
 * programs would otherwise never run translated), unless a batch size was given. */
function setThreshold(n: number): void {
  tcgOptions.threshold = n;
  if (!batchGiven) tcgOptions.batchInsns = n === 1 ? THRESHOLD1_BATCH_INSNS : DEFAULT_BATCH_INSNS;
}
function setBatch(n: number): void {
  tcgOptions.batchInsns = n;
  batchGiven = true;
}

function positive(k: string, v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 1e9) throw new QemuError(`Parameter '${k}' expects a positive integer`);
  return n;
}
