import { z } from "../deps.ts";
import { definePlugin } from "../core/contract/plugin.ts";

/**
 * Batch normalization in D's hidden layers, before each activation. Real and generated batches
 * go through D separately, so each is normalised with its own statistics, as in DCGAN.
 */
export default definePlugin({
  kind: "addon",
  name: "batch-norm",
  description: "Batch normalization before each hidden activation of D",
  options: z.strictObject({
    momentum: z.number().min(0).lt(1).default(0.99),
    epsilon: z.number().positive().default(1e-3),
    /** DCGAN leaves D's first layer unnormalised. */
    skipFirst: z.boolean().default(true),
  }),
  create: ({ layers, options }) => ({
    point: "pre-activation",
    layer: ({ index }) =>
      options.skipFirst && index === 0 ? null : layers.layers.batchNormalization({
        momentum: options.momentum,
        epsilon: options.epsilon,
      }),
  }),
});
