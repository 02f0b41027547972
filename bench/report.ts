// Shared shapes and formatting for benchmark results.
// Guarantees every benchmark prints a measured value next to its same-run baseline and the ratio.
export interface BenchLine {
  name: string;
  value: number;
  unit: string;
  baseline?: { name: string; value: number };
  /** Human statement of the goal, e.g. "≤ 1.3× raw postMessage". */
  goal?: string;
  /** True when the goal holds, false when not, undefined when there is no goal. */
  met?: boolean;
}

export const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};

export function print(lines: BenchLine[]): void {
  for (const l of lines) {
    const base = l.baseline ? `   baseline ${l.baseline.name} ${fmt(l.baseline.value)} ${l.unit}   ratio ${(l.value / l.baseline.value).toFixed(2)}×` : '';
    const goal = l.goal ? `   goal ${l.goal}: ${l.met ? 'met' : 'NOT met'}` : '';
    process.stdout.write(`  ${l.name.padEnd(44)} ${fmt(l.value).padStart(12)} ${l.unit}${base}${goal}\n`);
  }
}

const fmt = (v: number) => (Math.abs(v) >= 1000 ? Math.round(v).toLocaleString('en-US') : v.toFixed(v < 10 ? 2 : 1));
