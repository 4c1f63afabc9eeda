// The layout of a translated region (translate-block.ts emitTb): its runs in pc order as leaves,
// every backward branch inside a loop group (nested intervals of runs), the groups and the top
// as inner nodes; emitTb emits a wasm loop per group.
import type { Label, Local } from '../../tcg/wasm-builder.js';
import type { TbRun } from './tb-decode.js';

/** A region's layout (emitTb): the runs as leaves, loop groups and the top as inner nodes. */
export interface RegionNode {
  first: number; last: number;
  /** The run of a leaf, -1 for a group. */
  run: number;
  loop: boolean;
  parent: RegionNode | null;
  children: RegionNode[];
  /** While the node's code is emitted: the label before each child, the loop's label. */
  labels: Label[];
  loopLabel?: Label;
  /** A loop group emitted peeled (see peelable): its loop has no header dispatch. */
  peel?: boolean;
}
export interface RegionLayout {
  top: RegionNode;
  leaves: RegionNode[];
  /** The entry run index, then the run a group's header dispatches to (-1: its first). */
  cur: Local;
}

/** The innermost group holding leaves x and y, and the index of its child holding y. */
export function commonGroup(x: RegionNode, y: RegionNode): [RegionNode, number] {
  for (let g = x.parent; g; g = g.parent) {
    if (y.first < g.first || y.last > g.last) continue;
    let c = y;
    while (c.parent !== g) c = c.parent as RegionNode;
    return [g, g.children.indexOf(c)];
  }
  throw new Error('translate-block: run outside the region');
}

export function regionLayout(runs: readonly TbRun[], runIndex: ReadonlyMap<bigint, number>, cur: Local): RegionLayout {
  // Backward edges as run intervals [target, source].
  let spans: [number, number][] = [];
  for (let i = 0; i < runs.length; i++) {
    const insns = runs[i].insns;
    for (let k = 0; k < insns.length; k++) {
      const t = insns[k].target;
      const j = t === null ? undefined : runIndex.get(t);
      if (j !== undefined && j <= i) spans.push([j, i]);
    }
  }
  // Merge partly overlapping intervals until they nest or are disjoint.
  for (let changed = true; changed;) {
    changed = false;
    spans.sort((p, q) => p[0] - q[0] || q[1] - p[1]);
    const out: [number, number][] = [];
    for (const sp of spans) {
      const o = out.find((g) => (g[0] < sp[0] && sp[0] <= g[1] && g[1] < sp[1]) || (g[0] === sp[0] && g[1] === sp[1]));
      if (!o) { out.push([sp[0], sp[1]]); continue; }
      if (o[1] !== sp[1]) changed = true;
      o[1] = Math.max(o[1], sp[1]);
    }
    spans = out;
  }
  const node = (first: number, last: number, run: number, loop: boolean, parent: RegionNode | null): RegionNode =>
    ({ first, last, run, loop, parent, children: [], labels: [] });
  const top = node(0, runs.length - 1, -1, false, null);
  // Sorted by start, outer first: each span's parent is the innermost open group holding it.
  const stack: RegionNode[] = [top];
  const groups: RegionNode[] = [];
  for (const [a, b] of spans) {
    while (stack[stack.length - 1].last < b) stack.pop();
    const g = node(a, b, -1, true, stack[stack.length - 1]);
    groups.push(g);
    stack.push(g);
  }
  const leaves = runs.map((_, i) => {
    let p = top;
    for (const g of groups) if (g.first <= i && i <= g.last && g.last - g.first <= p.last - p.first) p = g;
    return node(i, i, i, false, p);
  });
  // Children in run order: groups under their parent, leaves under their innermost group.
  for (const n of [...groups, ...leaves]) (n.parent as RegionNode).children.push(n);
  for (const n of [top, ...groups]) n.children.sort((p, q) => p.first - q.first);
  for (const g of groups) g.peel = peelable(g, runs, runIndex);
  return { top, leaves, cur };
}

/** Guest instructions a peeled group may copy (its runs after the first): compile time. */
export const PEEL_MAX_INSNS = 32;

/**
 * A loop group of several runs dispatches at its header on `cur` (-1 on its back edges, else
 * the run an entry named): 3 x86 instructions per iteration (TurboFan does not carry the
 * back edges' constant through the loop phi) and a register. It can go when every back edge
 * of the group goes to its first run and its units are runs (no inner loop): an entry in the
 * middle then runs a copy of the runs from its own to the group's end, before the loop whose
 * header has no dispatch (emitTb). Copies are bounded by PEEL_MAX_INSNS.
 */
function peelable(g: RegionNode, runs: readonly TbRun[], runIndex: ReadonlyMap<bigint, number>): boolean {
  if (g.children.length < 2 || g.children.some((c) => c.run < 0)) return false;
  let copied = 0;
  for (let i = g.first; i <= g.last; i++) {
    const insns = runs[i].insns;
    if (i > g.first) copied += insns.length;
    for (let k = 0; k < insns.length; k++) {
      const t = insns[k].target;
      const j = t === null ? undefined : runIndex.get(t);
      if (j !== undefined && j <= i && j >= g.first && j !== g.first) return false;
    }
  }
  return copied <= PEEL_MAX_INSNS;
}
