import { z } from "../deps.ts";
import { definePlugin } from "../core/plugin.ts";
import { createSeedStream, SeededGaussianNoise } from "./noise_layers.ts";

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
  options: z.strictObject({
    stddev: z.number().positive().default(0.3),
    /** "input": D's input; "hidden": every hidden layer's output, after its activation. */
    at: z.enum(["input", "hidden"]).default("hidden"),
  }),
  create: ({ options, rng }) => {
    const stream = createSeedStream(rng, "gaussian-noise");
    return {
      point: options.at === "input" ? "input" : "post-activation",
      perExample: true,
      layer: () => new SeededGaussianNoise({ stddev: options.stddev, seeds: stream.seeds }),
      saveState: stream.saveState,
      loadState: stream.loadState,
    };
  },
});
