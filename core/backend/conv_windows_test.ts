import assert from "node:assert/strict";
import { createRng } from "../contract/rng.ts";
import { windowRuns, windowsOf } from "./conv_windows.ts";
import { simdKernels } from "./wasm_simd.ts";

const memory = new WebAssembly.Memory({ initial: 64 }); // 4 MiB
const kernels = simdKernels(memory), floats = new Float32Array(memory.buffer);
const [IMAGE, COLUMNS, RUNS] = [0, 1 << 20, 2 << 20]; // byte offsets

/** Random geometries, each with its pixels cut into random blocks (rows split anywhere). */
function cases(count: number) {
  const rng = createRng(41);
  const out = [];
  while (out.length < count) {
    const [n, h, w, ci] = [1 + rng.int(3), 1 + rng.int(9), 1 + rng.int(9), 1 + rng.int(6)];
    const [kh, kw, stride] = [1 + rng.int(5), 1 + rng.int(5), 1 + rng.int(4)];
    const pad = (["same", "valid", rng.int(3)] as const)[rng.int(3)];
    const dimRoundingMode = (["floor", "ceil"] as const)[rng.int(2)];
    const info = windowsOf([n, h, w, ci], [kh, kw, ci, 1], {
      strides: stride,
      pad,
      dimRoundingMode,
    });
    const pixels = n * info.outHeight * info.outWidth;
    if (info.outHeight <= 0 || info.outWidth <= 0) continue;
    const blocks: [number, number][] = [];
    for (let first = 0; first < pixels;) {
      const end = Math.min(pixels, first + 1 + rng.int(2 * info.outWidth + 3));
      blocks.push([first, end]);
      first = end;
    }
    out.push({ info, blocks, image: rng.fill(new Float32Array(n * h * w * ci)) });
  }
  // Every tap reaching the image, a block from the middle of one row to the next's.
  const info = windowsOf([2, 3, 6, 6], [2, 3, 6, 1], { strides: 1, pad: "same" });
  out.push({
    info,
    blocks: [[0, 17], [17, 20], [20, 36]] as [number, number][],
    image: rng.fill(new Float32Array(216)),
  });
  return out;
}

/** The image element a pixel's tap and channel reads, or -1 outside the image. */
function tapOf(info: ReturnType<typeof windowsOf>, pixel: number, column: number): number {
  const { inHeight: h, inWidth: w, inChannels: ci, outHeight: oh, outWidth: ow } = info;
  const [tap, c] = [Math.floor(column / ci), column % ci];
  const [i, j] = [Math.floor(tap / info.filterWidth), tap % info.filterWidth];
  const [image, y, x] = [Math.floor(pixel / (oh * ow)), Math.floor(pixel / ow) % oh, pixel % ow];
  const [row, col] = [
    y * info.strideHeight + i - info.padInfo.top,
    x * info.strideWidth + j - info.padInfo.left,
  ];
  return row < 0 || row >= h || col < 0 || col >= w ? -1 : ((image * h + row) * w + col) * ci + c;
}

Deno.test("windowRuns' im2col reads each window (zeros outside), block by block", () => {
  for (const { info, blocks, image } of cases(300)) {
    const width = info.filterHeight * info.filterWidth * info.inChannels;
    floats.set(image, IMAGE / 4);
    for (const [first, end] of blocks) {
      floats.fill(NaN, COLUMNS / 4, COLUMNS / 4 + (end - first) * width);
      windowRuns(info, [kernels, floats], "im2col", [IMAGE, COLUMNS, RUNS], [first, end]);
      for (let p = first; p < end; p++) {
        for (let column = 0; column < width; column++) {
          const at = tapOf(info, p, column);
          assert.equal(floats[COLUMNS / 4 + (p - first) * width + column], at < 0 ? 0 : image[at]);
        }
      }
    }
  }
});

Deno.test("windowRuns' col2im adds each image element's terms in pixel order, bit for bit", () => {
  const rng = createRng(42);
  for (const { info, blocks, image } of cases(300)) {
    const width = info.filterHeight * info.filterWidth * info.inChannels;
    const expected = new Float32Array(image.length);
    floats.fill(0, IMAGE / 4, IMAGE / 4 + image.length);
    for (const [first, end] of blocks) {
      const columns = rng.fill(new Float32Array((end - first) * width));
      floats.set(columns, COLUMNS / 4);
      windowRuns(info, [kernels, floats], "col2im", [IMAGE, COLUMNS, RUNS], [first, end]);
      for (let p = first; p < end; p++) {
        for (let column = 0; column < width; column++) {
          const at = tapOf(info, p, column);
          if (at >= 0) {
            expected[at] = Math.fround(expected[at] + columns[(p - first) * width + column]);
          }
        }
      }
    }
    assert.deepEqual(floats.slice(IMAGE / 4, IMAGE / 4 + image.length), expected);
  }
});
