// A minimal protobuf writer/reader for ONNX ModelProto (field numbers of onnx/onnx.proto, IR 8): standard-op models (a
// logistic regression), `ai.onnx.ml` tree ensembles (boosted trees), metadata_props. Guarantees byte-exact, deterministic output.
const enc = new TextEncoder();
const dec = new TextDecoder();

class Writer {
  private parts: Uint8Array[] = [];
  private len = 0;
  private push(b: Uint8Array): void {
    this.parts.push(b);
    this.len += b.length;
  }
  varint(v: number | bigint): void {
    let x = BigInt.asUintN(64, BigInt(v));
    const out: number[] = [];
    do {
      let b = Number(x & 0x7fn);
      x >>= 7n;
      if (x) b |= 0x80;
      out.push(b);
    } while (x);
    this.push(Uint8Array.from(out));
  }
  tag(field: number, wire: number): void {
    this.varint((field << 3) | wire);
  }
  int(field: number, v: number): void {
    this.tag(field, 0);
    this.varint(v);
  }
  bytes(field: number, b: Uint8Array): void {
    this.tag(field, 2);
    this.varint(b.length);
    this.push(b);
  }
  str(field: number, s: string): void {
    this.bytes(field, enc.encode(s));
  }
  msg(field: number, w: Writer): void {
    this.bytes(field, w.finish());
  }
  float(field: number, v: number): void {
    this.tag(field, 5);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, v, true);
    this.push(b);
  }
  finish(): Uint8Array {
    const out = new Uint8Array(this.len);
    let o = 0;
    for (const p of this.parts) {
      out.set(p, o);
      o += p.length;
    }
    return out;
  }
}

export const DataType = { FLOAT: 1, INT64: 7, DOUBLE: 11 } as const;

export interface TensorSpec {
  name: string;
  dims: number[];
  dataType: (typeof DataType)[keyof typeof DataType];
  /** Values, row-major. */
  values: ArrayLike<number>;
}

export type Attr = { name: string; f: number } | { name: string; i: number } | { name: string; s: string } | { name: string; floats: number[] } | { name: string; ints: number[] } | { name: string; strings: string[] } | { name: string; t: TensorSpec };

export interface NodeSpec {
  op: string;
  inputs: string[];
  outputs: string[];
  name?: string;
  domain?: string;
  attrs?: Attr[];
}

export interface ValueSpec {
  name: string;
  elemType: number;
  /** A number is a fixed dimension, a string a symbolic one (e.g. "N"). */
  shape: Array<number | string>;
}

export interface ModelSpec {
  producer: string;
  graphName: string;
  nodes: NodeSpec[];
  initializers: TensorSpec[];
  inputs: ValueSpec[];
  outputs: ValueSpec[];
  /** opset versions by domain ('' = ai.onnx). */
  opsets: Record<string, number>;
  metadata?: Record<string, string>;
  irVersion?: number;
}

function tensor(t: TensorSpec): Writer {
  const w = new Writer();
  for (const d of t.dims) w.int(1, d);
  w.int(2, t.dataType);
  w.str(8, t.name);
  const n = t.values.length;
  const raw = new Uint8Array(n * (t.dataType === DataType.FLOAT ? 4 : 8));
  const dv = new DataView(raw.buffer);
  for (let i = 0; i < n; i++) {
    if (t.dataType === DataType.FLOAT) dv.setFloat32(i * 4, t.values[i]!, true);
    else if (t.dataType === DataType.DOUBLE) dv.setFloat64(i * 8, t.values[i]!, true);
    else dv.setBigInt64(i * 8, BigInt(t.values[i]!), true);
  }
  w.bytes(9, raw);
  return w;
}

function attr(a: Attr): Writer {
  const w = new Writer();
  w.str(1, a.name);
  if ('f' in a) { w.int(20, 1); w.float(2, a.f); }
  else if ('i' in a) { w.int(20, 2); w.int(3, a.i); }
  else if ('s' in a) { w.int(20, 3); w.str(4, a.s); }
  else if ('floats' in a) { w.int(20, 6); for (const f of a.floats) w.float(7, f); }
  else if ('ints' in a) { w.int(20, 7); for (const i of a.ints) w.int(8, i); }
  else if ('t' in a) { w.int(20, 4); w.msg(5, tensor(a.t)); }
  else { w.int(20, 8); for (const s of a.strings) w.str(9, s); }
  return w;
}

function valueInfo(v: ValueSpec): Writer {
  const shape = new Writer();
  for (const d of v.shape) {
    const dim = new Writer();
    if (typeof d === 'number') dim.int(1, d);
    else dim.str(2, d);
    shape.msg(1, dim);
  }
  const tt = new Writer();
  tt.int(1, v.elemType);
  tt.msg(2, shape);
  const type = new Writer();
  type.msg(1, tt);
  const w = new Writer();
  w.str(1, v.name);
  w.msg(2, type);
  return w;
}

export function encodeModel(m: ModelSpec): Uint8Array {
  const g = new Writer();
  m.nodes.forEach((n, k) => {
    const w = new Writer();
    for (const i of n.inputs) w.str(1, i);
    for (const o of n.outputs) w.str(2, o);
    w.str(3, n.name ?? `${n.op}_${k}`);
    w.str(4, n.op);
    for (const a of n.attrs ?? []) w.msg(5, attr(a));
    if (n.domain) w.str(7, n.domain);
    g.msg(1, w);
  });
  g.str(2, m.graphName);
  for (const t of m.initializers) g.msg(5, tensor(t));
  for (const i of m.inputs) g.msg(11, valueInfo(i));
  for (const o of m.outputs) g.msg(12, valueInfo(o));
  const w = new Writer();
  w.int(1, m.irVersion ?? 8);
  w.str(2, m.producer);
  w.msg(7, g);
  for (const [domain, version] of Object.entries(m.opsets)) {
    const o = new Writer();
    o.str(1, domain);
    o.int(2, version);
    w.msg(8, o);
  }
  for (const [k, v] of Object.entries(m.metadata ?? {})) {
    const e = new Writer();
    e.str(1, k);
    e.str(2, v);
    w.msg(14, e);
  }
  return w.finish();
}

/**
 * A logistic regression p = σ(x·w + b) on standard ops (MatMul, Add, Sigmoid): input "x" [N, n], output "p_up" [N, 1],
 * in float32 (default) or float64 (`DataType.DOUBLE`: the same numbers as a float64 TypeScript model, to ~1e-16).
 */
export function logisticModel(weights: number[], bias: number, metadata: Record<string, string> = {}, dataType: typeof DataType.FLOAT | typeof DataType.DOUBLE = DataType.FLOAT): Uint8Array {
  const n = weights.length;
  return encodeModel({
    producer: 'bosun', graphName: 'logistic', opsets: { '': 13 }, metadata,
    initializers: [
      { name: 'W', dims: [n, 1], dataType, values: weights },
      { name: 'B', dims: [1], dataType, values: [bias] },
    ],
    nodes: [
      { op: 'MatMul', inputs: ['x', 'W'], outputs: ['z0'] },
      { op: 'Add', inputs: ['z0', 'B'], outputs: ['z'] },
      { op: 'Sigmoid', inputs: ['z'], outputs: ['p_up'] },
    ],
    inputs: [{ name: 'x', elemType: dataType, shape: ['N', n] }],
    outputs: [{ name: 'p_up', elemType: dataType, shape: ['N', 1] }],
  });
}

/** One tree: node 0 is the root; a split sends x[feature] <= threshold to `left`. */
export type TreeSpec = Array<{ feature: number; threshold: number; left: number; right: number } | { value: number }>;

/**
 * Boosted trees as `ai.onnx.ml` TreeEnsembleRegressor (opset 3, thresholds and leaf values as float64 tensors, BRANCH_LEQ)
 * summing leaves onto `base` (log-odds), then Sigmoid: input "x" [N, n] float64, output "p_up" [N, 1] float32.
 * Thresholds compare in float64, so a row takes exactly the branches a float64 evaluator takes.
 */
export function treeEnsembleModel(nFeatures: number, base: number, trees: TreeSpec[], metadata: Record<string, string> = {}): Uint8Array {
  const a = { treeIds: [] as number[], nodeIds: [] as number[], featureIds: [] as number[], modes: [] as string[], thresholds: [] as number[], trueIds: [] as number[], falseIds: [] as number[], tTree: [] as number[], tNode: [] as number[], weights: [] as number[] };
  trees.forEach((tree, t) => {
    tree.forEach((node, id) => {
      a.treeIds.push(t);
      a.nodeIds.push(id);
      if ('value' in node) {
        a.featureIds.push(0); a.modes.push('LEAF'); a.thresholds.push(0); a.trueIds.push(0); a.falseIds.push(0);
        a.tTree.push(t); a.tNode.push(id); a.weights.push(node.value);
      } else {
        if (node.feature < 0 || node.feature >= nFeatures) throw new RangeError(`tree ${t} node ${id} reads feature ${node.feature} of ${nFeatures}`);
        a.featureIds.push(node.feature); a.modes.push('BRANCH_LEQ'); a.thresholds.push(node.threshold); a.trueIds.push(node.left); a.falseIds.push(node.right);
      }
    });
  });
  const t64 = (name: string, values: number[]): Attr => ({ name, t: { name, dims: [values.length], dataType: DataType.DOUBLE, values } });
  return encodeModel({
    producer: 'bosun', graphName: 'gbdt', opsets: { '': 13, 'ai.onnx.ml': 3 }, metadata,
    initializers: [],
    nodes: [
      {
        op: 'TreeEnsembleRegressor', domain: 'ai.onnx.ml', inputs: ['x'], outputs: ['logit'],
        attrs: [
          { name: 'n_targets', i: 1 }, { name: 'aggregate_function', s: 'SUM' }, { name: 'post_transform', s: 'NONE' },
          { name: 'nodes_treeids', ints: a.treeIds }, { name: 'nodes_nodeids', ints: a.nodeIds }, { name: 'nodes_featureids', ints: a.featureIds },
          { name: 'nodes_modes', strings: a.modes }, { name: 'nodes_truenodeids', ints: a.trueIds }, { name: 'nodes_falsenodeids', ints: a.falseIds },
          t64('nodes_values_as_tensor', a.thresholds),
          { name: 'target_treeids', ints: a.tTree }, { name: 'target_nodeids', ints: a.tNode }, { name: 'target_ids', ints: a.tTree.map(() => 0) },
          t64('target_weights_as_tensor', a.weights), t64('base_values_as_tensor', [base]),
        ],
      },
      { op: 'Sigmoid', inputs: ['logit'], outputs: ['p_up'] },
    ],
    inputs: [{ name: 'x', elemType: DataType.DOUBLE, shape: ['N', nFeatures] }],
    outputs: [{ name: 'p_up', elemType: DataType.FLOAT, shape: ['N', 1] }],
  });
}

// ---- reading ---------------------------------------------------------------------------------------------

function readVarint(b: Uint8Array, o: { i: number }): bigint {
  let x = 0n;
  let shift = 0n;
  for (;;) {
    if (o.i >= b.length) throw new Error('truncated varint');
    const c = b[o.i++]!;
    x |= BigInt(c & 0x7f) << shift;
    if (!(c & 0x80)) return x;
    shift += 7n;
    if (shift > 63n) throw new Error('varint too long');
  }
}

/** Fields of one protobuf message: number → list of values (varints as bigint, length-delimited as bytes). */
function fields(b: Uint8Array): Map<number, Array<bigint | Uint8Array>> {
  const out = new Map<number, Array<bigint | Uint8Array>>();
  const o = { i: 0 };
  while (o.i < b.length) {
    const key = Number(readVarint(b, o));
    const field = key >>> 3;
    const wire = key & 7;
    let v: bigint | Uint8Array;
    if (wire === 0) v = readVarint(b, o);
    else if (wire === 1) { v = b.subarray(o.i, o.i + 8); o.i += 8; }
    else if (wire === 5) { v = b.subarray(o.i, o.i + 4); o.i += 4; }
    else if (wire === 2) {
      const n = Number(readVarint(b, o));
      if (o.i + n > b.length) throw new Error('truncated length-delimited field');
      v = b.subarray(o.i, o.i + n);
      o.i += n;
    } else throw new Error(`unsupported protobuf wire type ${wire}`);
    if (o.i > b.length) throw new Error('truncated field');
    const list = out.get(field) ?? [];
    list.push(v);
    out.set(field, list);
  }
  return out;
}

/** The metadata_props (key → value) of an ONNX model file's bytes. */
export function readMetadata(model: Uint8Array): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of fields(model).get(14) ?? []) {
    if (!(e instanceof Uint8Array)) continue;
    const f = fields(e);
    const k = f.get(1)?.[0];
    const v = f.get(2)?.[0];
    if (k instanceof Uint8Array && v instanceof Uint8Array) out[dec.decode(k)] = dec.decode(v);
  }
  return out;
}
