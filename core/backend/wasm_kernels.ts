/**
 * Kernel fixes for tfjs-backend-wasm 4.22, registered once when a run picks the wasm backend.
 *
 * Matrix products run through `wasm_matmul.ts` (gantry's own kernel for small ones, transposed
 * operands off wasm's slow loop), which the one-kernel op of a dense layer (`matrix_product.ts`)
 * is then built on.
 *
 * The wasm backend also has no `Conv2DBackpropFilter` kernel, so the gradient of conv2d (and of
 * conv2dTranspose, which uses the same kernel with x and dy in swapped roles) with respect to its
 * filter throws there. {@linkcode registerWasmKernels} adds the one of `wasm_conv_filter.ts`, and
 * replaces wasm's plain-loop `Conv2DBackpropInput` with the one of `wasm_conv_input.ts` and its
 * `Conv2D` and `FusedConv2D` with those of `wasm_conv_forward.ts`: all three matrix products on
 * gantry's kernel.
 *
 * wasm's `Identity` copies its input, and tfjs's engine runs it for every tensor a gradient keeps
 * for the backward pass (about 110 copies a step of the ring MLP): here it shares the buffer, as
 * the cpu backend's does (no wasm kernel writes into its inputs). It also registers the fused
 * optimizer updates of `wasm_optimizer_kernels.ts`, the one-kernel leaky-ReLU gradient that
 * `gradients.ts` calls, a SIMD LeakyRelu and Tanh in place of wasm's scalar loops
 * (`wasm_simd.ts`), and a GatherV2 that copies a batch's rows whole.
 *
 * @module
 */
import { tf } from "../../deps.ts";
import { makeConv2DBackpropFilter } from "./wasm_conv_filter.ts";
import { makeConv2DBackpropInput } from "./wasm_conv_input.ts";
import { makeConv2D } from "./wasm_conv_forward.ts";
import { LEAKY_RELU_GRAD } from "./gradients.ts";
import { makeMatMul } from "./wasm_matmul.ts";
import { registerMinibatchCloseness } from "./minibatch_closeness.ts";
import { type KernelFunc, onHeap, wasmKernel } from "./wasm_kernel.ts";
import { WASM_OPTIMIZER_KERNELS } from "./wasm_optimizer_kernels.ts";
import { simdKernels } from "./wasm_simd.ts";

let registered = false;

/**
 * dx = x > 0 ? dy : dy·α, as tfjs's `where(greater(x, 0), dy, mul(dy, α))` with α a float32
 * scalar: the same numbers in one SIMD pass.
 */
const leakyReluGrad: KernelFunc = ({ inputs, backend, attrs }) => {
  const heap = onHeap(backend, [inputs.dy.shape]);
  const { outputs: [output], out: [dx], view, offset } = heap;
  const [dy, x] = [view(inputs.dy), view(inputs.x)];
  const alpha = Math.fround((attrs as { alpha: number }).alpha);
  const blocks = dx.length >> 2;
  simdKernels(heap.memory).leakyReluGrad(
    offset(inputs.dy),
    offset(inputs.x),
    offset(output),
    blocks,
    alpha,
  );
  for (let i = 4 * blocks; i < dx.length; i++) {
    dx[i] = x[i] > 0 ? dy[i] : Math.fround(dy[i] * alpha);
  }
  return output;
};

/** tfjs-backend-wasm's LeakyRelu (x < 0 ? α·x : x) in one SIMD pass, for float32 inputs. */
function makeLeakyRelu(): KernelFunc {
  const original = wasmKernel("LeakyRelu");
  return (args) => {
    const { inputs: { x }, backend, attrs } = args;
    if (x.dtype !== "float32") return original(args);
    const heap = onHeap(backend, [x.shape]);
    const { outputs: [output], out: [y], view, offset } = heap;
    const values = view(x);
    const alpha = Math.fround((attrs as { alpha: number }).alpha);
    const blocks = y.length >> 2;
    simdKernels(heap.memory).leakyRelu(offset(x), offset(output), blocks, alpha);
    for (let i = 4 * blocks; i < y.length; i++) {
      y[i] = values[i] < 0 ? Math.fround(alpha * values[i]) : values[i];
    }
    return output;
  };
}

/**
 * tfjs-backend-wasm's Tanh (libm's tanh an element, about 20 ns here: 5% of an mlp step) as
 * `wasm_simd.ts`'s SIMD tanh, within 2 ulp of the exact value, for float32 inputs. The last
 * n % 4 elements go through a scratch block of four, so every element is the same function of
 * its input.
 */
function makeTanh(): KernelFunc {
  const original = wasmKernel("Tanh");
  return (args) => {
    const { inputs: { x }, backend } = args;
    if (x.dtype !== "float32") return original(args);
    const size = x.shape.reduce((a, b) => a * b, 1);
    const [blocks, tail] = [size >> 2, size & 3];
    const heap = onHeap(backend, tail ? [x.shape, [8]] : [x.shape]);
    const { outputs: [output, scratch], out: [y, block], view, offset } = heap;
    const simd = simdKernels(heap.memory);
    simd.tanh(offset(x), offset(output), blocks);
    if (tail) {
      block.fill(0).set(view(x).subarray(4 * blocks));
      simd.tanh(offset(scratch), offset(scratch) + 16, 1);
      y.set(block.subarray(4, 4 + tail), 4 * blocks);
      backend.disposeData(scratch.dataId);
    }
    return output;
  };
}

/**
 * tfjs-backend-wasm's Sum or Mean over a run of adjacent axes that are not the innermost (batch
 * norm's statistics and gradients and bias gradients over the leading axes, minibatch
 * discrimination's sums over the batch) without its transpose: wasm moves the reduced axes
 * innermost first, 5 of the 5.6 ms it takes to sum a [64, 14, 14, 64] batch over [0, 1, 2].
 * Here the input is [outer, rows, width] and each column of each outer slab is summed straight
 * from it, rows in the order wasm sums them after its transpose (float32, one addition at a
 * time), so the numbers are the same; Mean then divides by the row count, as wasm's does.
 */
function makeAxisRunReduction(name: "Sum" | "Mean"): KernelFunc {
  const original = wasmKernel(name);
  const product = (dims: number[]) => dims.reduce((a, b) => a * b, 1);
  return (args) => {
    const { inputs: { x }, backend, attrs } = args;
    const { axis, keepDims } = attrs as { axis: number | number[] | null; keepDims: boolean };
    const rank = x.shape.length;
    const axes = tf.util.parseAxisParam(axis ?? [...Array(rank).keys()], x.shape).sort();
    const [first, end] = [axes[0], axes[0] + axes.length];
    const run = axes.every((a, i) => a === first + i) && end < rank;
    const [outer, rows, width] = [
      product(x.shape.slice(0, first)),
      product(x.shape.slice(first, end)),
      product(x.shape.slice(end)),
    ];
    if (x.dtype !== "float32" || !run || outer * rows * width === 0) return original(args);
    const shape = keepDims
      ? x.shape.map((d, i) => (axes.includes(i) ? 1 : d))
      : x.shape.filter((_, i) => !axes.includes(i));
    const heap = onHeap(backend, [shape]);
    const { outputs: [output], out: [sums], view, offset } = heap;
    sums.fill(0);
    const blocks = width >> 2;
    const simd = simdKernels(heap.memory);
    for (let o = 0; o < outer; o++) {
      simd.columnSums(
        offset(x) + 4 * o * rows * width,
        offset(output) + 4 * o * width,
        rows,
        width,
        blocks,
      );
    }
    const values = view(x);
    for (let o = 0; o < outer; o++) {
      for (let c = 4 * blocks; c < width; c++) {
        let sum = 0;
        for (let r = 0; r < rows; r++) sum = Math.fround(sum + values[(o * rows + r) * width + c]);
        sums[o * width + c] = sum;
      }
    }
    if (name === "Mean") {
      for (let k = 0; k < sums.length; k++) sums[k] = Math.fround(sums[k] / rows);
    }
    return output;
  };
}

/**
 * tfjs-backend-wasm's GatherV2 of float32 rows (along axis 0, no batch dimensions: how a
 * dataset samples a batch) as one copy a row; wasm's loop takes about 20 ns an element, 1.1 ms
 * for a batch of 64 MNIST digits. Indices out of range go to wasm's kernel, which names them.
 */
function makeRowGather(): KernelFunc {
  const original = wasmKernel("GatherV2");
  return (args) => {
    const { inputs: { x, indices }, backend, attrs } = args;
    const { axis, batchDims } = attrs as { axis: number; batchDims: number };
    const rows = x.shape[0];
    if (
      x.dtype !== "float32" || indices.dtype !== "int32" || batchDims !== 0 ||
      tf.util.parseAxisParam(axis, x.shape)[0] !== 0 || rows === 0
    ) return original(args);
    const picked = backend.readSync(indices.dataId) as Int32Array;
    if (!picked.every((row) => row >= 0 && row < rows)) return original(args);
    const heap = onHeap(backend, [[...indices.shape, ...x.shape.slice(1)]]);
    const { outputs: [output], out: [y], view } = heap;
    const from = view(x), width = from.length / rows;
    picked.forEach((row, i) => y.set(from.subarray(row * width, (row + 1) * width), i * width));
    return output;
  };
}

/** Registers gantry's wasm kernels, before the backend starts; later calls do nothing. */
export function registerWasmKernels(): void {
  if (registered) return;
  registered = true;
  const products = {
    BatchMatMul: makeMatMul("BatchMatMul"),
    _FusedMatMul: makeMatMul("_FusedMatMul"),
  };
  for (const [name, kernelFunc] of Object.entries(products)) {
    const config = tf.getKernel(name, "wasm")!;
    tf.unregisterKernel(name, "wasm");
    // Keeps the original setupFunc, which binds the wasm function when the backend starts.
    tf.registerKernel({ ...config, kernelFunc: kernelFunc as unknown as tf.KernelFunc });
  }
  const backpropInput = makeConv2DBackpropInput();
  tf.unregisterKernel("Conv2DBackpropInput", "wasm");
  tf.registerKernel({
    kernelName: "Conv2DBackpropInput",
    backendName: "wasm",
    kernelFunc: backpropInput as unknown as tf.KernelFunc,
  });
  const replacements: Record<string, KernelFunc> = {
    LeakyRelu: makeLeakyRelu(),
    Sum: makeAxisRunReduction("Sum"),
    Mean: makeAxisRunReduction("Mean"),
    GatherV2: makeRowGather(),
    Tanh: makeTanh(),
    Conv2D: makeConv2D("Conv2D"),
    FusedConv2D: makeConv2D("FusedConv2D"),
  };
  for (const [kernelName, kernelFunc] of Object.entries(replacements)) {
    const config = tf.getKernel(kernelName, "wasm")!;
    tf.unregisterKernel(kernelName, "wasm");
    // Keeps the original setupFunc, which binds the wasm function the original calls.
    tf.registerKernel({ ...config, kernelFunc: kernelFunc as unknown as tf.KernelFunc });
  }
  const identity = wasmKernel("Identity");
  tf.unregisterKernel("Identity", "wasm");
  tf.registerKernel({
    kernelName: "Identity",
    backendName: "wasm",
    kernelFunc: (({ inputs: { x }, backend, attrs }) => {
      if (x.dtype === "string") return identity({ inputs: { x }, backend, attrs });
      backend.incRef(x.dataId);
      return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
    }) as KernelFunc as unknown as tf.KernelFunc,
  });
  registerMinibatchCloseness();
  const kernels = {
    ...WASM_OPTIMIZER_KERNELS,
    [LEAKY_RELU_GRAD]: leakyReluGrad,
  };
  for (const [kernelName, kernelFunc] of Object.entries(kernels)) {
    tf.registerKernel({
      kernelName,
      backendName: "wasm",
      kernelFunc: kernelFunc as unknown as tf.KernelFunc,
    });
  }
  // Skipped should a later tfjs-backend-wasm bring its own.
  if (!tf.getKernel("Conv2DBackpropFilter", "wasm")) {
    tf.registerKernel({
      kernelName: "Conv2DBackpropFilter",
      backendName: "wasm",
      kernelFunc: makeConv2DBackpropFilter() as unknown as tf.KernelFunc,
    });
  }
}
