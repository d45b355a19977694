/**
 * Spectral normalization (Miyato et al. 2018) of a built model's dense and convolution layers:
 * each kernel W, read as a matrix [inputs, outputs], is used as W / σ(W), σ its largest singular
 * value estimated by power iteration. The vector u of each layer is a variable the caller keeps
 * (it goes into checkpoints); every call in training mode advances it by `iterations` steps,
 * outside the gradient, while σ = vᵀWu itself is differentiated, as in the paper's code.
 *
 * @module
 */
import { tf, tfl } from "../deps.ts";

/** The layers whose kernels are normalised, by tfjs-layers class name. */
const NORMALISED = new Set(["Dense", "Conv2D"]);

/** A tensor's value with no gradient through it. */
const detached = tf.customGrad((...inputs: (tf.Tensor | tf.GradSaveFunc)[]) => ({
  value: tf.mul(inputs[0] as tf.Tensor, 1),
  gradFunc: (dy: tf.Tensor | tf.Tensor[]) => tf.zerosLike(dy as tf.Tensor),
})) as (x: tf.Tensor) => tf.Tensor;

const unit = (x: tf.Tensor) => tf.div(x, tf.add(tf.norm(x), 1e-12));

/** w·x for a matrix w and a vector x. */
const times = (w: tf.Tensor2D, x: tf.Tensor, transpose = false) =>
  tf.squeeze(tf.matMul(w, tf.reshape(x, [-1, 1]), transpose), [1]);

/** One power-iteration step for the matrix w [m, n] from u [n]: u' = Wᵀ(Wu) normalised. */
const powerStep = (w: tf.Tensor2D, u: tf.Tensor) => unit(times(w, unit(times(w, u)), true));

/** The kernel of a dense or convolution layer (tfjs-layers keeps it as `kernel`). */
function kernelOf(layer: tfl.layers.Layer): tfl.LayerVariable {
  return (layer as unknown as { kernel: tfl.LayerVariable }).kernel;
}

/**
 * Normalises every dense and convolution layer of `model` in place; returns each one's u, a
 * unit vector of its outputs' size drawn from `seed`, in layer order. With `iterations` ≥ 1.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tf, tfl } from "../deps.ts";
 * import { spectrallyNormalize } from "./spectral_norm.ts";
 *
 * await tf.setBackend("cpu");
 * const model = tfl.sequential({
 *   layers: [tfl.layers.dense({ inputShape: [2], units: 2, useBias: false, weights: [tf.tensor2d([[3, 0], [0, 1]])] })],
 * });
 * spectrallyNormalize(model, 1, 7);
 * // σ([[3, 0], [0, 1]]) = 3: once u has converged the layer maps [1, 0] to [1, 0].
 * for (let i = 0; i < 20; i++) model.apply(tf.ones([1, 2]), { training: true });
 * const out = model.apply(tf.tensor2d([[1, 0]])) as tf.Tensor;
 * assert.ok(Math.abs((await out.data())[0] - 1) < 1e-4);
 * ```
 */
export function spectrallyNormalize(
  model: tfl.LayersModel,
  iterations: number,
  seed: number,
): tf.Variable[] {
  const layers = model.layers.filter((layer) => NORMALISED.has(layer.getClassName()));
  if (!layers.length) {
    throw new TypeError(
      `found no Dense or Conv2D layer in ${model.name} to normalise (layers of nested models ` +
        "are not searched)",
    );
  }
  return layers.map((layer, i) => {
    const kernel = kernelOf(layer);
    const outputs = kernel.shape[kernel.shape.length - 1]!;
    const u = tf.variable(
      tf.tidy(() => unit(tf.randomNormal([outputs], 0, 1, "float32", seed + i))),
      false,
    );
    const call = layer.call.bind(layer);
    layer.call = (inputs, kwargs) => {
      const raw = () => tfl.LayerVariable.prototype.read.call(kernel);
      const w = tf.reshape(raw(), [-1, outputs]) as tf.Tensor2D;
      if (kwargs?.training) {
        const advanced = tf.tidy(() => {
          let next: tf.Tensor = u;
          for (let k = 0; k < iterations; k++) next = powerStep(detached(w) as tf.Tensor2D, next);
          return detached(next);
        });
        u.assign(advanced);
        advanced.dispose();
      }
      // σ = vᵀWu with u and v held fixed: its gradient is v uᵀ, as in the paper.
      const fixedU = detached(u);
      const v = detached(unit(times(w, fixedU)));
      const sigma = tf.sum(tf.mul(v, times(w, fixedU)));
      const normalised = tf.div(raw(), sigma);
      kernel.read = () => normalised;
      try {
        return call(inputs, kwargs);
      } finally {
        delete (kernel as { read?: unknown }).read;
      }
    };
    return u;
  });
}
