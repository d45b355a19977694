import { z } from "../deps.ts";
import { definePlugin } from "../core/contract/plugin.ts";
import { VirtualBatchNorm } from "../layers/virtual_batch_norm.ts";

/**
 * Virtual batch normalization before each hidden activation of D. It asks the engine for a
 * reference batch of `referenceSize` real examples, which leads every batch D sees.
 */
export default definePlugin({
  kind: "addon",
  name: "virtual-batch-norm",
  description: "Normalises D's hidden layers with the statistics of a fixed reference batch",
  options: z.strictObject({
    referenceSize: z.int().positive().default(100),
    epsilon: z.number().positive().default(1e-5),
    skipFirst: z.boolean().default(false),
  }),
  create: ({ options }) => ({
    point: "pre-activation",
    referenceBatch: options.referenceSize,
    // Statistics come from the reference batch alone, never from the other examples.
    perExample: true,
    layer: ({ index }) =>
      options.skipFirst && index === 0 ? null : new VirtualBatchNorm({
        referenceSize: options.referenceSize,
        epsilon: options.epsilon,
      }),
  }),
});
