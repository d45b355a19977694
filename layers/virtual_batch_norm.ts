/**
 * Virtual batch normalization ([IMP] sec. 3.4) as a tfjs layer registered for serialization;
 * the `virtual-batch-norm` add-on splices it into D.
 *
 * Batch norm makes each example's output depend on the other examples of its minibatch. VBN
 * normalises every example with the statistics of one reference batch, chosen once at the start
 * of training. [IMP] also mixes the example itself into those statistics; this version uses the
 * reference batch only, so an example's output depends on nothing else in its batch.
 *
 * @module
 */
import { tf, tfl } from "../deps.ts";
import { lastAxis, positiveInteger } from "./_checks.ts";

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
    this.referenceSize = positiveInteger("VirtualBatchNorm", "referenceSize", args.referenceSize);
    this.epsilon = args.epsilon ?? 1e-5;
  }

  override build(inputShape: tfl.Shape | tfl.Shape[]): void {
    const features = lastAxis("VirtualBatchNorm", inputShape);
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
