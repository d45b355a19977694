import { type tf, z } from "../deps.ts";
import { definePlugin, type Examples, type Metric } from "../core/contract/plugin.ts";

/** The bandwidths Goodfellow et al. 2014 searched: numpy.logspace(-1, 0, 10). */
export const PARZEN_SIGMAS: readonly number[] = Array.from(
  { length: 10 },
  (_, i) => 10 ** (-1 + i / 9),
);

const options = z.strictObject({
  /** Generator samples the Parzen window is centred on. */
  samples: z.int().positive().default(10_000),
  /** Examples that choose σ: the last ones of the train split, or the first of the test split. */
  validation: z.int().positive().default(1_000),
  /**
   * Where σ is validated. "train" (default) uses training examples, which the GAN also saw;
   * "test" holds the first `validation` test examples out of the score, as Goodfellow 2014
   * held its validation split out of GAN training.
   */
  validateOn: z.enum(["train", "test"]).default("train"),
  /** Test examples scored (the first ones of the test split). Default: all of them. */
  testExamples: z.int().positive().optional(),
  /** The bandwidths tried. Default: logspace(-1, 0, 10). */
  sigmas: z.array(z.number().positive()).min(1).optional(),
  /** Examples whose distances to every sample are computed at once. */
  batchSize: z.int().positive().default(250),
});

/**
 * Gaussian Parzen-window log-likelihood of held-out data under the generator (Goodfellow et
 * al. 2014, Table 1; their parzen_ll.py): samples from G are the centres of an isotropic
 * Gaussian kernel of width σ, data is scaled to [0, 1], σ is the one of logspace(-1, 0, 10) with
 * the highest mean log-likelihood on validation examples, and the mean over the test split is
 * reported with its standard error (std / √n).
 */
export default definePlugin({
  kind: "metric",
  name: "parzen-ll",
  description: "Parzen-window log-likelihood of the test split under G's samples (Goodfellow 2014)",
  options,
  create: ({ options, dataset }) => {
    if (dataset.testSize === undefined) {
      throw new TypeError(
        "parzen-ll needs a dataset with a held-out test split (mnist, fashion-mnist, or idx " +
          "with testImages)",
      );
    }
    return parzenMetric(options);
  },
});

/** The options of {@linkcode parzenMetric}, defaults filled in. */
export type ParzenOptions = z.output<typeof options>;

/** The `parzen-ll` metric with these options. */
export function parzenMetric(options: ParzenOptions): Metric {
  return {
    async evaluate({ tf, dataset, generate }) {
      const { train, test } = dataset.splits ?? {};
      if (!train || !test) {
        throw new TypeError("parzen-ll needs the dataset's train and test splits");
      }
      const [low, high] = dataset.info.range ?? [0, 1];
      const unit = (x: tf.Tensor) =>
        tf.tidy(() => tf.reshape(tf.div(tf.sub(x, low), high - low), [x.shape[0], -1]));
      const pieces: tf.Tensor[] = [];
      for (let done = 0; done < options.samples; done += options.batchSize) {
        const batch = generate(Math.min(options.batchSize, options.samples - done));
        pieces.push(unit(batch));
        batch.dispose();
      }
      const samples = tf.concat(pieces) as tf.Tensor2D;
      tf.dispose(pieces);
      const held = options.validateOn === "test"
        ? Math.min(options.validation, test.x.shape[0] - 1)
        : 0;
      const validation = held
        ? rows(tf, test, 0, held, unit)
        : rows(tf, train, train.x.shape[0] - options.validation, options.validation, unit);
      const scored = rows(tf, test, held, options.testExamples ?? test.x.shape[0], unit);
      try {
        const sigmas = options.sigmas ?? PARZEN_SIGMAS;
        const perSigma = await parzenLogLikelihoods(tf, samples, validation, sigmas, options);
        const means = perSigma.map((values) => mean(values));
        const best = means.indexOf(Math.max(...means));
        const [values] = await parzenLogLikelihoods(tf, samples, scored, [sigmas[best]], options);
        const average = mean(values);
        const std = Math.sqrt(mean(values.map((v) => (v - average) ** 2)));
        return {
          parzenLogLikelihood: average,
          parzenStdError: std / Math.sqrt(values.length),
          parzenSigma: sigmas[best],
        };
      } finally {
        tf.dispose([samples, validation, scored]);
      }
    },
  };
}

function mean(values: Float64Array): number {
  return values.reduce((sum, v) => sum + v, 0) / values.length;
}

/** `count` examples of a split from `start` (clamped to the split), mapped by `map`. */
function rows(
  ops: typeof tf,
  split: Examples,
  start: number,
  count: number,
  map: (x: tf.Tensor) => tf.Tensor,
): tf.Tensor2D {
  const size = split.x.shape[0];
  const from = Math.max(0, start);
  return ops.tidy(() => map(ops.slice(split.x, from, Math.min(count, size - from)))) as tf.Tensor2D;
}

export async function parzenLogLikelihoods(
  ops: typeof tf,
  samples: tf.Tensor2D,
  x: tf.Tensor2D,
  sigmas: readonly number[],
  options: { batchSize?: number } = {},
): Promise<Float64Array[]> {
  const { batchSize = 250 } = options;
  const [count, d] = samples.shape;
  const m = x.shape[0];
  // Transposed once: tfjs-backend-wasm's products with transposeB take a slow path.
  const [transposed, sampleNorms] = ops.tidy(() => [
    ops.transpose(samples),
    ops.reshape(ops.sum(ops.square(samples), 1), [1, count]),
  ]);
  const results = sigmas.map(() => new Float64Array(m));
  try {
    for (let start = 0; start < m; start += batchSize) {
      const size = Math.min(batchSize, m - start);
      const lse = ops.tidy(() => {
        const rows = ops.slice(x, start, size);
        const rowNorms = ops.sum(ops.square(rows), 1, true);
        const squared = ops.relu(
          ops.sub(ops.add(rowNorms, sampleNorms), ops.mul(2, ops.matMul(rows, transposed))),
        );
        // A scope per σ frees its [batchSize, N] temporaries before the next one.
        return ops.stack(
          sigmas.map((sigma) =>
            ops.tidy(() => ops.logSumExp(ops.mul(squared, -1 / (2 * sigma * sigma)), 1))
          ),
        );
      });
      const values = await lse.data();
      lse.dispose();
      sigmas.forEach((sigma, k) => {
        const constant = Math.log(count) + (d / 2) * Math.log(2 * Math.PI * sigma * sigma);
        for (let i = 0; i < size; i++) results[k][start + i] = values[k * size + i] - constant;
      });
    }
  } finally {
    ops.dispose([transposed, sampleNorms]);
  }
  return results;
}
