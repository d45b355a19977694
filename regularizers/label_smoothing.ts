import { z } from "../deps.ts";
import { definePlugin } from "../core/contract/plugin.ts";

/**
 * One-sided label smoothing ([IMP] sec. 3.4): D's target for real data is α instead of 1, fake
 * stays 0. For the standard L0 (binary cross-entropy on logits) the smoothed loss is
 * α·softplus(−l) + (1 − α)·softplus(l) = softplus(−l) + (1 − α)·l, so smoothing adds exactly
 * (1 − α)·mean(l_real) to D's cost, times the GAN loss's weight in that cost (in semi-supervised
 * mode, `semiSupervised.unsupervisedWeight`; l is then log Z(x), the logit of "real"). Meant for
 * the losses that use L0 (minimax, non-saturating, feature-matching).
 */
export default definePlugin({
  kind: "regularizer",
  name: "label-smoothing",
  description: "One-sided label smoothing: D's real target is alpha (Salimans 2016)",
  options: z.strictObject({ alpha: z.number().gt(0).lte(1).default(0.9) }),
  create: ({ tf, options }) => ({
    discriminator: ({ real, ganWeight }) =>
      tf.mul(ganWeight * (1 - options.alpha), tf.mean(real.logits)),
  }),
});
