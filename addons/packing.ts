import { z } from "../deps.ts";
import { definePlugin } from "../core/contract/plugin.ts";
import { Pack } from "../layers/pack.ts";

/**
 * PacGAN (Lin et al. 2018): D judges `packs` samples at once, concatenated on their last axis,
 * real with real and generated with generated, so that a generator missing modes shows as a
 * pack that lacks variety. Spliced in at D's input; batches must be multiples of `packs`.
 */
export default definePlugin({
  kind: "addon",
  name: "packing",
  description: "PacGAN: D judges m samples concatenated, real with real, fake with fake (Lin 2018)",
  options: z.strictObject({ packs: z.int().min(2).max(64).default(2) }),
  create: ({ options }) => ({
    point: "input",
    packs: options.packs,
    layer: () => new Pack({ packs: options.packs }),
  }),
});
