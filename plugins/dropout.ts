import { z } from "../deps.ts";
import { definePlugin } from "../core/plugin.ts";
import { createSeedStream, SeededDropout } from "./noise_layers.ts";

/**
 * Dropout in D ([GAN] trained its maxout discriminator with dropout, inputs included). One
 * entry covers one kind of site: list the add-on twice for both the input and the hidden
 * layers. Masks are drawn only while D trains, from a seeded stream that checkpoints carry.
 */
export default definePlugin({
  kind: "addon",
  name: "dropout",
  description: "Seeded inverted dropout on D's input or hidden activations in training",
  options: z.strictObject({
    rate: z.number().min(0).lt(1).default(0.5),
    /** "input": D's input; "hidden": every hidden layer's output, after its activation. */
    at: z.enum(["input", "hidden"]).default("hidden"),
  }),
  create: ({ options, rng }) => {
    const stream = createSeedStream(rng, "dropout");
    return {
      point: options.at === "input" ? "input" : "post-activation",
      perExample: true,
      layer: () => new SeededDropout({ rate: options.rate, seeds: stream.seeds }),
      saveState: stream.saveState,
      loadState: stream.loadState,
    };
  },
});
