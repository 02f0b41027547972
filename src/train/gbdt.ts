// Gradient-boosted trees for binary log-loss (Newton leaf values, L2-regularised gains, histogram splits on quantile
// edges). Deterministic: no sampling; ties go to the lower feature index, then the lower edge. Thresholds are training
// values, so `x <= threshold` routes a row exactly as the ONNX TreeEnsembleRegressor (BRANCH_LEQ, float64) does.
import { isLeaf, treeValue, type GbdtModel, type TreeNode } from './model.js';

export interface GbdtParams {
  trees: number;
  /** Maximum depth (a depth-3 tree has up to 8 leaves). */
  depth: number;
  learningRate: number;
  /** Fewest training rows in a leaf. */
  minLeaf: number;
  /** Quantile edges per feature (at most 255). */
  bins: number;
  /** L2 penalty on leaf values. */
  l2: number;
}

/** Distinct quantile cut points of one feature: a split at edge e sends x <= e left. The maximum is never an edge. */
export function quantileEdges(values: ArrayLike<number>, bins: number): number[] {
  const s = Float64Array.from(values).sort();
  const out: number[] = [];
  for (let k = 1; k < bins; k++) {
    const v = s[Math.min(s.length - 1, Math.floor((k * s.length) / bins))]!;
    if (v < s[s.length - 1]! && (out.length === 0 || v > out[out.length - 1]!)) out.push(v);
  }
  return out;
}

/** Index of the first edge >= x (x <= edges[k] for every k at or above it); edges.length when x is above them all. */
function binOf(edges: number[], x: number): number {
  let lo = 0;
  let hi = edges.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (x <= edges[mid]!) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

export function trainGbdt(features: string[], x: Float64Array[], y: Uint8Array, p: GbdtParams, onProgress?: (done: number, total: number) => void): GbdtModel {
  const n = x.length;
  const f = features.length;
  if (!n) throw new RangeError('no training rows');
  if (p.bins > 256) throw new RangeError('at most 256 bins');
  const edges = features.map((_, j) => quantileEdges(x.map((r) => r[j]!), p.bins));
  const binned = features.map((_, j) => Uint8Array.from(x, (r) => binOf(edges[j]!, r[j]!)));
  const mean = y.reduce((a, v) => a + v, 0) / n;
  const clamped = Math.min(1 - 1e-6, Math.max(1e-6, mean));
  const base = Math.log(clamped / (1 - clamped));
  const score = new Float64Array(n).fill(base);
  const g = new Float64Array(n);
  const h = new Float64Array(n);
  const trees: TreeNode[][] = [];
  const lambda = p.l2;

  const grow = (rows: Int32Array, depth: number, nodes: TreeNode[]): number => {
    const id = nodes.length;
    let G = 0;
    let H = 0;
    for (const i of rows) {
      G += g[i]!;
      H += h[i]!;
    }
    const leaf = () => {
      nodes[id] = { value: (-p.learningRate * G) / (H + lambda) };
      return id;
    };
    nodes.push({ value: 0 });
    if (depth >= p.depth || rows.length < 2 * p.minLeaf) return leaf();
    const parent = (G * G) / (H + lambda);
    let best = { gain: 1e-12, feature: -1, edge: -1 };
    for (let j = 0; j < f; j++) {
      const e = edges[j]!;
      if (!e.length) continue;
      const hg = new Float64Array(e.length + 1);
      const hh = new Float64Array(e.length + 1);
      const hc = new Int32Array(e.length + 1);
      const b = binned[j]!;
      for (const i of rows) {
        const k = b[i]!;
        hg[k]! += g[i]!;
        hh[k]! += h[i]!;
        hc[k]!++;
      }
      let gl = 0;
      let hl = 0;
      let cl = 0;
      for (let k = 0; k < e.length; k++) {
        gl += hg[k]!;
        hl += hh[k]!;
        cl += hc[k]!;
        const cr = rows.length - cl;
        if (cl < p.minLeaf) continue;
        if (cr < p.minLeaf) break;
        const gr = G - gl;
        const hr = H - hl;
        const gain = (gl * gl) / (hl + lambda) + (gr * gr) / (hr + lambda) - parent;
        if (gain > best.gain) best = { gain, feature: j, edge: k };
      }
    }
    if (best.feature < 0) return leaf();
    const b = binned[best.feature]!;
    const left = rows.filter((i) => b[i]! <= best.edge);
    const right = rows.filter((i) => b[i]! > best.edge);
    const l = grow(left, depth + 1, nodes);
    const r = grow(right, depth + 1, nodes);
    nodes[id] = { feature: best.feature, threshold: edges[best.feature]![best.edge]!, left: l, right: r };
    return id;
  };

  const all = Int32Array.from({ length: n }, (_, i) => i);
  for (let t = 0; t < p.trees; t++) {
    onProgress?.(t, p.trees);
    for (let i = 0; i < n; i++) {
      const pi = 1 / (1 + Math.exp(-score[i]!));
      g[i] = pi - y[i]!;
      h[i] = Math.max(pi * (1 - pi), 1e-12);
    }
    const nodes: TreeNode[] = [];
    grow(all, 0, nodes);
    if (nodes.length === 1 && isLeaf(nodes[0]!) && Math.abs(nodes[0].value) < 1e-15) break;
    trees.push(nodes);
    for (let i = 0; i < n; i++) score[i]! += treeValue(nodes, x[i]!);
  }
  return { kind: 'gbdt', features: [...features], base, trees };
}
