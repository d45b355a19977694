/**
 * Where a convolution's windows sit in its image and in its im2col matrix, and the moves between
 * the two, for the wasm kernels that build the matrix (`wasm_conv_forward.ts`,
 * `wasm_conv_filter.ts`) or add one back into an image (`wasm_conv_input.ts`).
 *
 * @module
 */
import { tf } from "../../deps.ts";
import type { SimdKernels } from "./wasm_simd.ts";

/** The geometry of an NHWC convolution of an x and a filter of these shapes, dilation 1. */
export function windowsOf(
  xShape: number[],
  filterShape: number[],
  { strides, pad, dimRoundingMode }: {
    strides: [number, number] | number;
    pad: "valid" | "same" | number | tf.backend_util.ExplicitPadding;
    dimRoundingMode?: "floor" | "round" | "ceil";
  },
): tf.backend_util.Conv2DInfo {
  const four = (shape: number[]) => shape as [number, number, number, number];
  return tf.backend_util.computeConv2DInfo(
    four(xShape),
    four(filterShape),
    strides,
    1,
    pad,
    dimRoundingMode,
    false,
    "channelsLast",
  );
}

/** Int32s a block of `rows` im2col rows needs for `windowRuns`' runs. */
export const runsSize = (info: tf.backend_util.Conv2DInfo, rows: number) =>
  rows && 3 * (Math.ceil(rows / info.outWidth) + 1) * info.filterHeight * info.filterWidth;

/**
 * Rows [first, end) of the im2col matrix [N·OH·OW, KH·KW·Ci], at byte offset `columns` of the
 * heap: "im2col" writes them from the NHWC image at `image` (zeros outside it), "col2im" adds
 * them into the image. The moves go in runs (`SimdKernels.copyRuns`, `addRuns`, from triples
 * written at `runs`, {@linkcode runsSize}): for each output row of the block, each tap (kh, kw)
 * whose input row lies inside the image, the tap's output pixels whose input pixel does too,
 * one pixel's Ci channels after the other. Rows go in order, and within a row the taps of a
 * filter row right to left, so that each image element a col2im adds to gets its terms in pixel
 * order (a pixel reaches an element through one tap).
 */
export function windowRuns(
  info: tf.backend_util.Conv2DInfo,
  [kernels, floats]: [SimdKernels, Float32Array],
  way: "im2col" | "col2im",
  [image, columns, runs]: [number, number, number],
  [first, end]: [number, number],
): void {
  const { inHeight: h, inWidth: w, inChannels: ci } = info;
  const { outHeight: oh, outWidth: ow, strideHeight: sh, strideWidth: sw } = info;
  const { filterHeight: kh, filterWidth: kw, padInfo: { top, left } } = info;
  const width = kh * kw * ci;
  const triples = new Int32Array(floats.buffer, runs, runsSize(info, end - first));
  if (way === "im2col") floats.fill(0, columns >> 2, (columns >> 2) + (end - first) * width);
  // Per filter column j: the output columns x whose input column x·sw + j − left lies in [0, w).
  const starts = Array.from({ length: kw }, (_, j) => Math.max(0, Math.ceil((left - j) / sw)));
  const ends = Array.from(
    { length: kw },
    (_, j) => Math.min(ow, Math.floor((w - 1 + left - j) / sw) + 1),
  );
  const [fromAt, toAt] = way === "im2col" ? [0, 1] : [1, 0];
  let count = 0;
  for (let row = Math.floor(first / ow); row * ow < end; row++) {
    const n = Math.floor(row / oh), y = row % oh;
    const xFirst = Math.max(first - row * ow, 0), xEnd = Math.min(end - row * ow, ow);
    for (let i = 0; i < kh; i++) {
      const inRow = y * sh + i - top;
      if (inRow < 0 || inRow >= h) continue;
      for (let j = kw - 1; j >= 0; j--) {
        const x0 = Math.max(xFirst, starts[j]), x1 = Math.min(xEnd, ends[j]);
        if (x0 >= x1) continue;
        const at = 3 * count++;
        triples[at + fromAt] = ((n * h + inRow) * w + x0 * sw + j - left) * ci;
        triples[at + toAt] = (row * ow + x0 - first) * width + (i * kw + j) * ci;
        triples[at + 2] = x1 - x0;
      }
    }
  }
  // A short buffer would drop triples and leave the wasm reading past it.
  if (3 * count > triples.length) throw new Error(`windowRuns: ${count} runs overflow runsSize`);
  const steps: [number, number] = way === "im2col" ? [sw * ci, width] : [width, sw * ci];
  const [x, out] = way === "im2col" ? [image, columns] : [columns, image];
  (way === "im2col" ? kernels.copyRuns : kernels.addRuns)(runs, count, x, out, ci, ...steps);
}
