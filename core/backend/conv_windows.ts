/**
 * Where a convolution's windows sit in its image and in its im2col matrix, for the wasm kernels
 * that build one (`wasm_conv_filter.ts`) or add one back into an image (`wasm_conv_input.ts`).
 *
 * @module
 */
import type { tf } from "../../deps.ts";

/**
 * Calls `visit(image, column)` for each output pixel (n, oh, ow) in order and each tap (kh, kw)
 * in order whose input pixel (oh·sh + kh − top, ow·sw + kw − left) lies inside the image: `image`
 * is the offset of that pixel's Ci channels in the NHWC image, `column` the offset of the tap's Ci
 * values in row (n, oh, ow) of the im2col matrix [N·OH·OW, KH·KW·Ci].
 */
export function eachWindowTap(
  info: tf.backend_util.Conv2DInfo,
  visit: (image: number, column: number) => void,
): void {
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: ci } = info;
  const { outHeight: oh, outWidth: ow, strideHeight: sh, strideWidth: sw } = info;
  const { filterHeight: kh, filterWidth: kw, padInfo: { top, left } } = info;
  const width = kh * kw * ci;
  for (let b = 0, pixel = 0; b < n; b++) {
    for (let y = 0; y < oh; y++) {
      for (let x = 0; x < ow; x++, pixel++) {
        for (let i = 0; i < kh; i++) {
          const row = y * sh + i - top;
          if (row < 0 || row >= h) continue;
          for (let j = 0; j < kw; j++) {
            const column = x * sw + j - left;
            if (column < 0 || column >= w) continue;
            visit(((b * h + row) * w + column) * ci, pixel * width + (i * kw + j) * ci);
          }
        }
      }
    }
  }
}
