/**
 * A fast `Conv2DBackpropInput` for the wasm backend, the forward op of conv2dTranspose and the
 * input gradient of conv2d. tfjs-backend-wasm 4.22's own kernel is a plain loop: 300 ms a call for
 * DCGAN's 7×7×128 → 14×14×64 transposed convolution at batch 64.
 *
 * dx is col2im of one matrix product: dy [N·OH·OW, Co] by the filter as [KH·KW·Ci, Co], transposed,
 * gives each dy pixel's contribution through each tap (a row of KH·KW·Ci), which is added into
 * place. The product runs on gantry's kernel (`wasm_matmul.ts`: panels, the pool's threads) a block
 * of dy's rows at a time, so that a block's contributions are still cached when they are added.
 * Each dx element sums its contributions by dy pixel, then tap, in order. For DCGAN's layer above:
 * 29–52 ms, where XNNPACK's convolutions by output phase (the sub-pixel form: four stride-1
 * convolutions of dy, interleaved) took 78–93 (`bench/RESULTS.md`).
 *
 * @module
 */
import { type ConvGradientAttrs, type KernelFunc, onHeap } from "./wasm_kernel.ts";
import { runsSize, windowRuns, windowsOf } from "./conv_windows.ts";
import { aPanelsSize, writePanels } from "./wasm_panels.ts";
import { matMulOnThreads } from "./wasm_product_pool.ts";
import { simdKernels } from "./wasm_simd.ts";

interface Conv2DBackpropInputAttrs extends ConvGradientAttrs {
  inputShape: [number, number, number, number];
}

/** About how many contributions (floats) a block of dy's rows computes before adding them. */
const BLOCK_FLOATS = 1 << 17;

/** The kernel function (float32, NHWC, dilation 1: what tfjs's conv2d gradient supports). */
export function makeConv2DBackpropInput(): KernelFunc {
  return ({ inputs: { dy, filter }, backend, attrs }) => {
    const { strides, pad, dataFormat, dimRoundingMode, inputShape } =
      attrs as unknown as Conv2DBackpropInputAttrs;
    if (dataFormat === "NCHW") {
      throw new Error("Conv2DBackpropInput on wasm (gantry's kernel) supports only NHWC data");
    }
    const info = windowsOf(inputShape, filter.shape, { strides, pad, dimRoundingMode });
    const [kh, kw, ci, co] = filter.shape;
    const rows = info.batchSize * info.outHeight * info.outWidth, width = kh * kw * ci;
    const blockRows = Math.min(4 * Math.ceil(rows / 4), 4 * Math.ceil(BLOCK_FLOATS / width / 4));
    const heap = onHeap(backend, [
      inputShape,
      [width * co],
      [aPanelsSize(blockRows, co)],
      [blockRows * width],
      [runsSize(info, blockRows)],
    ]);
    const { outputs: [output, bPanels, aPanels, taps, runs], view, offset, memory } = heap;
    try {
      view(output).fill(0);
      if (!co) return output;
      const kernels = simdKernels(memory), floats = new Float32Array(memory.buffer);
      const weights = [offset(filter), offset(bPanels)] as [number, number];
      writePanels("b", kernels, floats, weights, [co, width], "transposed");
      for (let first = 0; first < rows; first += blockRows) {
        const block = Math.min(blockRows, rows - first);
        const dyRows = [offset(dy) + 4 * first * co, offset(aPanels)] as [number, number];
        writePanels("a", kernels, floats, dyRows, [co, block], "transposed");
        const operands = [offset(aPanels), offset(bPanels), 0, offset(taps)];
        matMulOnThreads(memory, operands, [block, width, co], 0);
        const buffers = [offset(output), offset(taps), offset(runs)] as [number, number, number];
        windowRuns(info, [kernels, floats], "col2im", buffers, [first, first + block]);
      }
      return output;
    } finally {
      for (const t of [bPanels, aPanels, taps, runs]) backend.disposeData(t.dataId);
    }
  };
}
