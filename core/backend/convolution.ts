/**
 * A convolution layer's forward as one kernel whose gradients are computed only when asked for:
 * y = conv2d(x, filter) (+ bias), NHWC, dilation 1. tfjs's `fused.conv2d`, which tfjs-layers'
 * Conv2D calls, keeps x, the filter, the output and the bias through `customGrad`, and its
 * gradient computes the gradients of x, the filter and the bias whenever any one is asked for: in
 * a GAN step, D's first layer's gradient with respect to the real and the generated batch in D's
 * update (neither is a variable there), and D's filter gradients in G's update, which tfjs then
 * drops (a DCGAN step ran four filter gradients of its 642 M multiply-add shape where three were
 * needed). On every backend this op is one kernel, `GantryConv2D`, that runs the same forward as
 * tfjs's path (the backend's `FusedConv2D`; on wasm gantry's, `wasm_conv_forward.ts`) and keeps x
 * and the filter; its gradient is tfjs's own: `Conv2DBackpropInput`, `Conv2DBackpropFilter` and,
 * for the bias, a Sum, each only for an input the tape asks for, on the same operands, so the
 * numbers are tfjs's bit for bit. For tensors the kernel does not take it is tfjs's `fused.conv2d`.
 *
 * @module
 */
import { tf } from "../../deps.ts";

const KERNEL = "GantryConv2D";

/** Options of {@linkcode convolution}. */
export interface ConvolutionOptions {
  /** The stride along the height and the width. */
  strides: [number, number];
  /** "same" pads x so that the output has ⌈side / stride⌉ pixels a side, "valid" does not pad. */
  pad: "same" | "valid";
  /** Added to every output pixel: one value per output channel. */
  bias?: tf.Tensor;
}

/**
 * conv2d(x, filter) (+ bias) for NHWC x [n, h, w, ci] and filter [kh, kw, ci, co], in one kernel
 * once the backend has gantry's (`registerConvolution`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tf } from "../../deps.ts";
 * import { convolution } from "./convolution.ts";
 *
 * await tf.setBackend("cpu");
 * const x = tf.ones([1, 2, 2, 1]), filter = tf.ones([2, 2, 1, 1]);
 * const y = convolution(x, filter, { strides: [1, 1], pad: "valid", bias: tf.tensor1d([1]) });
 * assert.deepEqual(await y.data(), new Float32Array([5]));
 * ```
 */
export function convolution(
  x: tf.Tensor,
  filter: tf.Tensor,
  { strides, pad, bias }: ConvolutionOptions,
): tf.Tensor {
  const own = tf.getKernel(KERNEL, tf.getBackend()) && x.rank === 4 && filter.rank === 4 &&
    x.dtype === "float32" && filter.dtype === "float32" && x.shape[3] === filter.shape[2] &&
    (!bias || (bias.rank === 1 && bias.dtype === "float32" && bias.size === filter.shape[3]));
  if (!own) {
    return tf.fused.conv2d({
      x: x as tf.Tensor4D,
      filter: filter as tf.Tensor4D,
      strides,
      pad,
      bias,
    });
  }
  return tf.engine().runKernel(
    KERNEL,
    bias ? { x, filter, bias } : { x, filter },
    { strides, pad },
  ) as tf.Tensor;
}

/**
 * Registers the op's kernel for a backend, built on the backend's `FusedConv2D` kernel function
 * as it is then (call it after replacing that kernel), and the op's gradient; once a backend, and
 * nothing for a backend without a `FusedConv2D`.
 */
export function registerConvolution(backendName: string): void {
  const fused = tf.getKernel("FusedConv2D", backendName);
  if (!fused || tf.getKernel(KERNEL, backendName)) return;
  const kernelFunc: tf.KernelFunc = ({ inputs, backend, attrs }) =>
    fused.kernelFunc({
      inputs,
      backend,
      attrs: { ...attrs, dataFormat: "NHWC", dilations: [1, 1], activation: "linear" },
    });
  tf.registerKernel({ kernelName: KERNEL, backendName, kernelFunc });
  if (tf.getGradient(KERNEL)) return;
  tf.registerGradient({
    kernelName: KERNEL,
    inputsToSave: ["x", "filter"],
    gradFunc: (dy, [x, filter], attrs) => {
      const { strides, pad } = attrs as unknown as ConvolutionOptions;
      const common = { strides, pad, dataFormat: "NHWC" };
      const run = (name: string, inputs: tf.NamedTensorMap, extra: tf.NamedAttrMap) => () =>
        tf.engine().runKernel(name, inputs, { ...common, ...extra }) as tf.Tensor;
      return {
        x: run("Conv2DBackpropInput", { dy: dy as tf.Tensor, filter }, { inputShape: x.shape }),
        filter: run("Conv2DBackpropFilter", { x, dy: dy as tf.Tensor }, {
          filterShape: filter.shape,
        }),
        bias: () => tf.sum(dy as tf.Tensor, [0, 1, 2]),
      };
    },
  });
}
