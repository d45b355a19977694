/**
 * Virtual batch normalization ([IMP] sec. 3.4) as a tfjs layer registered for serialization,
 * and the `virtual-batch-norm` add-on that splices it into D.
 *
 * Batch norm makes each example's output depend on the other examples of its minibatch. VBN
 * normalises every example with the statistics of one reference batch, chosen once at the start
 * of training. [IMP] also mixes the example itself into those statistics; this version uses the
 * reference batch only, so an example's output depends on nothing else in its batch.
 *
 * @module
 */
import { tf, tfl, z } from "../deps.ts";
import { definePlugin } from "../core/plugin.ts";

/** Constructor arguments of {@linkcode VirtualBatchNorm}. */
export interface VirtualBatchNormArgs {
  /** How many leading rows of every input are the reference batch. */
  referenceSize: number;
  /** Added to the variance before the square root (default 1e-5). */
  epsilon?: number;
  name?: string;
}

/**
 * Normalises all rows of its input with the mean and (biased) variance of its first
 * `referenceSize` rows, then scales by γ and shifts by β (learned, initially 1 and 0). The
 * statistics are per feature, the last axis, over every other axis of the reference rows (for
 * [n, h, w, c] feature maps: per channel, as batch norm does). Training and inference alike,
 * so every input, evaluation included, must start with the reference batch.
 */
export class VirtualBatchNorm extends tfl.layers.Layer {
  static className = "VirtualBatchNorm";
  readonly referenceSize: number;
  readonly epsilon: number;
  private gamma?: tfl.LayerVariable;
  private beta?: tfl.LayerVariable;

  constructor(args: VirtualBatchNormArgs) {
    super({ name: args.name });
    if (!Number.isInteger(args.referenceSize) || args.referenceSize < 1) {
      throw new RangeError(
        `Cannot create VirtualBatchNorm with referenceSize ${args.referenceSize}: ` +
          "it must be a positive integer",
      );
    }
    this.referenceSize = args.referenceSize;
    this.epsilon = args.epsilon ?? 1e-5;
  }

  override build(inputShape: tfl.Shape | tfl.Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tfl.Shape;
    const features = shape[shape.length - 1];
    if (shape.length < 2 || features === null) {
      throw new TypeError(
        `Cannot build VirtualBatchNorm on shape ${JSON.stringify(shape)}: ` +
          "it needs a batch axis and a known last axis",
      );
    }
    this.gamma = this.addWeight("gamma", [features], "float32", tfl.initializers.ones());
    this.beta = this.addWeight("beta", [features], "float32", tfl.initializers.zeros());
    this.built = true;
  }

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape | tfl.Shape[] {
    return inputShape;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    if (x.shape[0] < this.referenceSize) {
      throw new RangeError(
        `Cannot normalise a batch of ${x.shape[0]} rows with VirtualBatchNorm: ` +
          `its first ${this.referenceSize} rows must be the reference batch`,
      );
    }
    return tf.tidy(() => {
      const reference = tf.slice(x, 0, this.referenceSize);
      const axes = x.shape.slice(0, -1).map((_, i) => i);
      const { mean, variance } = tf.moments(reference, axes);
      const normalised = tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, this.epsilon)));
      return tf.add(tf.mul(normalised, this.gamma!.read()), this.beta!.read());
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      referenceSize: this.referenceSize,
      epsilon: this.epsilon,
    };
  }
}
tf.serialization.registerClass(VirtualBatchNorm);

/**
 * Virtual batch normalization before each hidden activation of D. It asks the engine for a
 * reference batch of `referenceSize` real examples, which leads every batch D sees.
 */
export default definePlugin({
  kind: "addon",
  name: "virtual-batch-norm",
  description: "Normalises D's hidden layers with the statistics of a fixed reference batch",
  options: z.strictObject({
    referenceSize: z.int().positive().default(100),
    epsilon: z.number().positive().default(1e-5),
    skipFirst: z.boolean().default(false),
  }),
  create: ({ options }) => ({
    point: "pre-activation",
    referenceBatch: options.referenceSize,
    // Statistics come from the reference batch alone, never from the other examples.
    perExample: true,
    layer: ({ index }) =>
      options.skipFirst && index === 0 ? null : new VirtualBatchNorm({
        referenceSize: options.referenceSize,
        epsilon: options.epsilon,
      }),
  }),
});
