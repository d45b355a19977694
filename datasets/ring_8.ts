import { z } from "../deps.ts";
import { definePlugin } from "../core/contract/plugin.ts";
import { gaussianMixture, mixtureOptions } from "./_mixture.ts";

/** 8 Gaussians on a circle (VEEGAN / PacGAN): means (r cos 2πk/8, r sin 2πk/8). */
export default definePlugin({
  kind: "dataset",
  name: "ring-8",
  description: "8 Gaussians on a ring of radius 1, std 0.01 (PacGAN's 2-D ring)",
  options: mixtureOptions({ radius: z.number().positive().default(1) }, 0.01),
  create: ({ tf, options }) =>
    gaussianMixture(
      tf,
      Array.from({ length: 8 }, (_, k) => [
        options.radius * Math.cos((2 * Math.PI * k) / 8),
        options.radius * Math.sin((2 * Math.PI * k) / 8),
      ]),
      options.std,
    ),
});
