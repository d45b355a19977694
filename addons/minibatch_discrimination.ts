import { z } from "../deps.ts";
import { definePlugin } from "../core/contract/plugin.ts";
import { MinibatchDiscrimination } from "../layers/minibatch_discrimination.ts";

/**
 * Minibatch discrimination ([IMP] sec. 3.2): D sees how close each example is to the others in
 * its batch, so a collapsed generator is easy to spot. Spliced in after D's last hidden layer.
 */
export default definePlugin({
  kind: "addon",
  name: "minibatch-discrimination",
  description:
    "Appends per-example closeness to the rest of the batch to D's features (Salimans 2016)",
  options: z.strictObject({
    kernels: z.int().positive().max(10_000).default(100),
    dims: z.int().positive().max(1_000).default(5),
  }),
  create: ({ options, rng }) => ({
    point: "features",
    layer: () => new MinibatchDiscrimination({ ...options, seed: rng.seed() }),
  }),
});
