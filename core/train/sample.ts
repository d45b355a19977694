/**
 * Drawing from the generator: latent vectors from its prior, samples in inference mode, and the
 * picture of them that a run writes at each evaluation.
 *
 * @module
 */
import { tf } from "../../deps.ts";
import type { Conditioning, Dataset, Networks } from "../contract/plugin.ts";
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

/** n classes drawn uniformly from `rng`, int32 [n], for a conditional G. */
export function drawClasses(classes: number, rng: Rng, n: number): tf.Tensor1D {
  const picks = new Int32Array(n);
  for (let i = 0; i < n; i++) picks[i] = rng.int(classes);
  return tf.tensor1d(picks, "int32");
}

/** The one-hot float32 [n, K] of int32 classes [n]: how G and a projection D take a class. */
export function classInput(labels: tf.Tensor, classes: number): tf.Tensor {
  return tf.tidy(() => tf.cast(tf.oneHot(tf.cast(labels, "int32"), classes), "float32"));
}

/** What drawing from G takes: its networks and, in a conditional run, the classes. */
export interface Generation {
  networks: Networks;
  conditional?: Conditioning;
}

/** G on latent vectors z (and the int32 classes `labels` of a conditional G). */
export function generateFrom(
  { networks, conditional }: Generation,
  z: tf.Tensor,
  labels: tf.Tensor | undefined,
  training: boolean,
): tf.Tensor {
  const input = conditional ? [z, classInput(labels!, conditional.classes)] : z;
  return networks.generator.apply(input, { training }) as tf.Tensor;
}

/**
 * G's samples in inference mode, their latent vectors (and, unless given, the classes of a
 * conditional G) drawn from `rng`; the caller disposes.
 */
export function sampler(
  generation: Generation,
  rng: Rng,
): (n: number, labels?: tf.Tensor) => tf.Tensor {
  const { networks, conditional } = generation;
  return (n, labels) =>
    tf.tidy(() => {
      const z = latent(networks, rng, n);
      const classes = conditional && (labels ?? drawClasses(conditional.classes, rng, n));
      return generateFrom(generation, z, classes, false);
    });
}

/**
 * The classes of a conditional G's picture: one row per class, each `columns` wide, enough for
 * at least n samples.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { classRows } from "./sample.ts";
 *
 * assert.deepEqual(classRows(5, 3), { columns: 2, labels: Int32Array.from([0, 0, 1, 1, 2, 2]) });
 * ```
 */
export function classRows(n: number, classes: number): { columns: number; labels: Int32Array } {
  const columns = Math.ceil(n / classes);
  const labels = Int32Array.from({ length: columns * classes }, (_, i) => Math.floor(i / columns));
  return { columns, labels };
}

/**
 * The picture of G's samples at an evaluation (see `samplesPng`): `imageCount` images (for a
 * conditional G, a row per class), or for points {@linkcode PLOT_POINTS} samples over as many
 * examples drawn from the dataset.
 */
export async function plotSamples(
  dataset: Dataset,
  generate: (n: number, labels?: tf.Tensor) => tf.Tensor,
  rng: Rng,
  imageCount: number,
  conditional?: Conditioning,
): Promise<Uint8Array> {
  const { info } = dataset;
  if (info.kind === "image" && conditional) {
    const { columns, labels } = classRows(imageCount, conditional.classes);
    const classes = tf.tensor1d(labels, "int32");
    const samples = generate(labels.length, classes);
    classes.dispose();
    const values = await samples.data() as Float32Array;
    samples.dispose();
    return samplesPng(info, values, new Float32Array(), columns);
  }
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
