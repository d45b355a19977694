import { z } from "../deps.ts";
import { definePlugin } from "../core/contract/plugin.ts";
import { gaussianMixture, mixtureOptions } from "./_mixture.ts";

/** 25 Gaussians on a 5×5 grid (VEEGAN / PacGAN): means {-4, -2, 0, 2, 4}². */
export default definePlugin({
  kind: "dataset",
  name: "grid-25",
  description: "25 Gaussians on a 5x5 grid with spacing 2, std 0.05 (PacGAN's 2-D grid)",
  options: mixtureOptions({ spacing: z.number().positive().default(2) }, 0.05),
  create: ({ tf, options }) => {
    const axis = [-2, -1, 0, 1, 2].map((k) => k * options.spacing);
    return gaussianMixture(tf, axis.flatMap((x) => axis.map((y) => [x, y])), options.std);
  },
});
