/**
 * What the sample-based metrics (precision-recall, density-coverage, kid) compare: on images the
 * domain classifier's features of held-out test examples and of G's samples, as FID does; on
 * points the points themselves, real ones drawn from the dataset.
 *
 * @module
 */
import { type tf, z } from "../deps.ts";
import type { DatasetInfo, EvaluationContext } from "../core/contract/plugin.ts";
import { cachedClassifier, type ClassifierSource, requireClassifiable } from "./_classifier.ts";
import type { Rows } from "./_manifold.ts";

/** The options every sample-based metric takes. */
export const comparedRowsOptions = {
  /** Real and generated examples compared (images: at most the test split's size). */
  samples: z.int().min(10).max(20_000).default(1000),
  /** Examples passed through the classifier at once. */
  batchSize: z.int().positive().max(10_000).default(500),
};

/** Throws, naming `metric`, unless it can run on the dataset: points, or classifiable images. */
export function requireComparable(metric: string, dataset: DatasetInfo): void {
  if (dataset.kind === "points") return;
  requireClassifiable(metric, dataset);
  if (dataset.testSize === undefined) {
    throw new TypeError(
      `${metric} needs a dataset with a held-out test split on images (mnist, fashion-mnist, ` +
        "or idx with testImages)",
    );
  }
}

async function rowsOf(tensor: tf.Tensor): Promise<Rows> {
  const values = await tensor.data() as Float32Array;
  return { values, width: tensor.size / tensor.shape[0] };
}

/** Features of `count` examples, `batchSize` at a time, inside tidy. */
async function features(
  ops: typeof tf,
  count: number,
  batchSize: number,
  of: (start: number, n: number) => tf.Tensor,
): Promise<Rows> {
  const parts: Rows[] = [];
  for (let start = 0; start < count; start += batchSize) {
    const batch = ops.tidy(() => of(start, Math.min(batchSize, count - start)));
    parts.push(await rowsOf(batch));
    batch.dispose();
  }
  const width = parts[0].width;
  const values = new Float32Array(count * width);
  parts.forEach((part, i) => values.set(part.values as Float32Array, i * batchSize * width));
  return { values, width };
}

/** The real and generated rows of an evaluation, `options.samples` of each. */
export async function comparedRows(
  context: EvaluationContext,
  options: { samples: number; batchSize: number },
  classifier: ClassifierSource<"features"> = cachedClassifier,
): Promise<{ real: Rows; fake: Rows }> {
  const { tf, dataset, generate, rng } = context;
  if (dataset.info.kind === "points") {
    const real = tf.tidy(() => dataset.sample(rng, options.samples).x);
    const fake = generate(options.samples);
    try {
      return { real: await rowsOf(real), fake: await rowsOf(fake) };
    } finally {
      tf.dispose([real, fake]);
    }
  }
  const test = dataset.splits!.test!;
  const count = Math.min(options.samples, test.x.shape[0]);
  const model = await classifier(context);
  return {
    real: await features(
      tf,
      count,
      options.batchSize,
      (start, n) => model.features(tf.slice(test.x, start, n)),
    ),
    fake: await features(tf, count, options.batchSize, (_, n) => model.features(generate(n))),
  };
}
