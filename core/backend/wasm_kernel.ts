/**
 * What gantry's wasm kernels share: the kernel function type, the convolution gradients'
 * attributes, and the lookup of tfjs-backend-wasm's own kernels they are built from.
 *
 * @module
 */
import { tf } from "../../deps.ts";

/** A kernel function as tfjs calls it, on TensorInfos. */
export type KernelFunc = (params: {
  inputs: Record<string, tf.TensorInfo>;
  backend: tf.KernelBackend;
  attrs?: Record<string, unknown>;
}) => tf.TensorInfo | tf.TensorInfo[];

/** The attributes both convolution gradients share. */
export interface ConvGradientAttrs {
  strides: [number, number] | number;
  pad: "valid" | "same" | number | tf.backend_util.ExplicitPadding;
  dataFormat: "NHWC" | "NCHW";
  dimRoundingMode?: "floor" | "round" | "ceil";
}

/** tfjs-backend-wasm's own kernel function of this name. */
export function wasmKernel(name: string): KernelFunc {
  const config = tf.getKernel(name, "wasm");
  if (!config) throw new Error(`tfjs-backend-wasm has no ${name} kernel`);
  return config.kernelFunc as unknown as KernelFunc;
}
