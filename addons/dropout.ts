import { z } from "../deps.ts";
import { definePlugin } from "../core/contract/plugin.ts";
import { SeededDropout } from "../layers/seeded_noise.ts";
import { at, seededLayerAddon } from "./_seeded_layer.ts";

/**
 * Dropout in D ([GAN] trained its maxout discriminator with dropout, inputs included). One
 * entry covers one kind of site: list the add-on twice for both the input and the hidden
 * layers. Masks are drawn only while D trains, from a seeded stream that checkpoints carry.
 */
export default definePlugin({
  kind: "addon",
  name: "dropout",
  description: "Seeded inverted dropout on D's input or hidden activations in training",
  options: z.strictObject({ rate: z.number().min(0).lt(1).default(0.5), at }),
  create: (context) =>
    seededLayerAddon(
      "dropout",
      context,
      (seeds) => new SeededDropout({ ...context.options, seeds }),
    ),
});
