// A thread of the optimize pool: holds the run's context (config, candles) from workerData and runs trials on it.
// Guarantees a task resolves to a TrialResult (a failing backtest is a failed trial, not a thrown error).
import { workerData } from 'node:worker_threads';
import { runTrial, type RunContext, type TrialResult, type TrialTask } from './evaluate.js';

const ctx = (workerData as { ctx: RunContext }).ctx;

export default function trial(task: TrialTask): Promise<TrialResult> {
  return runTrial(ctx, task);
}
