/**
 * Gradients gantry registers in place of tfjs-core's, for every backend, each giving the same
 * numbers with less work.
 *
 * - `FusedBatchNorm`: tfjs's input gradient tiles 1/√(σ² + ε) to the input's whole shape before
 *   multiplying (`tile` then `mul`); on wasm that `Tile` took 22 ms a call for DCGAN's
 *   [64, 14, 14, 64] activations, 7 % of its step. Broadcasting the [C] vector in the multiply
 *   computes the same products, so the gradient is bit for bit tfjs's.
 * - `LeakyRelu`: tfjs's `where(x > 0, dy, dy·α)` runs three kernels (Greater, Multiply, Select)
 *   over the activation; where the backend has gantry's `GantryLeakyReluGrad` (wasm) it is one.
 *
 * And gradients tfjs lacks, so that a gradient can itself be differentiated (a penalty on
 * ‖∇ₓD(x)‖, as R1 and WGAN-GP are, trains D through D's own backward pass):
 *
 * - the comparisons (`Greater`, `Less`, ...): piecewise constant, so zero almost everywhere;
 * - `GantryLeakyReluGrad`: linear in dy with the same slopes, zero in x.
 *
 * @module
 */
import { tf } from "../../deps.ts";

/** The fused leaky-ReLU gradient's kernel name: inputs dy, x; attribute alpha; output dx. */
export const LEAKY_RELU_GRAD = "GantryLeakyReluGrad";

let registered = false;

/** Registers the gradients above once; later calls do nothing. */
export function registerGradients(): void {
  if (registered) return;
  registered = true;
  const batchNorm = tf.getGradient("FusedBatchNorm")!;
  tf.registerGradient({
    ...batchNorm,
    gradFunc: (dy, saved, attrs) => {
      const grads = batchNorm.gradFunc(dy, saved, attrs);
      const upstream = dy as tf.Tensor;
      const [x, mean, variance, scale] = saved;
      if (mean.rank !== 1) return grads;
      const { varianceEpsilon } = attrs as unknown as { varianceEpsilon: number };
      return {
        ...grads,
        x: () => {
          const oneOverSqrtVariance = tf.rsqrt(tf.add(variance, tf.scalar(varianceEpsilon)));
          const scaled = tf.mul(tf.mul(upstream, oneOverSqrtVariance), scale ?? tf.scalar(1));
          return tf.reshape(scaled, x.shape);
        },
      };
    },
  });
  for (const kernelName of ["Greater", "GreaterEqual", "Less", "LessEqual", "Equal", "NotEqual"]) {
    tf.registerGradient({
      kernelName,
      inputsToSave: ["a", "b"],
      gradFunc: (_, [a, b]) => ({ a: () => tf.zerosLike(a), b: () => tf.zerosLike(b) }),
    });
  }
  tf.registerGradient({
    kernelName: LEAKY_RELU_GRAD,
    inputsToSave: ["x"],
    gradFunc: (dy, [x], attrs) => ({
      dy: () =>
        tf.engine().runKernel(LEAKY_RELU_GRAD, { dy: dy as tf.Tensor, x }, {
          ...attrs,
        }) as tf.Tensor,
      x: () => tf.zerosLike(x),
    }),
  });
  const leakyRelu = tf.getGradient("LeakyRelu")!;
  tf.registerGradient({
    ...leakyRelu,
    gradFunc: (dy, saved, attrs) => {
      if (!tf.getKernel(LEAKY_RELU_GRAD, tf.getBackend())) {
        return leakyRelu.gradFunc(dy, saved, attrs);
      }
      const [x] = saved;
      const { alpha } = attrs as unknown as { alpha: number };
      return {
        x: () =>
          tf.engine().runKernel(LEAKY_RELU_GRAD, { dy: dy as tf.Tensor, x }, {
            alpha,
          }) as tf.Tensor,
      };
    },
  });
}
