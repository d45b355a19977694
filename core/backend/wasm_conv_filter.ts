/**
 * `Conv2DBackpropFilter` for the wasm backend, which has none: the gradient of conv2d (and of
 * conv2dTranspose, which uses the same kernel with x and dy in swapped roles) with respect to its
 * filter. Registered by `wasm_kernels.ts`.
 *
 * @module
 */
import { type ConvGradientAttrs, type KernelFunc, onHeap, wasmKernel } from "./wasm_kernel.ts";
import { runsSize, windowRuns, windowsOf } from "./conv_windows.ts";
import { aPanelsSize, writePanels } from "./wasm_panels.ts";
import { matMulOnThreads } from "./wasm_product_pool.ts";
import { simdKernels, SUMS_IN_C } from "./wasm_simd.ts";

interface Conv2DBackpropFilterAttrs extends ConvGradientAttrs {
  filterShape: [number, number, number, number];
}

/** About how many floats of the im2col matrix a part of the sum over pixels takes. */
const PART_FLOATS = 1 << 17;

/**
 * The gradient of conv2d with respect to its filter (dilation 1, NHWC), as one matrix product:
 *
 *     dW [KH·KW·Ci, Co] = im2col(x)ᵀ · dy,  im2col(x) [N·OH·OW, KH·KW·Ci], dy as [N·OH·OW, Co]
 *
 * where row (n, oh, ow) of im2col holds x's window of that output pixel, zeros outside x. The sum
 * over pixels runs on gantry's kernel (`wasm_matmul.ts`: panels, the pool's threads) in parts of
 * a few dozen pixels, each part's im2col rows built by `windowRuns` (runs of copies in wasm) and
 * summed into dW where the last part left it (`SUMS_IN_C`): the bits of one sum over all the
 * pixels in order, without the whole im2col matrix (20 MB for DCGAN's 5×5 stride-2 conv from
 * [64, 14, 14, 64] to 7×7×128, whose gradient takes 30–46 ms here, where XNNPACK's Conv2D with x
 * and dy as the filter took 69–77; `bench/RESULTS.md`).
 */
export function makeConv2DBackpropFilter(): KernelFunc {
  const fill = wasmKernel("Fill");
  return ({ inputs: { x, dy }, backend, attrs }) => {
    const { strides, pad, dataFormat, dimRoundingMode, filterShape } =
      attrs as unknown as Conv2DBackpropFilterAttrs;
    if (dataFormat === "NCHW") {
      throw new Error(
        "Conv2DBackpropFilter on wasm (gantry's kernel) supports only NHWC data, got NCHW",
      );
    }
    const info = windowsOf(x.shape, filterShape, { strides, pad, dimRoundingMode });
    const { batchSize: n, inChannels: ci, outChannels: co, outHeight: oh, outWidth: ow } = info;
    const expected = [n, oh, ow, co];
    if (dy.shape.length !== 4 || dy.shape.some((d, i) => d !== expected[i])) {
      throw new Error(
        `Conv2DBackpropFilter: dy has shape [${dy.shape}], expected [${expected}] for x ` +
          `[${x.shape}] and filter [${filterShape}]`,
      );
    }
    const pixels = n * oh * ow, width = info.filterHeight * info.filterWidth * ci;
    if (pixels === 0 || ci === 0 || co === 0) {
      return fill({ inputs: {}, backend, attrs: { shape: filterShape, value: 0, dtype: x.dtype } });
    }
    const part = Math.min(pixels, Math.ceil(PART_FLOATS / width));
    const sizes = [[part * width], [aPanelsSize(width, part)], [part * co], [runsSize(info, part)]];
    const heap = onHeap(backend, [filterShape, ...sizes]);
    const { outputs: [output, columns, aPanels, bPanels, runs], offset, memory } = heap;
    try {
      const kernels = simdKernels(memory), floats = new Float32Array(memory.buffer);
      const buffers = [offset(x), offset(columns), offset(runs)] as [number, number, number];
      const rowsPanels = [offset(columns), offset(aPanels)] as [number, number];
      for (let first = 0; first < pixels; first += part) {
        const count = Math.min(part, pixels - first);
        windowRuns(info, [kernels, floats], "im2col", buffers, [first, first + count]);
        // im2colᵀ's panels from its rows as stored; dy's rows of these pixels.
        writePanels("a", kernels, floats, rowsPanels, [count, width], "as is");
        const operands = [offset(aPanels), offset(bPanels), 0, offset(output)];
        const dyRows = { from: offset(dy) + 4 * first * co, stored: "as is" as const };
        matMulOnThreads(memory, operands, [width, co, count], first ? SUMS_IN_C : 0, dyRows);
      }
      return output;
    } finally {
      for (const t of [columns, aPanels, bPanels, runs]) backend.disposeData(t.dataId);
    }
  };
}
