/**
 * The records a run writes: the rows of metrics.jsonl and result.json.
 *
 * @module
 */
import type { BackendInfo } from "../backend/select.ts";

/** The numbers a run reports at a logging step. */
export interface StepStats {
  step: number;
  dLoss: number;
  gLoss: number;
  /** Mean D(x) on the last real batch. */
  dReal: number;
  /** Mean D(G(z)) on the last generated batch. */
  dFake: number;
}

/** The keys of {@linkcode StepStats}: the training stats that lead every metrics.jsonl row. */
export const STEP_STATS: readonly (keyof StepStats)[] = [
  "step",
  "dLoss",
  "gLoss",
  "dReal",
  "dFake",
];

/** One line of metrics.jsonl: the step's stats, then each metric's numbers. */
export type MetricsRow = StepStats & Record<string, number>;

/**
 * A metrics.jsonl row without the step's training stats: the metrics' own numbers.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { metricsOf } from "./run_records.ts";
 *
 * const row = { step: 500, dLoss: 1.2, gLoss: 0.8, dReal: 0.6, dFake: 0.4, modes: 8 };
 * assert.deepEqual(metricsOf(row), { modes: 8 });
 * ```
 */
export function metricsOf(row: Record<string, number>): Record<string, number> {
  const stats: readonly string[] = STEP_STATS;
  return Object.fromEntries(Object.entries(row).filter(([key]) => !stats.includes(key)));
}

/** What result.json records. */
export interface RunResult {
  status: "ok" | "diverged" | "failed";
  steps: number;
  seconds: number;
  backend: BackendInfo["name"];
  adapter?: string;
  /** wasm's thread count. */
  threads?: number;
  configHash: string;
  /** The last evaluation's numbers. */
  metrics: Record<string, number>;
  error?: string;
}
