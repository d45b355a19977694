/**
 * What gantry's wasm kernels share: the kernel function type, the convolution gradients'
 * attributes, the lookup of tfjs-backend-wasm's own kernels they are built from, and views on
 * the wasm heap for the kernels written in JavaScript.
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

/** The part of tfjs-backend-wasm's backend the kernels use. */
interface WasmHeap {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array;
  dataIdMap: { get(dataId: object): { memoryOffset: number } };
  wasm: { asm?: { memory: WebAssembly.Memory }; wasmMemory?: WebAssembly.Memory };
}

/** The wasm backend's heap: its WebAssembly memory (shared on the threaded build). */
export function heapMemory(backend: tf.KernelBackend): WebAssembly.Memory {
  const { wasm } = backend as unknown as WasmHeap;
  return (wasm.asm?.memory ?? wasm.wasmMemory)!;
}

/**
 * Allocates one float32 output of each shape, then views on the heap: views are taken after
 * every allocation, as one that grows the heap detaches the views made before. `offset` is a
 * tensor's byte offset in the heap, `memory` the heap itself.
 */
export function onHeap(backend: tf.KernelBackend, shapes: number[][]) {
  const wasm = backend as unknown as WasmHeap;
  const outputs = shapes.map((shape) => wasm.makeOutput(shape, "float32"));
  const view = (t: tf.TensorInfo) => wasm.typedArrayFromHeap(t);
  const offset = (t: tf.TensorInfo) => wasm.dataIdMap.get(t.dataId).memoryOffset;
  return { outputs, out: outputs.map(view), view, offset, memory: heapMemory(backend) };
}
