import assert from "node:assert/strict";
import { decodePng as decode } from "../../deps.ts";
import { histogramPng, imageGridPng, scatterPng } from "./png.ts";

/** Decodes a PNG and returns its size plus an RGB pixel reader. */
function open(png: Uint8Array) {
  const img = decode(png);
  assert.equal(img.channels, 3);
  assert.equal(img.depth, 8);
  const pixel = (x: number, y: number) => {
    const i = (y * img.width + x) * 3;
    return [img.data[i], img.data[i + 1], img.data[i + 2]];
  };
  return { width: img.width, height: img.height, pixel };
}

const isRed = ([r, g, b]: number[]) => r > 180 && g < 80 && b < 80;

/** Deterministic standard normals (Box-Muller over a small LCG). */
function normals(n: number, mean: number, std: number, seed = 1): Float32Array {
  let s = seed;
  const uniform = () => ((s = (s * 1664525 + 1013904223) >>> 0) + 1) / 2 ** 32;
  return Float32Array.from(
    { length: n },
    () => mean + std * Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform()),
  );
}

Deno.test("imageGridPng lays out tiles with a 2px gutter and scaling", () => {
  const per = 28 * 28;
  const images = new Float32Array(5 * per).fill(0);
  images.fill(1, 0, per); // image 0: all +1
  images.fill(-1, per, 2 * per); // image 1: all -1
  const png = imageGridPng(images, {
    height: 28,
    width: 28,
    channels: 1,
    columns: 3,
    scale: 2,
  });
  const { width, height, pixel } = open(png);
  // 3 columns x 2 rows of 56px tiles, 2px gutters around and between.
  assert.equal(width, 3 * 56 + 4 * 2);
  assert.equal(height, 2 * 56 + 3 * 2);
  assert.deepEqual(pixel(2, 2), [255, 255, 255]); // first tile, +1
  assert.deepEqual(pixel(57, 57), [255, 255, 255]); // its last pixel
  assert.deepEqual(pixel(60, 10), [0, 0, 0]); // second tile, -1
  assert.deepEqual(pixel(120, 10), [128, 128, 128]); // third tile, 0
  assert.deepEqual(pixel(0, 0), [64, 64, 64]); // gutter
  assert.deepEqual(pixel(58, 10), [64, 64, 64]); // gutter between tiles
  assert.deepEqual(pixel(150, 80), [64, 64, 64]); // empty 6th slot
});

Deno.test("imageGridPng maps RGB channels through range with clamping", () => {
  const images = new Float32Array([0, 5, 10, 20, -3, NaN]); // two 1x1 images
  const png = imageGridPng(images, { height: 1, width: 1, channels: 3, range: [0, 10] });
  const { width, height, pixel } = open(png);
  assert.equal(width, 2 * 1 + 3 * 2); // default columns = ceil(sqrt(2)) = 2
  assert.equal(height, 1 + 2 * 2);
  assert.deepEqual(pixel(2, 2), [0, 128, 255]);
  assert.deepEqual(pixel(5, 2), [255, 0, 0]);
});

Deno.test("imageGridPng rejects a length that isn't a whole number of images", () => {
  assert.throws(
    () => imageGridPng(new Float32Array(28 * 28 + 1), { height: 28, width: 28, channels: 1 }),
    (e: unknown) =>
      e instanceof RangeError && /images\.length 785/.test(e.message) &&
      /height\*width\*channels/.test(e.message),
  );
  assert.throws(
    () => imageGridPng(new Float32Array(0), { height: 2, width: 2, channels: 3 }),
    RangeError,
  );
});

Deno.test("scatterPng draws samples red and data in its colour", () => {
  const bounds: [number, number, number, number] = [-1, 1, -1, 1];
  const size = 101; // pixel = (x + 1) * 50, y flipped
  const samples = new Float32Array([0.5, 0.5]);
  const data = new Float32Array([-0.5, -0.5]);
  const { width, height, pixel } = open(scatterPng(samples, data, { bounds, size }));
  assert.equal(width, 101);
  assert.equal(height, 101);
  assert.ok(isRed(pixel(75, 25)), `got ${pixel(75, 25)}`);
  assert.deepEqual(pixel(25, 75), [150, 185, 235]);
  assert.deepEqual(pixel(10, 10), [255, 255, 255]); // background
  assert.deepEqual(pixel(50, 10), [210, 210, 210]); // vertical axis at x=0
  assert.deepEqual(pixel(10, 50), [210, 210, 210]); // horizontal axis at y=0
});

Deno.test("scatterPng skips out-of-bounds and non-finite points", () => {
  const samples = new Float32Array([5, 5, NaN, 0, Infinity, -Infinity, 0.2]); // odd length
  const data = new Float32Array([-9, 0, 0, NaN]);
  const png = scatterPng(samples, data, { bounds: [-1, 1, -1, 1], size: 64 });
  const { width, height, pixel } = open(png);
  assert.equal(width, 64);
  assert.equal(height, 64);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) assert.ok(!isRed(pixel(x, y)));
  }
});

Deno.test("scatterPng computes bounds from data by default", () => {
  const data = new Float32Array([0, 0, 10, 10]);
  const samples = new Float32Array([10, 10]);
  const { width, pixel } = open(scatterPng(samples, data));
  assert.equal(width, 512);
  // 10% margin on [0, 10] -> [-1, 11]; x=10 lands at 11/12 of the width.
  assert.ok(isRed(pixel(Math.round(11 / 12 * 511), Math.round(1 / 12 * 511))));
  // All-empty inputs still render.
  assert.equal(open(scatterPng(new Float32Array(), new Float32Array())).width, 512);
});

Deno.test("histogramPng has the requested size and red where samples are", () => {
  const data = normals(2000, 0, 1);
  const samples = normals(2000, 2, 0.3, 7);
  const range: [number, number] = [-4, 4];
  const png = histogramPng(samples, data, { range, bins: 40, width: 400, height: 200 });
  const { width, height, pixel } = open(png);
  assert.equal(width, 400);
  assert.equal(height, 200);
  const column = (x: number) => Array.from({ length: height }, (_, y) => pixel(x, y));
  const xOf = (v: number) => Math.round((v - range[0]) / (range[1] - range[0]) * width);
  // The tall sample peak at 2 is outlined in red; far left there is none.
  assert.ok(column(xOf(2) + 3).some(isRed));
  assert.ok(!column(xOf(-3) + 3).some(isRed));
  // The data bars are filled near 0.
  assert.deepEqual(pixel(xOf(0) + 3, height - 5), [150, 185, 235]);
});

Deno.test("histogramPng defaults", () => {
  const { width, height } = open(histogramPng(normals(100, 0, 1), normals(100, 0, 1)));
  assert.equal(width, 640);
  assert.equal(height, 320);
  // Degenerate input (constant, empty) still renders.
  const flat = open(histogramPng(new Float32Array(), new Float32Array(10).fill(3)));
  assert.equal(flat.width, 640);
});
