/**
 * Evaluation: the metrics run on a run as it is now, from a stream of their own.
 *
 * @module
 */
import { tf } from "../../deps.ts";
import type { PluginContracts } from "../contract/plugin.ts";
import { createRng } from "../contract/rng.ts";
import type { MetricsRow, StepStats } from "../store/run_records.ts";
import type { Run } from "./build.ts";
import { classifier } from "./discriminate.ts";
import { sampler } from "./sample.ts";

/**
 * Runs metrics on a run as it is now (D with its moving average swapped in, when it keeps one)
 * and returns their numbers. Each evaluation draws from its own stream, fixed by the seed and
 * step, so evaluating never changes training.
 */
export async function measure(
  run: Run,
  metrics: PluginContracts["metric"][],
  step: number,
): Promise<Record<string, number>> {
  const rng = createRng(run.config.seed).fork(`evaluate-${step}`);
  const generate = sampler(run, rng);
  const classify = run.labeled ? classifier(run) : undefined;
  const numbers: Record<string, number> = {};
  const all = async () => {
    for (const metric of metrics) {
      const reported = await metric.evaluate({
        tf,
        step,
        dataset: run.dataset,
        rng,
        generate,
        classify,
      });
      for (const [key, value] of Object.entries(reported)) {
        if (key in numbers) throw new Error(`Two metrics report a number named "${key}"`);
        numbers[key] = value;
      }
    }
  };
  // A scope reclaims whatever tensors a metric forgets to dispose.
  tf.engine().startScope();
  try {
    await (run.average ? run.average.withAverage(all) : all());
  } finally {
    tf.engine().endScope();
  }
  return numbers;
}

/** A row of metrics.jsonl: the step's training stats, then the run's own metrics' numbers. */
export async function evaluationRow(run: Run, stats: StepStats): Promise<MetricsRow> {
  const row: MetricsRow = { ...stats };
  for (const [key, value] of Object.entries(await measure(run, run.metrics, stats.step))) {
    if (key in row) throw new Error(`A metric reports a number named "${key}", a training stat`);
    row[key] = value;
  }
  return row;
}
