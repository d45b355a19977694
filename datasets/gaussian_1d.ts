import { z } from "../deps.ts";
import { definePlugin } from "../core/contract/plugin.ts";
import { gaussianMixture, mixtureOptions } from "./_mixture.ts";

/** One 1-D Gaussian, the data distribution of [GAN] Figure 1. */
export default definePlugin({
  kind: "dataset",
  name: "gaussian-1d",
  description: "A 1-D Gaussian, as in Goodfellow 2014's Figure 1",
  options: mixtureOptions({ mean: z.number().default(4) }, 0.5),
  create: ({ tf, options }) => gaussianMixture(tf, [[options.mean]], options.std),
});
