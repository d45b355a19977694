/**
 * The records a run writes: the rows of metrics.jsonl and result.json.
 *
 * @module
 */
import type { BackendInfo } from "../backend/select.ts";

/** The numbers a run reports at a logging step. */
export type StepStats = {
  step: number;
  dLoss: number;
  gLoss: number;
  /** Mean D(x) on the last real batch. */
  dReal: number;
  /** Mean D(G(z)) on the last generated batch. */
  dFake: number;
};

/** The keys of {@linkcode StepStats}: the training stats that lead every metrics.jsonl row. */
export const STEP_STATS: readonly (keyof StepStats)[] = [
  "step",
  "dLoss",
  "gLoss",
  "dReal",
  "dFake",
];

/**
 * One line of train.jsonl, written at every logged step: the step's stats, the learning rate
 * and the clock (speed since the previous logged step, Unix time in seconds).
 */
export type TrainRow = StepStats & {
  lr: number;
  stepsPerSecond: number;
  time: number;
};

/**
 * The fields of a {@linkcode TrainRow} read off the clock: they differ between two runs that are
 * otherwise identical (an uninterrupted run and a resumed one, say).
 */
export const CLOCK_FIELDS: readonly (keyof TrainRow)[] = ["stepsPerSecond", "time"];

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

const NON_FINITE: Record<string, number> = {
  NaN: NaN,
  Infinity: Infinity,
  "-Infinity": -Infinity,
};

/**
 * JSON of a run's records (metrics.jsonl rows, result.json, results.jsonl lines) with NaN and
 * ±Infinity, which JSON lacks, written as the strings `"NaN"`, `"Infinity"` and `"-Infinity"`
 * rather than as null; {@linkcode parseRecord} reads them back as numbers.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseRecord, recordJson } from "./run_records.ts";
 *
 * const text = recordJson({ step: 5, fd: NaN, kl: Infinity });
 * assert.equal(text, '{"step":5,"fd":"NaN","kl":"Infinity"}');
 * assert.deepEqual(parseRecord(text), { step: 5, fd: NaN, kl: Infinity });
 * assert.deepEqual(parseRecord('{"label":"toString"}'), { label: "toString" });
 * ```
 */
export function recordJson(value: unknown, space?: number): string {
  return JSON.stringify(
    value,
    (_, v) => typeof v === "number" && !Number.isFinite(v) ? String(v) : v,
    space,
  );
}

/** Parses a record written by {@linkcode recordJson}. */
// deno-lint-ignore no-explicit-any
export function parseRecord(text: string): any {
  return JSON.parse(
    text,
    (_, v) => typeof v === "string" && Object.hasOwn(NON_FINITE, v) ? NON_FINITE[v] : v,
  );
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
