/**
 * conv2d on the wasm backend (`Conv2D`, and `FusedConv2D` with a bias and no activation, as
 * tfjs-layers' conv layers call it) as one matrix product, im2col(x) [N·OH·OW, KH·KW·Ci] by the
 * filter as [KH·KW·Ci, Co] plus the bias, on gantry's kernel (`wasm_matmul.ts`: panels, the pool's
 * threads), a block of output pixels at a time, so that a block's im2col rows are still cached
 * when the product reads them. Each output sums its window in tap, then channel order from the
 * bias. For DCGAN's 5×5 stride-2 conv from [64, 14, 14, 64] to 7×7×128: 44–49 ms, where
 * XNNPACK's convolution took 54–68; for its first, on 1-channel images, 1.8–2.0 ms where
 * XNNPACK took 2.8–3.4 (`bench/RESULTS.md`). Dilated convolutions, NCHW data, activations and integer tensors
 * go to wasm's own kernel.
 *
 * @module
 */
import { tf } from "../../deps.ts";
import { type KernelFunc, onHeap, wasmKernel } from "./wasm_kernel.ts";
import { runsSize, windowRuns, windowsOf } from "./conv_windows.ts";
import { aPanelsSize, writePanels } from "./wasm_panels.ts";
import { matMulOnThreads } from "./wasm_product_pool.ts";
import { simdKernels } from "./wasm_simd.ts";

/** About how many im2col floats a block of output pixels builds before its product. */
const BLOCK_FLOATS = 1 << 17;

interface Conv2DAttrs {
  strides: [number, number] | number;
  pad: "valid" | "same" | number | tf.backend_util.ExplicitPadding;
  dataFormat: "NHWC" | "NCHW";
  dilations: [number, number] | number;
  dimRoundingMode?: "floor" | "round" | "ceil";
  activation?: string;
}

/** The kernel function replacing wasm's `Conv2D` or `FusedConv2D`. */
export function makeConv2D(name: "Conv2D" | "FusedConv2D"): KernelFunc {
  const original = wasmKernel(name);
  return (args) => {
    const { inputs: { x, filter, bias, preluActivationWeights }, backend } = args;
    const attrs = args.attrs as unknown as Conv2DAttrs;
    const { strides, pad, dataFormat, dilations, dimRoundingMode, activation } = attrs;
    const [kh, kw, ci, co] = filter.shape;
    if (
      x.dtype !== "float32" || filter.dtype !== "float32" || dataFormat === "NCHW" ||
      !tf.backend_util.tupleValuesAreOne(dilations ?? 1) ||
      (activation ?? "linear") !== "linear" || preluActivationWeights ||
      (bias && (bias.shape.length !== 1 || bias.shape[0] !== co))
    ) return original(args);
    const info = windowsOf(x.shape, filter.shape, { strides, pad, dimRoundingMode });
    const pixels = info.batchSize * info.outHeight * info.outWidth, width = kh * kw * ci;
    const blockRows = Math.min(4 * Math.ceil(pixels / 4), 4 * Math.ceil(BLOCK_FLOATS / width / 4));
    const heap = onHeap(backend, [
      info.outShape,
      [width * co],
      [aPanelsSize(blockRows, width)],
      [blockRows * width],
      [runsSize(info, blockRows)],
    ]);
    const { outputs: [output, bPanels, aPanels, columns, runs], offset, memory } = heap;
    try {
      const kernels = simdKernels(memory), floats = new Float32Array(memory.buffer);
      writePanels("b", kernels, floats, [offset(filter), offset(bPanels)], [width, co], "as is");
      const buffers = [offset(x), offset(columns), offset(runs)] as [number, number, number];
      const rowsPanels = [offset(columns), offset(aPanels)] as [number, number];
      for (let first = 0; first < pixels; first += blockRows) {
        const block = Math.min(blockRows, pixels - first);
        windowRuns(info, [kernels, floats], "im2col", buffers, [first, first + block]);
        writePanels("a", kernels, floats, rowsPanels, [width, block], "transposed");
        const outRows = offset(output) + 4 * first * co;
        const operands = [offset(aPanels), offset(bPanels), bias ? offset(bias) : 0, outRows];
        matMulOnThreads(memory, operands, [block, co, width], bias ? 1 : 0);
      }
      return output;
    } finally {
      for (const t of [bPanels, aPanels, columns, runs]) backend.disposeData(t.dataId);
    }
  };
}
