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

/**
 * Calls `visit(image, column)` for each output pixel in [first, end) in order (pixel (n, oh, ow)
 * is n·OH·OW + oh·OW + ow; all of them by default) and each tap (kh, kw) in order whose input
 * pixel (oh·sh + kh − top, ow·sw + kw − left) lies inside the image: `image` is the offset of that
 * pixel's Ci channels in the NHWC image, `column` the offset of the tap's Ci values in the
 * pixel's row of the im2col matrix [N·OH·OW, KH·KW·Ci], counted from row `first`.
 */
export function eachWindowTap(
  info: tf.backend_util.Conv2DInfo,
  visit: (image: number, column: number) => void,
  [first, end] = [0, info.batchSize * info.outHeight * info.outWidth],
): void {
  const { inHeight: h, inWidth: w, inChannels: ci } = info;
  const { outHeight: oh, outWidth: ow, strideHeight: sh, strideWidth: sw } = info;
  const { filterHeight: kh, filterWidth: kw, padInfo: { top, left } } = info;
  const width = kh * kw * ci;
  for (let pixel = first; pixel < end; pixel++) {
    const image = Math.floor(pixel / (oh * ow)), y = Math.floor(pixel / ow) % oh, x = pixel % ow;
    for (let i = 0; i < kh; i++) {
      const row = y * sh + i - top;
      if (row < 0 || row >= h) continue;
      for (let j = 0; j < kw; j++) {
        const column = x * sw + j - left;
        if (column < 0 || column >= w) continue;
        visit(((image * h + row) * w + column) * ci, (pixel - first) * width + (i * kw + j) * ci);
      }
    }
  }
}

/** Int32s a block of `rows` im2col rows needs for `windowRuns`' pairs. */
export const runsSize = (info: tf.backend_util.Conv2DInfo, rows: number) =>
  2 * rows * info.filterHeight * info.filterWidth;

/**
 * Rows [first, end) of the im2col matrix, at byte offset `columns` of the heap: "im2col" writes
 * them from the image at `image` (zeros outside it), "col2im" adds them into the image, each
 * element's terms in pixel, then tap order. Each tap's first 4·⌊Ci/4⌋ channels move in SIMD
 * (`SimdKernels.copyRuns`, `addRuns`), from (image, column) pairs written at `runs`
 * ({@linkcode runsSize}), the rest here.
 */
export function windowRuns(
  info: tf.backend_util.Conv2DInfo,
  [kernels, floats]: [SimdKernels, Float32Array],
  way: "im2col" | "col2im",
  [image, columns, runs]: [number, number, number],
  [first, end]: [number, number],
): void {
  const ci = info.inChannels, blocks = ci >> 2;
  const [imageAt, columnsAt] = [image >> 2, columns >> 2];
  const pairs = new Int32Array(floats.buffer, runs, runsSize(info, end - first));
  const width = info.filterHeight * info.filterWidth * ci;
  if (way === "im2col") floats.fill(0, columnsAt, columnsAt + (end - first) * width);
  let count = 0;
  eachWindowTap(info, (pixel, column) => {
    const [from, to] = way === "im2col" ? [pixel, column] : [column, pixel];
    pairs[2 * count] = from;
    pairs[2 * count++ + 1] = to;
    for (let c = 4 * blocks; c < ci; c++) {
      if (way === "im2col") floats[columnsAt + column + c] = floats[imageAt + pixel + c];
      else floats[imageAt + pixel + c] += floats[columnsAt + column + c];
    }
  }, [first, end]);
  const [x, out] = way === "im2col" ? [image, columns] : [columns, image];
  (way === "im2col" ? kernels.copyRuns : kernels.addRuns)(runs, count, x, out, blocks);
}
