import type { ChartTransition, Statechart } from './statechart';

/**
 * A deterministic layered layout of a statechart, left to right: inside each compound state the
 * children are put in columns by the longest path from the initial state (back edges, found by a
 * depth-first walk from the initial state, do not count), ordered in a column by their
 * predecessors, and compound children are laid out first so they nest. Same chart, same picture.
 */
export interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface EdgeDrawing {
  /** Source state key, or `<compound>#any` for a transition defined on a compound state. */
  source: string;
  target: string;
  /** One line per guard: `SIGNAL, QUOTE [cooledDown]`. */
  label: string[];
  /** Indices into `Statechart.transitions`. */
  transitions: number[];
  /** SVG path data. */
  path: string;
  labelX: number;
  labelY: number;
  /** `over`: a forward edge that would cross a state, drawn over the chart; `back`: right to left, under it. */
  kind: 'forward' | 'over' | 'back' | 'self';
}

export interface ChartLayout {
  width: number;
  height: number;
  boxes: Record<string, Box>;
  /** "From any state" markers of compound states whose own transitions target their children. */
  anyMarkers: Record<string, Box>;
  /** Events a state handles without leaving it (targetless transitions), shown inside its box. */
  internal: Record<string, string[]>;
  edges: EdgeDrawing[];
}

export type LaidOutChart = Statechart & { layout: ChartLayout };

const CHAR_W = 7.4;
const LINE_H = 14;
const NODE_MIN_W = 110;
const NODE_H = 38;
const PAD = 16;
const HEADER_H = 24;
const ROW_GAP = 26;
const COL_GAP_MIN = 70;
const COL_GAP_MAX = 300;
const INTERNAL_CHARS = 30;
const LABEL_CHARS = 26;
const ANY_KEY = '#any';

const textWidth = (s: string, charW = CHAR_W): number => s.length * charW;

function wrap(words: string[], max: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const w of words) {
    const next = line ? `${line} · ${w}` : w;
    if (line && next.length > max) {
      lines.push(line);
      line = w;
    } else line = next;
  }
  if (line) lines.push(line);
  return lines;
}

/** Groups transitions by (source, target) and writes one label line per guard. */
function edgeLabels(chart: Statechart): Map<string, { source: string; target: string; label: string[]; transitions: number[] }> {
  const edges = new Map<string, { source: string; target: string; byGuard: Map<string, string[]>; transitions: number[] }>();
  chart.transitions.forEach((t, i) => {
    for (const target of t.targets) {
      const source = t.source;
      const id = `${source}->${target}`;
      let e = edges.get(id);
      if (!e) edges.set(id, (e = { source, target, byGuard: new Map(), transitions: [] }));
      e.transitions.push(i);
      const g = t.guard ?? '';
      const events = e.byGuard.get(g) ?? [];
      if (!events.includes(t.event)) events.push(t.event);
      e.byGuard.set(g, events);
    }
  });
  const out = new Map<string, { source: string; target: string; label: string[]; transitions: number[] }>();
  for (const [id, e] of edges) {
    // Long lines break between the events and the guard, keeping the columns narrow.
    const label = [...e.byGuard].flatMap(([g, events]) => {
      const line = g ? `${events.join(', ')} [${g}]` : events.join(', ');
      return line.length > LABEL_CHARS && g ? [events.join(', '), `[${g}]`] : [line];
    });
    out.set(id, { source: e.source, target: e.target, label, transitions: e.transitions });
  }
  return out;
}

function internalEvents(chart: Statechart): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const t of chart.transitions) {
    if (t.targets.length > 0) continue;
    const list = (out[t.source] ??= []);
    if (!list.includes(t.event)) list.push(t.event);
  }
  return out;
}

/** The ancestor-or-self of `key` that is a direct child of `parent`, or null. */
function childUnder(parent: string, key: string): string | null {
  const prefix = parent ? `${parent}.` : '';
  if (key === parent || !key.startsWith(prefix)) return null;
  const rest = key.slice(prefix.length).split('.');
  return prefix + rest[0];
}

interface Sized {
  w: number;
  h: number;
  /** Child positions relative to this box's top left, recursively. */
  place: Map<string, Box>;
  anyMarker: Box | null;
}

export function layoutStatechart(chart: Statechart): LaidOutChart {
  const byKey = new Map(chart.states.map((s) => [s.key, s]));
  const internal = internalEvents(chart);
  const labels = edgeLabels(chart);
  const transitionsOf = (t: ChartTransition): [string, string][] => t.targets.map((target) => [t.source, target]);

  const sizeOf = (key: string): Sized => {
    const state = byKey.get(key)!;
    if (state.children.length === 0) {
      const lines = wrap(internal[key] ?? [], INTERNAL_CHARS);
      const w = Math.max(NODE_MIN_W, textWidth(state.name, 8.2) + 28, ...lines.map((l) => textWidth(l, 6.2) + 20));
      return { w, h: NODE_H + lines.length * 12, place: new Map(), anyMarker: null };
    }
    return layoutCompound(key);
  };

  const layoutCompound = (key: string): Sized => {
    const state = byKey.get(key)!;
    const kids = state.children;
    const sized = new Map(kids.map((k) => [k, sizeOf(k)]));
    // Edges between children (projected from any depth) and from this compound itself.
    const succ = new Map<string, string[]>(kids.map((k) => [k, []]));
    const fromSelf: string[] = [];
    for (const t of chart.transitions) {
      for (const [s, d] of transitionsOf(t)) {
        const to = childUnder(key, d);
        if (to === null) continue;
        if (s === key) {
          if (!fromSelf.includes(to)) fromSelf.push(to);
          continue;
        }
        const from = childUnder(key, s);
        if (from === null || from === to) continue;
        const list = succ.get(from)!;
        if (!list.includes(to)) list.push(to);
      }
    }
    // Depth-first from the initial child marks back edges.
    const back = new Set<string>();
    const seen = new Set<string>();
    const onStack = new Set<string>();
    const dfs = (k: string): void => {
      seen.add(k);
      onStack.add(k);
      for (const n of succ.get(k)!) {
        if (onStack.has(n)) back.add(`${k}->${n}`);
        else if (!seen.has(n)) dfs(n);
      }
      onStack.delete(k);
    };
    const roots = [state.initial, ...kids].filter((k): k is string => k !== null);
    for (const r of roots) if (!seen.has(r)) dfs(r);
    // Longest path over forward edges (a DAG now), in definition order until stable.
    const layer = new Map<string, number>(kids.map((k) => [k, 0]));
    for (const k of fromSelf) if (k !== state.initial) layer.set(k, 1);
    for (let changed = true, guard = 0; changed && guard <= kids.length; guard++) {
      changed = false;
      for (const k of kids) {
        for (const n of succ.get(k)!) {
          if (back.has(`${k}->${n}`)) continue;
          if (layer.get(n)! < layer.get(k)! + 1) {
            layer.set(n, layer.get(k)! + 1);
            changed = true;
          }
        }
      }
    }
    const columns: string[][] = [];
    for (const k of kids) (columns[layer.get(k)!] ??= []).push(k);
    for (let i = 0; i < columns.length; i++) columns[i] ??= [];
    // Order each column by the mean row of its forward predecessors (stable on ties).
    const row = new Map<string, number>();
    columns.forEach((col, ci) => {
      const score = (k: string): number => {
        const preds = kids.filter((p) => layer.get(p)! < ci && succ.get(p)!.includes(k));
        return preds.length ? preds.reduce((a, p) => a + row.get(p)!, 0) / preds.length : Number.MAX_SAFE_INTEGER;
      };
      const order = col.map((k, i) => ({ k, s: score(k), i })).sort((a, b) => a.s - b.s || a.i - b.i);
      order.forEach(({ k }, r) => row.set(k, r));
      columns[ci] = order.map(({ k }) => k);
    });
    // Column gaps fit the labels of edges leaving that column.
    const gaps = columns.map((col) => {
      let w = COL_GAP_MIN;
      for (const k of col) {
        for (const e of labels.values()) {
          const from = childUnder(key, e.source);
          if (from !== k) continue;
          w = Math.max(w, ...e.label.map((l) => textWidth(l, 6.4) + 24));
        }
      }
      return Math.min(w, COL_GAP_MAX);
    });
    const hasAny = fromSelf.length > 0;
    const left = PAD + (hasAny || state.initial ? 40 : 0);
    const place = new Map<string, Box>();
    let x = left;
    let maxH = 0;
    columns.forEach((col, ci) => {
      let y = HEADER_H + PAD;
      const colW = Math.max(0, ...col.map((k) => sized.get(k)!.w));
      for (const k of col) {
        const s = sized.get(k)!;
        place.set(k, { x: x + (colW - s.w) / 2, y, w: s.w, h: s.h });
        for (const [inner, b] of s.place) place.set(inner, { ...b, x: b.x + x + (colW - s.w) / 2, y: b.y + y });
        y += s.h + ROW_GAP;
      }
      maxH = Math.max(maxH, y - ROW_GAP);
      x += colW + (ci < columns.length - 1 ? gaps[ci] : 0);
    });
    const anyMarker = hasAny ? { x: PAD, y: maxH + ROW_GAP, w: 62, h: 20 } : null;
    if (anyMarker) maxH = anyMarker.y + anyMarker.h;
    return { w: x + PAD, h: maxH + PAD, place, anyMarker };
  };

  const root = chart.states[0];
  const top = layoutCompound(root.key);
  const boxes: Record<string, Box> = { [root.key]: { x: 0, y: 0, w: top.w, h: top.h } };
  for (const [k, b] of top.place) boxes[k] = b;
  const anyMarkers: Record<string, Box> = {};
  const collectMarkers = (key: string, origin: Box): void => {
    const state = byKey.get(key)!;
    if (state.children.length === 0) return;
    const s = key === root.key ? top : layoutCompound(key);
    if (s.anyMarker) anyMarkers[key] = { ...s.anyMarker, x: s.anyMarker.x + origin.x, y: s.anyMarker.y + origin.y };
    for (const c of state.children) collectMarkers(c, boxes[c]);
  };
  collectMarkers(root.key, boxes[root.key]);

  // Edges, in absolute coordinates. A forward edge that would cross another state arcs over the
  // chart, a back edge under it, each in a lane of its own whose middle carries the label.
  type Planned = { e: { source: string; target: string; label: string[]; transitions: number[] }; sourceKey: string; s: Box; t: Box; kind: EdgeDrawing['kind']; lane: number };
  const planned: Planned[] = [];
  const sorted = [...labels.values()].sort((a, b) => a.transitions[0] - b.transitions[0]);
  const ancestorsOf = (k: string): string[] => {
    const out: string[] = [];
    for (let p = byKey.get(k)?.parent ?? null; p !== null; p = byKey.get(p)?.parent ?? null) out.push(p);
    return out;
  };
  const othersOf = (a: string, b: string): Box[] => {
    const skip = new Set([a, b, root.key, ...ancestorsOf(a), ...ancestorsOf(b)]);
    return Object.entries(boxes).filter(([k]) => !skip.has(k)).map(([, x]) => x);
  };
  const crossesOthers = (points: Pt[], a: string, b: string): boolean => {
    const others = othersOf(a, b);
    return points.some(([x, y]) => others.some((o) => x > o.x && x < o.x + o.w && y > o.y && y < o.y + o.h));
  };
  /** The left or right edge of the column a state stands in (its siblings overlapping it horizontally). */
  const columnEdge = (key: string, box: Box, side: 'left' | 'right'): number => {
    const parent = byKey.get(key)?.parent;
    const column = parent === undefined ? [box] : chart.states.filter((x) => x.parent === parent).map((x) => boxes[x.key]).filter((o) => o.x < box.x + box.w && box.x < o.x + o.w);
    return side === 'left' ? Math.min(box.x, ...column.map((o) => o.x)) : Math.max(box.x + box.w, ...column.map((o) => o.x + o.w));
  };
  for (const e of sorted) {
    const isAny = byKey.get(e.source)!.children.length > 0 && childUnder(e.source, e.target) !== null;
    const s = isAny ? anyMarkers[e.source] : boxes[e.source];
    const t = boxes[e.target];
    if (!s || !t) continue;
    let kind: Planned['kind'] = e.source === e.target ? 'self' : t.x > s.x + s.w ? 'forward' : 'back';
    if (kind === 'forward') {
      if (crossesOthers(sampleCurve(...forwardCurve(s, t)), e.source, e.target)) kind = 'over';
    }
    planned.push({ e, sourceKey: isAny ? e.source + ANY_KEY : e.source, s, t, kind, lane: 0 });
  }
  const laneHeight = (p: Planned): number => p.e.label.length * LINE_H + 10;
  let above = 0;
  for (const p of planned.filter((x) => x.kind === 'over')) {
    above += laneHeight(p);
    p.lane = above - laneHeight(p) / 2; // distance of the lane's middle above the top
  }
  // Make room above for the over-arcs: everything moves down.
  const shift = above > 0 ? above + 14 : 0;
  for (const b of [...Object.values(boxes).filter((b) => b !== boxes[root.key]), ...Object.values(anyMarkers)]) b.y += shift;
  const nodesTop = HEADER_H + PAD + shift;
  let below = top.h + shift + 6;
  for (const p of planned.filter((x) => x.kind === 'back')) {
    p.lane = below + laneHeight(p) / 2;
    below += laneHeight(p);
  }
  const edges: EdgeDrawing[] = [];
  for (const p of planned) {
    const { s, t } = p;
    const lines = p.e.label;
    const base = { source: p.sourceKey, target: p.e.target, label: lines, transitions: p.e.transitions };
    const labelW = Math.max(...lines.map((l) => textWidth(l, 6.4) + 24));
    if (p.kind === 'self') {
      const x0 = s.x + s.w * 0.3;
      const x1 = s.x + s.w * 0.7;
      edges.push({ ...base, kind: 'self', path: `M${x0},${s.y} C${x0},${s.y - 30} ${x1},${s.y - 30} ${x1},${s.y}`, labelX: s.x + s.w / 2, labelY: s.y - 26 - (lines.length - 1) * LINE_H });
    } else if (p.kind === 'forward') {
      const [p0, p1, p2, p3] = forwardCurve(s, t);
      const at = pointNearX(p0, p1, p2, p3, (p0[0] + Math.min(p3[0], p0[0] + labelW)) / 2);
      edges.push({ ...base, kind: 'forward', path: curvePath(p0, p1, p2, p3), labelX: at[0], labelY: at[1] + 4 - ((lines.length - 1) * LINE_H) / 2 });
    } else {
      const over = p.kind === 'over';
      const x0 = s.x + s.w / 2;
      const x1 = t.x + t.w / 2;
      const y0 = over ? s.y : s.y + s.h;
      const y1 = over ? t.y : t.y + t.h;
      const mid = over ? nodesTop - 14 - p.lane : p.lane;
      // Control points chosen so the curve's middle (t = 1/2) lies on the lane.
      const c = (mid - 0.125 * (y0 + y1)) / 0.75;
      const curve: [Pt, Pt, Pt, Pt] = [[x0, y0], [x0, c], [x1, c], [x1, y1]];
      const label = { labelX: (x0 + x1) / 2, labelY: mid + 4 - ((lines.length - 1) * LINE_H) / 2 };
      const kind = over ? ('over' as const) : ('back' as const);
      if (!crossesOthers(sampleCurve(...curve), p.e.source, p.e.target)) {
        edges.push({ ...base, kind, path: curvePath(...curve), ...label });
        continue;
      }
      // A state sits above or below an end: go round it through the gaps beside the columns.
      const xs = columnEdge(p.sourceKey, s, 'right') + 12;
      const xt = columnEdge(p.e.target, t, 'left') - 12;
      const sy = s.y + s.h / 2;
      const ty = t.y + t.h / 2;
      const points: Pt[] = [[s.x + s.w, sy], [xs, sy], [xs, mid], [xt, mid], [xt, ty], [t.x, ty]];
      edges.push({ ...base, kind, path: 'M' + points.map(([x, y]) => `${x},${y}`).join(' L'), labelX: (xs + xt) / 2, labelY: label.labelY });
    }
  }
  const width = Math.max(top.w, ...edges.map((e) => e.labelX + Math.max(...e.label.map((l) => textWidth(l, 6.4))) / 2 + PAD));
  const height = Math.max(top.h + shift, below) + PAD;
  boxes[root.key] = { x: 0, y: 0, w: width, h: height };
  return { ...chart, layout: { width, height, boxes, anyMarkers, internal, edges } };
}

type Pt = [number, number];

/** Right side of the source to the left side of the target, leaving and arriving horizontally. */
function forwardCurve(s: Box, t: Box): [Pt, Pt, Pt, Pt] {
  const sx = s.x + s.w;
  const tx = t.x;
  const sy = s.y + s.h / 2;
  const ty = t.y + t.h / 2;
  const c = Math.max(30, (tx - sx) / 2);
  return [[sx, sy], [sx + c, sy], [tx - c, ty], [tx, ty]];
}

const curvePath = (p0: Pt, p1: Pt, p2: Pt, p3: Pt): string => `M${p0[0]},${p0[1]} C${p1[0]},${p1[1]} ${p2[0]},${p2[1]} ${p3[0]},${p3[1]}`;

function sampleCurve(p0: Pt, p1: Pt, p2: Pt, p3: Pt, n = 40): Pt[] {
  const out: Pt[] = [];
  for (let i = 0; i <= n; i++) {
    const t = i / n;
    const u = 1 - t;
    out.push([
      u * u * u * p0[0] + 3 * u * u * t * p1[0] + 3 * u * t * t * p2[0] + t * t * t * p3[0],
      u * u * u * p0[1] + 3 * u * u * t * p1[1] + 3 * u * t * t * p2[1] + t * t * t * p3[1],
    ]);
  }
  return out;
}
function pointNearX(p0: Pt, p1: Pt, p2: Pt, p3: Pt, x: number): Pt {
  let best: Pt = p0;
  for (const p of sampleCurve(p0, p1, p2, p3)) if (Math.abs(p[0] - x) < Math.abs(best[0] - x)) best = p;
  return best;
}

export { wrap as wrapInternalEvents, INTERNAL_CHARS };
