/**
 * The minibatch-discrimination layer of [IMP] sec. 3.2 as a tfjs layer registered for
 * serialization, so a discriminator that uses it saves and loads like any other model.
 *
 * @module
 */
import { tf, tfl } from "../deps.ts";
import { minibatchCloseness } from "../core/backend/minibatch_closeness.ts";
import { lastAxis } from "./_checks.ts";

/** Constructor arguments of {@linkcode MinibatchDiscrimination}. */
export interface MinibatchDiscriminationArgs {
  /** B, the number of kernels (improved-gan: 100). */
  kernels: number;
  /** C, the dimension of each kernel's projection (improved-gan: 5). */
  dims: number;
  /** Seed of T's initializer. */
  seed?: number;
  name?: string;
}

/**
 * From features f ∈ R^{n×A} and a learned T ∈ R^{A×B×C}: M = f·T; for each row i and kernel b,
 * o(x_i)_b = Σ_{j≠i} exp(-||M_ib - M_jb||_1); outputs [f, o] ∈ R^{n×(A+B)}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tf } from "../deps.ts";
 * import { MinibatchDiscrimination } from "./minibatch_discrimination.ts";
 *
 * await tf.setBackend("cpu");
 * const layer = new MinibatchDiscrimination({ kernels: 3, dims: 2, seed: 1 });
 * const out = layer.apply(tf.ones([4, 5])) as tf.Tensor;
 * assert.ok(out.shape[1] === 8);
 * ```
 */
export class MinibatchDiscrimination extends tfl.layers.Layer {
  static className = "MinibatchDiscrimination";
  readonly kernels: number;
  readonly dims: number;
  readonly seed?: number;
  private projection?: tfl.LayerVariable;

  constructor(args: MinibatchDiscriminationArgs) {
    super({ name: args.name });
    this.kernels = args.kernels;
    this.dims = args.dims;
    this.seed = args.seed;
  }

  override build(inputShape: tfl.Shape | tfl.Shape[]): void {
    this.projection = this.addWeight(
      "T",
      [lastAxis("MinibatchDiscrimination", inputShape), this.kernels * this.dims],
      "float32",
      tfl.initializers.randomNormal({ mean: 0, stddev: 0.05, seed: this.seed }),
    );
    this.built = true;
  }

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tfl.Shape;
    const width = shape[shape.length - 1];
    return [shape[0], width === null ? null : width + this.kernels];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const features = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor2D;
      const m = tf.reshape(tf.matMul(features, this.projection!.read() as tf.Tensor2D), [
        -1,
        this.kernels,
        this.dims,
      ]);
      return tf.concat([features, minibatchCloseness(m)], 1);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      kernels: this.kernels,
      dims: this.dims,
      seed: this.seed ?? null,
    };
  }
}
tf.serialization.registerClass(MinibatchDiscrimination);
