/**
 * A run's records as TensorBoard events: the stats of a logged step as scalars `train/<name>`,
 * an evaluation's metrics as `metrics/<name>` and its picture of samples as the image `samples`.
 *
 * @module
 */
import { metricsOf, type MetricsRow, type TrainRow } from "./run_records.ts";
import { fileVersionRecord, summaryRecord } from "./tensorboard.ts";

/** The TensorBoard event of a logged step: its stats as scalars `train/<name>`. */
export function trainEvent(row: TrainRow): Uint8Array {
  const { step, time: _, ...stats } = row;
  const values = Object.entries(stats).map(([name, scalar]) => ({ tag: `train/${name}`, scalar }));
  return summaryRecord(row.time, step, values);
}

/** The TensorBoard event of an evaluation: each metric as a scalar `metrics/<name>`. */
export function metricsEvent(time: number, row: MetricsRow): Uint8Array {
  const values = Object.entries(metricsOf(row)).map(([name, scalar]) => ({
    tag: `metrics/${name}`,
    scalar,
  }));
  return summaryRecord(time, row.step, values);
}

/** The TensorBoard event of an evaluation's picture of samples: an image `samples`. */
export function sampleEvent(time: number, step: number, png: Uint8Array): Uint8Array {
  return summaryRecord(time, step, [{ tag: "samples", png }]);
}

/**
 * The event file of a run so far, from its records: the events it wrote, in the order it wrote
 * them (at each logged step its stats, then its evaluation's metrics and picture).
 */
export function runEvents(
  train: TrainRow[],
  metrics: MetricsRow[],
  samples: { step: number; png: Uint8Array }[],
): Uint8Array {
  const steps = [...new Set([...train, ...metrics, ...samples].map((r) => r.step))]
    .sort((a, b) => a - b);
  const first = train[0]?.time ?? Date.now() / 1000;
  const records = [fileVersionRecord(first)];
  let time = first;
  for (const step of steps) {
    const row = train.find((r) => r.step === step);
    if (row) {
      time = row.time;
      records.push(trainEvent(row));
    }
    const evaluation = metrics.find((r) => r.step === step);
    if (evaluation) records.push(metricsEvent(time, evaluation));
    const sample = samples.find((s) => s.step === step);
    if (sample) records.push(sampleEvent(time, step, sample.png));
  }
  return concat(records);
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
