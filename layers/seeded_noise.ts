/**
 * Seeded versions of tfjs's GaussianNoise and Dropout layers.
 *
 * tfjs's own layers draw unseeded noise, so two runs with the same config would differ. These
 * take a seed source (see `seed_stream.ts`) and pass a fresh seed to `tf.randomNormal` /
 * `tf.dropout` on every training call. Both ops generate their numbers in JS from the seed, so
 * the noise is the same on the cpu, wasm and webgpu backends.
 *
 * The seed source is a function and is not serialized: a layer restored from a saved model has
 * none and draws unseeded noise when trained. Inference (the usual use of a loaded model) is the
 * identity either way; a run that resumes training rebuilds its layers from the config instead.
 *
 * @module
 */
import { tf, tfl } from "../deps.ts";
import type { SeedSource } from "./seed_stream.ts";

/**
 * A layer that perturbs its input while training, with noise seeded from a seed source, and is
 * the identity otherwise (or when its `amount` is 0).
 */
abstract class SeededRandomLayer extends tfl.layers.Layer {
  private readonly seeds?: SeedSource;

  constructor(args: { seeds?: SeedSource; name?: string }) {
    super({ name: args.name });
    this.seeds = args.seeds;
  }

  /** How much noise: 0 makes the layer the identity. */
  protected abstract get amount(): number;

  /** The perturbed input, from the tfjs seed of this call (undefined: unseeded). */
  protected abstract perturb(x: tf.Tensor, seed: number | undefined): tf.Tensor;

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape | tfl.Shape[] {
    return inputShape;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs?: Record<string, unknown>): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    if (kwargs?.training !== true || this.amount === 0) return x;
    return tf.tidy(() => this.perturb(x, this.seeds?.()));
  }
}

/** Constructor arguments of {@linkcode SeededGaussianNoise}. */
export interface SeededGaussianNoiseArgs {
  /** σ of the additive noise N(0, σ²) (improved-gan's D: 0.3 on the input, 0.5 hidden). */
  stddev: number;
  /** Called once per training call for the noise's seed; without it the noise is unseeded. */
  seeds?: SeedSource;
  name?: string;
}

/**
 * Adds N(0, σ²) noise to its input when `training` is true; the identity otherwise.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tf } from "../deps.ts";
 * import { createRng } from "../core/contract/rng.ts";
 * import { SeededGaussianNoise } from "./seeded_noise.ts";
 * import { createSeedStream } from "./seed_stream.ts";
 *
 * await tf.setBackend("cpu");
 * const noise = new SeededGaussianNoise({
 *   stddev: 0.5,
 *   seeds: createSeedStream(createRng(1), "n").seeds,
 * });
 * const x = tf.zeros([1, 4]);
 * assert.deepEqual(await (noise.apply(x) as tf.Tensor).data(), await x.data()); // inference
 * const noised = await (noise.apply(x, { training: true }) as tf.Tensor).data();
 * assert.ok(noised.every((v) => v !== 0));
 * ```
 */
export class SeededGaussianNoise extends SeededRandomLayer {
  static className = "SeededGaussianNoise";
  readonly stddev: number;

  constructor(args: SeededGaussianNoiseArgs) {
    super(args);
    if (!(args.stddev >= 0)) {
      throw new RangeError(
        `Cannot create SeededGaussianNoise with stddev ${args.stddev}: it must be >= 0`,
      );
    }
    this.stddev = args.stddev;
  }

  protected get amount(): number {
    return this.stddev;
  }

  protected perturb(x: tf.Tensor, seed: number | undefined): tf.Tensor {
    return tf.add(x, tf.randomNormal(x.shape, 0, this.stddev, "float32", seed));
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), stddev: this.stddev };
  }
}
tf.serialization.registerClass(SeededGaussianNoise);

/** Constructor arguments of {@linkcode SeededDropout}. */
export interface SeededDropoutArgs {
  /** p, the fraction of units zeroed, in [0, 1). */
  rate: number;
  /** Called once per training call for the mask's seed; without it the mask is unseeded. */
  seeds?: SeedSource;
  name?: string;
}

/**
 * Inverted dropout when `training` is true: zeroes each unit with probability p and scales the
 * survivors by 1/(1-p), so inference (the identity) needs no rescaling.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tf } from "../deps.ts";
 * import { createRng } from "../core/contract/rng.ts";
 * import { SeededDropout } from "./seeded_noise.ts";
 * import { createSeedStream } from "./seed_stream.ts";
 *
 * await tf.setBackend("cpu");
 * const dropout = new SeededDropout({ rate: 0.5, seeds: createSeedStream(createRng(1), "d").seeds });
 * const kept = dropout.apply(tf.ones([1, 1000]), { training: true }) as tf.Tensor;
 * const values = await kept.data(); // each unit 0 or 1 / (1 - 0.5)
 * assert.ok(values.every((v) => v === 0 || v === 2));
 * ```
 */
export class SeededDropout extends SeededRandomLayer {
  static className = "SeededDropout";
  readonly rate: number;

  constructor(args: SeededDropoutArgs) {
    super(args);
    if (!(args.rate >= 0 && args.rate < 1)) {
      throw new RangeError(
        `Cannot create SeededDropout with rate ${args.rate}: it must be in [0, 1)`,
      );
    }
    this.rate = args.rate;
  }

  protected get amount(): number {
    return this.rate;
  }

  protected perturb(x: tf.Tensor, seed: number | undefined): tf.Tensor {
    return tf.dropout(x, this.rate, undefined, seed);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), rate: this.rate };
  }
}
tf.serialization.registerClass(SeededDropout);
