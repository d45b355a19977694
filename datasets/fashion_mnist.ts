import { join } from "node:path";
import { z } from "../deps.ts";
import { definePlugin } from "../core/contract/plugin.ts";
import { readIdxImages } from "./_idx_format.ts";
import { imageDataset, rangeOption } from "./_images.ts";

/** Where Debian's and Ubuntu's package dataset-fashion-mnist installs the files. */
export const FASHION_MNIST_DIR = "/usr/share/datasets/fashion-mnist";

/**
 * Fashion-MNIST (Xiao et al., 2017): 28×28 grey images of 10 kinds of clothing, 60,000 for
 * training and 10,000 held out, read from the gzipped IDX files that the Debian package
 * dataset-fashion-mnist installs (or from `dir`, holding the same four files).
 */
export default definePlugin({
  kind: "dataset",
  name: "fashion-mnist",
  description:
    "Fashion-MNIST: 60,000 clothing images + 10,000 held out, from dataset-fashion-mnist",
  options: z.strictObject({
    dir: z.string().min(1).default(FASHION_MNIST_DIR),
    range: rangeOption,
  }),
  create: async ({ tf, options }) => {
    const { dir, range } = options;
    const read = (prefix: string) =>
      readIdxImages(
        join(dir, `${prefix}-images-idx3-ubyte.gz`),
        join(dir, `${prefix}-labels-idx1-ubyte.gz`),
      );
    let train, test;
    try {
      [train, test] = await Promise.all([read("train"), read("t10k")]);
    } catch (error) {
      if (!(error instanceof Error && error.cause instanceof Deno.errors.NotFound)) throw error;
      const hint = dir === FASHION_MNIST_DIR
        ? "install it with `sudo apt-get install dataset-fashion-mnist`, or pass the option " +
          '"dir" of a directory holding its four .gz files'
        : `the option "dir" must name a directory holding {train,t10k}-{images-idx3,labels-idx1}` +
          "-ubyte.gz (`sudo apt-get install dataset-fashion-mnist` installs them in " +
          `${FASHION_MNIST_DIR})`;
      throw new Error(`Cannot load fashion-mnist from "${dir}": ${error.message}: ${hint}`, {
        cause: error,
      });
    }
    return await imageDataset(tf, train, { test, range });
  },
});
