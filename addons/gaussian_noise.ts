import { z } from "../deps.ts";
import { definePlugin } from "../core/contract/plugin.ts";
import { SeededGaussianNoise } from "../layers/seeded_noise.ts";
import { at, seededLayerAddon } from "./_seeded_layer.ts";

/**
 * Additive Gaussian noise in D, as in improved-gan's MNIST discriminator ([IMP]: σ 0.3 on the
 * input, σ 0.5 after each hidden layer). One entry covers one kind of site, so that D is an
 * add-on listed twice: `{ stddev: 0.3, at: "input" }` and `{ stddev: 0.5, at: "hidden" }`.
 * Noise is drawn only while D trains (both players' steps), from a seeded stream that
 * checkpoints carry.
 */
export default definePlugin({
  kind: "addon",
  name: "gaussian-noise",
  description: "Adds seeded N(0, stddev²) noise to D's input or hidden activations in training",
  options: z.strictObject({ stddev: z.number().positive().default(0.3), at }),
  create: (context) =>
    seededLayerAddon(
      "gaussian-noise",
      context,
      (seeds) => new SeededGaussianNoise({ ...context.options, seeds }),
    ),
});
