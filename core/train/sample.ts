/**
 * Drawing from the generator: latent vectors from its prior, samples in inference mode, and the
 * picture of them that a run writes at each evaluation.
 *
 * @module
 */
import { tf } from "../../deps.ts";
import type { Dataset, Networks } from "../contract/plugin.ts";
import type { Rng } from "../contract/rng.ts";
import { PLOT_POINTS, samplesPng } from "../store/sample_plot.ts";

/** The generator's prior, as an architecture (or a checkpoint) states it. */
export type LatentPrior = Pick<Networks, "latentDim" | "latentDistribution">;

/**
 * n latent vectors from the generator's prior, drawn from `rng`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tf } from "../../deps.ts";
 * import { createRng } from "../contract/rng.ts";
 * import { latent } from "./sample.ts";
 *
 * await tf.setBackend("cpu");
 * const z = latent({ latentDim: 3, latentDistribution: "uniform" }, createRng(1), 4);
 * assert.deepEqual(z.shape, [4, 3]);
 * assert.ok((await z.data()).every((v) => v >= -1 && v < 1));
 * ```
 */
export function latent(prior: LatentPrior, rng: Rng, n: number): tf.Tensor2D {
  const values = rng.fill(new Float32Array(n * prior.latentDim), prior.latentDistribution);
  return tf.tensor2d(values, [n, prior.latentDim]);
}

/** G's samples in inference mode, their latent vectors drawn from `rng`; the caller disposes. */
export function sampler(networks: Networks, rng: Rng): (n: number) => tf.Tensor {
  return (n) =>
    tf.tidy(() =>
      networks.generator.apply(latent(networks, rng, n), { training: false }) as tf.Tensor
    );
}

/**
 * The picture of G's samples at an evaluation (see `samplesPng`): `imageCount` images, or for
 * points {@linkcode PLOT_POINTS} samples over as many examples drawn from the dataset.
 */
export async function plotSamples(
  dataset: Dataset,
  generate: (n: number) => tf.Tensor,
  rng: Rng,
  imageCount: number,
): Promise<Uint8Array> {
  const { info } = dataset;
  const n = info.kind === "image" ? imageCount : PLOT_POINTS;
  const read = async (t: tf.Tensor) => {
    const values = await t.data() as Float32Array;
    t.dispose();
    return values;
  };
  const samples = await read(generate(n));
  let data: Float32Array = new Float32Array();
  if (info.kind !== "image") {
    const batch = dataset.sample(rng, n);
    data = await read(batch.x);
    batch.labels?.dispose();
  }
  return samplesPng(info, samples, data);
}
