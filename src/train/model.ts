// Models trained in TypeScript and their inference: logistic regression and gradient-boosted trees (binary log-loss).
// Pure and deterministic: p_up = σ(b + w·x) or σ(F0 + Σ leaf(x)), computed in float64 exactly as the ONNX export does.
export interface LogisticModel {
  kind: 'logistic';
  features: string[];
  /** In the raw feature space (the standardisation used in training is folded in). */
  weights: number[];
  bias: number;
}

export interface Split {
  feature: number;
  /** Goes left when x[feature] <= threshold (ONNX BRANCH_LEQ). */
  threshold: number;
  left: number;
  right: number;
}

export interface Leaf {
  value: number;
}

/** Nodes of one tree; node 0 is the root; children are indexes into the same array. */
export type TreeNode = Split | Leaf;

export interface GbdtModel {
  kind: 'gbdt';
  features: string[];
  /** Log-odds of the training base rate. */
  base: number;
  trees: TreeNode[][];
}

export type Model = LogisticModel | GbdtModel;

export const sigmoid = (z: number): number => 1 / (1 + Math.exp(-z));

export const isLeaf = (n: TreeNode): n is Leaf => 'value' in n;

export function treeValue(tree: TreeNode[], x: ArrayLike<number>): number {
  let n = tree[0]!;
  while (!isLeaf(n)) n = tree[x[n.feature]! <= n.threshold ? n.left : n.right]!;
  return n.value;
}

/** The model's log-odds for one feature vector (in the model's feature order). */
export function logit(m: Model, x: ArrayLike<number>): number {
  if (x.length !== m.features.length) throw new RangeError(`expected ${m.features.length} features, got ${x.length}`);
  if (m.kind === 'logistic') {
    let z = m.bias;
    for (let i = 0; i < m.weights.length; i++) z += m.weights[i]! * x[i]!;
    return z;
  }
  let f = m.base;
  for (const t of m.trees) f += treeValue(t, x);
  return f;
}

export const predict = (m: Model, x: ArrayLike<number>): number => sigmoid(logit(m, x));
