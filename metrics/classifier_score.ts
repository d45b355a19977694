import { type tf, z } from "../deps.ts";
import { definePlugin, type Metric } from "../core/contract/plugin.ts";
import { cachedClassifier, type ClassifierSource, requireClassifiable } from "./_classifier.ts";

const options = z.strictObject({
  /** Generator samples scored. */
  samples: z.int().positive().default(10_000),
  /** The samples are cut into this many equal parts; the score's std is across them. */
  splits: z.int().positive().default(10),
  /** Samples generated and classified at once. */
  batchSize: z.int().positive().default(500),
});

/**
 * The Inception score's formula (Salimans et al. 2016), exp(E_x KL(p(y|x) ‖ p(y))), with
 * gantry's domain classifier of the dataset (metrics/_classifier.ts) in place of Inception:
 * high when each sample is confidently one class and the classes are balanced, from 1 up to the
 * number of classes. As in the paper's code, the samples are cut into `splits` parts, the score
 * is computed on each, and the mean and (population) standard deviation are reported.
 */
export default definePlugin({
  kind: "metric",
  name: "classifier-score",
  description: "Inception score with gantry's own domain classifier (trained once, cached)",
  options,
  create: ({ options, dataset }) => {
    requireClassifiable("classifier-score", dataset);
    return classifierScoreMetric(options);
  },
});

/** The options of {@linkcode classifierScoreMetric}, defaults filled in. */
export type ClassifierScoreOptions = z.output<typeof options>;

/**
 * The `classifier-score` metric with these options; `classifier` gives the classifier for the
 * evaluated dataset (default: the shared, cached domain classifier).
 */
export function classifierScoreMetric(
  options: ClassifierScoreOptions,
  classifier: ClassifierSource<"logits"> = cachedClassifier,
): Metric {
  if (options.samples < options.splits) {
    throw new RangeError(
      `Cannot cut ${options.samples} samples into ${options.splits} splits: samples must be ` +
        "at least splits",
    );
  }
  return {
    async evaluate(context) {
      const { tf, generate } = context;
      const model = await classifier(context);
      let logits: Float32Array | undefined;
      let classes = 0;
      for (let done = 0; done < options.samples; done += options.batchSize) {
        const n = Math.min(options.batchSize, options.samples - done);
        const batch: tf.Tensor = tf.tidy(() => model.logits(generate(n)));
        classes = batch.shape[1]!;
        logits ??= new Float32Array(options.samples * classes);
        logits.set(await batch.data() as Float32Array, done * classes);
        batch.dispose();
      }
      const { mean, std } = classifierScore(logits!, classes, options.splits);
      return { classifierScore: mean, classifierScoreStd: std };
    },
  };
}

/**
 * exp(E_x KL(p(y|x) ‖ p(y))) over each of `splits` consecutive parts of n rows of K logits
 * (p(y|x) = softmax, in float64; p(y) = the part's mean of p(y|x)); the mean and population
 * standard deviation of the parts' scores.
 */
export function classifierScore(
  logits: ArrayLike<number>,
  classes: number,
  splits: number,
): { mean: number; std: number } {
  const n = logits.length / classes;
  const probabilities = new Float64Array(logits.length);
  for (let i = 0; i < n; i++) {
    let max = -Infinity;
    for (let k = 0; k < classes; k++) max = Math.max(max, logits[i * classes + k]);
    let sum = 0;
    for (let k = 0; k < classes; k++) {
      sum += probabilities[i * classes + k] = Math.exp(logits[i * classes + k] - max);
    }
    for (let k = 0; k < classes; k++) probabilities[i * classes + k] /= sum;
  }
  const scores: number[] = [];
  for (let part = 0; part < splits; part++) {
    const start = Math.floor(part * n / splits);
    const end = Math.floor((part + 1) * n / splits);
    const marginal = new Float64Array(classes);
    for (let i = start; i < end; i++) {
      for (let k = 0; k < classes; k++) marginal[k] += probabilities[i * classes + k];
    }
    for (let k = 0; k < classes; k++) marginal[k] /= end - start;
    let kl = 0;
    for (let i = start; i < end; i++) {
      for (let k = 0; k < classes; k++) {
        const p = probabilities[i * classes + k];
        if (p > 0) kl += p * Math.log(p / marginal[k]);
      }
    }
    scores.push(Math.exp(kl / (end - start)));
  }
  const mean = scores.reduce((a, b) => a + b, 0) / splits;
  const std = Math.sqrt(scores.reduce((s, v) => s + (v - mean) ** 2, 0) / splits);
  return { mean, std };
}
