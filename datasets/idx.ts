import { z } from "../deps.ts";
import { definePlugin } from "../core/contract/plugin.ts";
import { imageDataset, imageFileOptions, rangeOption, readImageFiles } from "./_images.ts";

/**
 * Grey images from IDX files (MNIST's format, plain or gzipped): `images` [n, rows, cols] with
 * optional `labels`, and an optional held-out split `testImages` / `testLabels`. Paths are
 * relative to the current directory. Bytes 0..255 are scaled linearly to `range`.
 */
export default definePlugin({
  kind: "dataset",
  name: "idx",
  description: "Grey images (and labels) from IDX files such as MNIST's, plain or gzipped",
  options: z.strictObject({ ...imageFileOptions, range: rangeOption }),
  create: async ({ tf, options }) => {
    const { train, test } = await readImageFiles(options);
    return await imageDataset(tf, train, { test, range: options.range });
  },
});
