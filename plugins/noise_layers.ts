/**
 * Seeded versions of tfjs's GaussianNoise and Dropout layers, and the resumable seed stream the
 * `gaussian-noise` and `dropout` add-ons feed them with.
 *
 * tfjs's own layers draw unseeded noise, so two runs with the same config would differ. These
 * take a seed source and pass a fresh seed to `tf.randomNormal` / `tf.dropout` on every training
 * call. Both ops generate their numbers in JS from the seed, so the noise is the same on the cpu,
 * wasm and webgpu backends.
 *
 * The seed source is a function and is not serialized: a layer restored from a saved model has
 * none and draws unseeded noise when trained. Inference (the usual use of a loaded model) is the
 * identity either way; a run that resumes training rebuilds its layers from the config instead.
 *
 * @module
 */
import { tf, tfl } from "../deps.ts";
import type { PluginState } from "../core/plugin.ts";
import { createRng, type Rng, type RngState } from "../core/rng.ts";

/** A source of tfjs seeds: each call returns the seed for one random op. */
export type SeedSource = () => number;

/** Constructor arguments of {@linkcode SeededGaussianNoise}. */
export interface SeededGaussianNoiseArgs {
  /** σ of the additive noise N(0, σ²) (improved-gan's D: 0.3 on the input, 0.5 hidden). */
  stddev: number;
  /** Called once per training call for the noise's seed; without it the noise is unseeded. */
  seeds?: SeedSource;
  name?: string;
}

/** Adds N(0, σ²) noise to its input when `training` is true; the identity otherwise. */
export class SeededGaussianNoise extends tfl.layers.Layer {
  static className = "SeededGaussianNoise";
  readonly stddev: number;
  private readonly seeds?: SeedSource;

  constructor(args: SeededGaussianNoiseArgs) {
    super({ name: args.name });
    if (!(args.stddev >= 0)) {
      throw new RangeError(
        `Cannot create SeededGaussianNoise with stddev ${args.stddev}: it must be >= 0`,
      );
    }
    this.stddev = args.stddev;
    this.seeds = args.seeds;
  }

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape | tfl.Shape[] {
    return inputShape;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs?: Record<string, unknown>): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    if (kwargs?.training !== true || this.stddev === 0) return x;
    return tf.tidy(() =>
      tf.add(x, tf.randomNormal(x.shape, 0, this.stddev, "float32", this.seeds?.()))
    );
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
 */
export class SeededDropout extends tfl.layers.Layer {
  static className = "SeededDropout";
  readonly rate: number;
  private readonly seeds?: SeedSource;

  constructor(args: SeededDropoutArgs) {
    super({ name: args.name });
    if (!(args.rate >= 0 && args.rate < 1)) {
      throw new RangeError(
        `Cannot create SeededDropout with rate ${args.rate}: it must be in [0, 1)`,
      );
    }
    this.rate = args.rate;
    this.seeds = args.seeds;
  }

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape | tfl.Shape[] {
    return inputShape;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs?: Record<string, unknown>): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    if (kwargs?.training !== true || this.rate === 0) return x;
    return tf.tidy(() => tf.dropout(x, this.rate, undefined, this.seeds?.()));
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), rate: this.rate };
  }
}
tf.serialization.registerClass(SeededDropout);

/** A seed source whose position a checkpoint can carry: what a noise add-on keeps. */
export interface SeedStream {
  /** The next seed; layers hold this function, so it always reads the current stream. */
  seeds: SeedSource;
  /** `{ rng: [a, b, c, d] }`, the stream's sfc32 state. */
  saveState(): PluginState;
  /** Puts the stream back where `saveState` found it, without rebuilding any layer. */
  loadState(state: PluginState): void;
}

/**
 * A private stream seeded once from the plugin's `rng`, so the add-on's draws depend on nothing
 * but the run's seed and the number of training calls before them.
 */
export function createSeedStream(rng: Rng, plugin: string): SeedStream {
  let stream = createRng(rng.seed());
  return {
    seeds: () => stream.seed(),
    saveState: () => ({ rng: stream.state() }),
    loadState(state) {
      const words = state.rng;
      if (
        !Array.isArray(words) || words.length !== 4 ||
        !words.every((w) =>
          typeof w === "number" && Number.isInteger(w) && w >= -(2 ** 31) && w < 2 ** 32
        )
      ) {
        throw new TypeError(
          `Cannot load ${plugin} state ${JSON.stringify(words ?? null)}: ` +
            "rng must be four 32-bit integers",
        );
      }
      stream = createRng((words as number[]).map((w) => w >>> 0) as RngState);
    },
  };
}
