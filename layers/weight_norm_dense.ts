/**
 * A weight-normalised dense layer (Salimans & Kingma 2016), which improved-gan's discriminator
 * and generator use for every dense layer ([IMP] code), as a tfjs layer registered for
 * serialization.
 *
 * @module
 */
import { tf, tfl } from "../deps.ts";
import { lastAxis, positiveInteger } from "./_checks.ts";

/** Activations {@linkcode WeightNormDense} can apply after its affine map. */
export const WEIGHT_NORM_ACTIVATIONS = [
  "linear",
  "relu",
  "elu",
  "selu",
  "sigmoid",
  "tanh",
  "softplus",
  "softsign",
] as const;

/** One of {@linkcode WEIGHT_NORM_ACTIVATIONS}. */
export type WeightNormActivation = typeof WEIGHT_NORM_ACTIVATIONS[number];

const activations: Record<WeightNormActivation, (x: tf.Tensor) => tf.Tensor> = {
  linear: (x) => x,
  relu: (x) => tf.relu(x),
  elu: (x) => tf.elu(x),
  selu: (x) => tf.selu(x),
  sigmoid: (x) => tf.sigmoid(x),
  tanh: (x) => tf.tanh(x),
  softplus: (x) => tf.softplus(x),
  softsign: (x) => tf.div(x, tf.add(tf.abs(x), 1)),
};

/** Constructor arguments of {@linkcode WeightNormDense}. */
export interface WeightNormDenseArgs {
  /** Output width. */
  units: number;
  /** Applied after the affine map (default "linear"). */
  activation?: WeightNormActivation;
  /** Adds a learned bias, initially 0 (default true). */
  useBias?: boolean;
  /** Seed of v's initializer, N(0, 0.05²). */
  seed?: number;
  name?: string;
}

/**
 * y = activation(x·W + b) with W = v · g / ||v||₂: each output unit's weight vector (a column
 * of v, of norm taken over the input axis) has its direction learned by v and its length by the
 * scalar g, so scaling v changes nothing. v [in, units], g [units] (initially 1) and b [units]
 * are trainable. Inputs of rank above 2 are mapped along their last axis, as Dense does.
 *
 * improved-gan also initialises g and b from the statistics of a first batch (data-dependent
 * initialisation); this layer does not.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tf } from "../deps.ts";
 * import { WeightNormDense } from "./weight_norm_dense.ts";
 *
 * await tf.setBackend("cpu");
 * const y = new WeightNormDense({ units: 4, seed: 1 }).apply(tf.ones([2, 3])) as tf.Tensor;
 * assert.deepEqual(y.shape, [2, 4]);
 * ```
 */
export class WeightNormDense extends tfl.layers.Layer {
  static className = "WeightNormDense";
  readonly units: number;
  readonly activation: WeightNormActivation;
  readonly useBias: boolean;
  readonly seed?: number;
  private v?: tfl.LayerVariable;
  private g?: tfl.LayerVariable;
  private bias?: tfl.LayerVariable;

  constructor(args: WeightNormDenseArgs) {
    super({ name: args.name });
    this.units = positiveInteger("WeightNormDense", "units", args.units);
    const activation = args.activation ?? "linear";
    if (!(WEIGHT_NORM_ACTIVATIONS as readonly string[]).includes(activation)) {
      throw new TypeError(
        `Cannot create WeightNormDense with activation "${activation}": available activations ` +
          `are ${WEIGHT_NORM_ACTIVATIONS.map((a) => `"${a}"`).join(", ")}`,
      );
    }
    this.activation = activation;
    this.useBias = args.useBias ?? true;
    this.seed = args.seed;
  }

  override build(inputShape: tfl.Shape | tfl.Shape[]): void {
    const inputs = lastAxis("WeightNormDense", inputShape);
    this.v = this.addWeight(
      "v",
      [inputs, this.units],
      "float32",
      tfl.initializers.randomNormal({ mean: 0, stddev: 0.05, seed: this.seed }),
    );
    this.g = this.addWeight("g", [this.units], "float32", tfl.initializers.ones());
    if (this.useBias) {
      this.bias = this.addWeight("bias", [this.units], "float32", tfl.initializers.zeros());
    }
    this.built = true;
  }

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tfl.Shape;
    return [...shape.slice(0, -1), this.units];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0] : inputs;
      const v = this.v!.read() as tf.Tensor2D;
      const norm = tf.sqrt(tf.sum(tf.square(v), 0));
      const kernel = tf.mul(v, tf.div(this.g!.read(), norm)) as tf.Tensor2D;
      const flat = x.rank === 2 ? x as tf.Tensor2D : tf.reshape(x, [-1, v.shape[0]]) as tf.Tensor2D;
      let y: tf.Tensor = tf.matMul(flat, kernel);
      if (this.bias) y = tf.add(y, this.bias.read());
      if (x.rank !== 2) y = tf.reshape(y, [...x.shape.slice(0, -1), this.units]);
      return activations[this.activation](y);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      units: this.units,
      activation: this.activation,
      useBias: this.useBias,
      seed: this.seed ?? null,
    };
  }
}
tf.serialization.registerClass(WeightNormDense);
