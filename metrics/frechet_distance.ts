import { type tf, z } from "../deps.ts";
import { definePlugin, type Metric } from "../core/contract/plugin.ts";
import { cachedClassifier, type ClassifierSource, requireClassifiable } from "./_classifier.ts";
import { frechetDistance, type Matrix, meanAndCovariance } from "./_linalg.ts";

const options = z.strictObject({
  /** Generator samples compared with the test split. Default: as many as test examples. */
  samples: z.int().min(2).optional(),
  /** Examples passed through the classifier at once. */
  batchSize: z.int().positive().default(500),
});

/** The options of {@linkcode frechetDistanceMetric}, defaults filled in. */
export type FrechetDistanceOptions = z.output<typeof options>;

/** A fitted Gaussian. */
interface Gaussian {
  mean: Float64Array;
  covariance: Matrix;
}

/**
 * The Fréchet distance of FID (Heusel et al. 2017), ||μ1 - μ2||² + Tr(Σ1 + Σ2 - 2(Σ1Σ2)^{1/2}),
 * between Gaussians fitted in float64 to the penultimate features of gantry's domain classifier
 * (metrics/_classifier.ts, in place of Inception) on the real test split and on generator
 * samples. Lower is better; 0 for identical statistics. Values are comparable only between runs
 * that use the same classifier (the same dataset digest and classifier version).
 */
export default definePlugin({
  kind: "metric",
  name: "frechet-distance",
  description: "Fréchet distance of domain-classifier features, test split against G's samples",
  options,
  create: ({ options, dataset }) => {
    requireClassifiable("frechet-distance", dataset);
    if (dataset.testSize === undefined) {
      throw new TypeError(
        "frechet-distance needs a dataset with a held-out test split (mnist, fashion-mnist, " +
          "or idx with testImages)",
      );
    }
    return frechetDistanceMetric(options);
  },
});

/**
 * The `frechet-distance` metric with these options; `classifier` gives the feature extractor
 * for the evaluated dataset (default: the shared, cached domain classifier). The real split's
 * statistics are computed at the first evaluation and kept.
 */
export function frechetDistanceMetric(
  options: FrechetDistanceOptions,
  classifier: ClassifierSource<"features"> = cachedClassifier,
): Metric {
  let real: Promise<Gaussian> | undefined;
  return {
    async evaluate(context) {
      const { tf, dataset, generate } = context;
      const test = dataset.splits?.test;
      if (!test) throw new TypeError("frechet-distance needs the dataset's test split");
      const model = await classifier(context);
      const size = test.x.shape[0];
      const realFit = real ??= fit(
        tf,
        size,
        options.batchSize,
        (start, n) => model.features(tf.slice(test.x, start, n)),
      ).catch((error) => {
        // A failure is not kept: the next evaluation tries again.
        real = undefined;
        throw error;
      });
      const [fake, { mean, covariance }] = await Promise.all([
        fit(tf, options.samples ?? size, options.batchSize, (_, n) => model.features(generate(n))),
        realFit,
      ]);
      return {
        frechetDistance: frechetDistance(mean, covariance, fake.mean, fake.covariance),
      };
    },
  };
}

/** Fits a Gaussian to `count` feature rows, computed `batchSize` at a time inside tidy. */
async function fit(
  ops: typeof tf,
  count: number,
  batchSize: number,
  features: (start: number, n: number) => tf.Tensor,
): Promise<Gaussian> {
  let rows: Float32Array | undefined;
  let width = 0;
  for (let start = 0; start < count; start += batchSize) {
    const n = Math.min(batchSize, count - start);
    const batch = ops.tidy(() => features(start, n));
    width = batch.shape[1]!;
    rows ??= new Float32Array(count * width);
    rows.set(await batch.data() as Float32Array, start * width);
    batch.dispose();
  }
  return meanAndCovariance(rows!, width);
}
