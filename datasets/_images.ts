import { type tf, z } from "../deps.ts";
import type { Dataset, Examples } from "../core/contract/plugin.ts";
import { sha256Hex } from "../core/contract/digest.ts";
import { type IdxArray, type IdxImages, type IdxKind, readIdx } from "./_idx_format.ts";

/** The value ranges an image dataset can be scaled to. */
export type ImageRange = [-1, 1] | [0, 1];

const RANGE_EXPECTED = "Expected [-1, 1] or [0, 1]";

const isImageRange = (range: readonly number[]): range is ImageRange =>
  range.length === 2 && (range[0] === -1 || range[0] === 0) && range[1] === 1;

/** The `range` option every image dataset takes: [-1, 1] (tanh generators, the default) or [0, 1]. */
export const rangeOption = z
  .union([z.tuple([z.literal(-1), z.literal(1)]), z.tuple([z.literal(0), z.literal(1)])], {
    error: RANGE_EXPECTED,
  })
  .default([-1, 1]);

/** Options of {@linkcode imageDataset}. */
export interface ImageDatasetOptions {
  /** The held-out split. Default: none. */
  test?: IdxImages;
  /** The value range bytes 0..255 are scaled to. Default: [-1, 1]. */
  range?: ImageRange;
}

/**
 * SHA-256 hex of the training split as bytes (shape, pixels, labels) and of the range they are
 * scaled to: a cache keyed on it (domain classifiers) holds a model for these exact tensors.
 */
function digestOf(train: IdxImages, range: ImageRange): Promise<string> {
  const header = `gantry images ${train.count}x${train.rows}x${train.cols} labels ` +
    `${train.labels ? 1 : 0} range ${range[0]},${range[1]}\n`;
  return sha256Hex([header, train.images, train.labels ?? new Uint8Array()]);
}

/** One split as tensors [n, rows, cols, 1] in `range`, with int32 labels. */
function toExamples(ops: typeof tf, split: IdxImages, range: ImageRange): Examples {
  // A table of the 256 scaled values: byte 255 is exactly range[1] and 0 exactly range[0].
  const [low, high] = range;
  const table = Float32Array.from({ length: 256 }, (_, b) => low + (high - low) * b / 255);
  const pixels = new Float32Array(split.images.length);
  for (let i = 0; i < pixels.length; i++) pixels[i] = table[split.images[i]];
  const x = ops.tensor4d(pixels, [split.count, split.rows, split.cols, 1]);
  return {
    x,
    labels: split.labels && ops.tensor1d(Int32Array.from(split.labels), "int32"),
  };
}

/**
 * A finite dataset of grey images given as bytes (from IDX files or embedded data): `sample`
 * draws uniformly with replacement from `train`; `splits` holds both splits as tensors in
 * `range`; `info.digest` identifies the training data.
 */
export async function imageDataset(
  ops: typeof tf,
  train: IdxImages,
  options: ImageDatasetOptions = {},
): Promise<Dataset> {
  const { test, range = [-1, 1] } = options;
  if (!isImageRange(range)) {
    throw new RangeError(`Invalid image range ${JSON.stringify(range)}: ${RANGE_EXPECTED}`);
  }
  if (train.count === 0) throw new RangeError("Cannot make an image dataset: no training images");
  if (test && (test.rows !== train.rows || test.cols !== train.cols)) {
    throw new RangeError(
      `Cannot make an image dataset: test images are ${test.rows}×${test.cols}, ` +
        `training images ${train.rows}×${train.cols}`,
    );
  }
  let maxLabel = -1;
  for (const labels of [train.labels, test?.labels]) {
    if (labels) { for (const label of labels) maxLabel = Math.max(maxLabel, label); }
  }
  const digest = await digestOf(train, range);
  const splits: { train: Examples; test?: Examples } = { train: toExamples(ops, train, range) };
  if (test) splits.test = toExamples(ops, test, range);
  const { x, labels } = splits.train;
  const size = train.count;
  return {
    info: {
      shape: [train.rows, train.cols, 1],
      kind: "image",
      range: [range[0], range[1]],
      size,
      ...(maxLabel >= 0 ? { numClasses: maxLabel + 1 } : {}),
      digest,
      ...(test ? { testSize: test.count } : {}),
    },
    sample(rng, n) {
      const indices = new Int32Array(n);
      for (let i = 0; i < n; i++) indices[i] = rng.int(size);
      const index = ops.tensor1d(indices, "int32");
      return labels
        ? { x: ops.gather(x, index), labels: ops.gather(labels, index) }
        : { x: ops.gather(x, index) };
    },
    splits,
    dispose() {
      for (const split of [splits.train, splits.test]) {
        split?.x.dispose();
        split?.labels?.dispose();
      }
    },
  };
}

/** The file options of the `idx` and `mnist` datasets: IDX paths, relative to the cwd. */
export interface ImageFiles {
  images: string;
  labels?: string;
  testImages?: string;
  testLabels?: string;
}

/** The schema of {@linkcode ImageFiles}' fields, each a non-empty path. */
export const imageFileOptions = {
  images: z.string().min(1),
  labels: z.string().min(1).optional(),
  testImages: z.string().min(1).optional(),
  testLabels: z.string().min(1).optional(),
};

/**
 * Reads the IDX files named by options; every error names the option and the file.
 */
export async function readImageFiles(
  files: ImageFiles,
): Promise<{ train: IdxImages; test?: IdxImages }> {
  const { images, testImages } = files;
  if (files.testLabels !== undefined && testImages === undefined) {
    throw new TypeError(
      `Cannot use option "testLabels" ("${files.testLabels}"): it needs "testImages"`,
    );
  }
  const read = async (option: keyof ImageFiles, kind: IdxKind): Promise<IdxArray | undefined> => {
    const path = files[option];
    if (path === undefined) return undefined;
    try {
      return await readIdx(path, kind);
    } catch (error) {
      throw new Error(`Cannot load option "${option}": ${(error as Error).message}`, {
        cause: error,
      });
    }
  };
  const [trainX, trainY, testX, testY] = await Promise.all([
    read("images", "images"),
    read("labels", "labels"),
    read("testImages", "images"),
    read("testLabels", "labels"),
  ]);
  const pair = (
    x: IdxArray,
    y: IdxArray | undefined,
    xOption: "images" | "testImages",
    yOption: "labels" | "testLabels",
  ): IdxImages => {
    const [count, rows, cols] = x.dims;
    if (y && y.dims[0] !== count) {
      throw new RangeError(
        `Cannot load option "${yOption}": ${files[yOption]}: expected ${
          count.toLocaleString("en-US")
        } ` +
          `labels, one per image of ${files[xOption]} (option "${xOption}"), found ` +
          y.dims[0].toLocaleString("en-US"),
      );
    }
    return { count, rows, cols, images: x.data, labels: y?.data };
  };
  const train = pair(trainX!, trainY, "images", "labels");
  if (train.count === 0) {
    throw new RangeError(`Cannot load option "images": ${images}: the file holds no images`);
  }
  if (!testX) return { train };
  const test = pair(testX, testY, "testImages", "testLabels");
  if (test.rows !== train.rows || test.cols !== train.cols) {
    throw new RangeError(
      `Cannot load option "testImages": ${testImages}: expected ${train.rows}×${train.cols} ` +
        `images like ${images} (option "images"), found ${test.rows}×${test.cols}`,
    );
  }
  return { train, test };
}
