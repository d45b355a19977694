/**
 * PacGAN's packing as a layer: every `packs` consecutive examples of the batch become one, their
 * last axes (features, or image channels) concatenated, so that D judges them together.
 *
 * @module
 */
import { tf, tfl } from "../deps.ts";

/** Options of {@linkcode Pack}. */
export interface PackArgs {
  packs: number;
  name?: string;
}

/**
 * [n, ..., c] → [n / packs, ..., packs · c], examples i·packs … i·packs + packs − 1 side by side.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tf } from "../deps.ts";
 * import { Pack } from "./pack.ts";
 *
 * await tf.setBackend("cpu");
 * const packed = new Pack({ packs: 2 }).apply(tf.tensor2d([[1, 2], [3, 4], [5, 6], [7, 8]]));
 * assert.deepEqual(await (packed as tf.Tensor).array(), [[1, 2, 3, 4], [5, 6, 7, 8]]);
 * ```
 */
export class Pack extends tfl.layers.Layer {
  static className = "Pack";
  readonly packs: number;

  constructor(args: PackArgs) {
    super({ name: args.name });
    this.packs = args.packs;
  }

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tfl.Shape;
    const last = shape[shape.length - 1];
    return [null, ...shape.slice(1, -1), last === null ? null : last * this.packs];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0] : inputs;
      const [n, ...rest] = x.shape;
      if (n % this.packs) {
        throw new RangeError(`Cannot pack a batch of ${n} in packs of ${this.packs}`);
      }
      // [n/p, p, ..., c] → [n/p, ..., p, c] → [n/p, ..., p·c]
      const grouped = tf.reshape(x, [n / this.packs, this.packs, ...rest]);
      const axes = [0, ...rest.slice(0, -1).map((_, i) => i + 2), 1, rest.length + 1];
      return tf.reshape(tf.transpose(grouped, axes), [
        n / this.packs,
        ...rest.slice(0, -1),
        rest[rest.length - 1] * this.packs,
      ]);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), packs: this.packs };
  }
}
tf.serialization.registerClass(Pack);
