import { z } from "../deps.ts";
import { definePlugin } from "../core/contract/plugin.ts";
import { standardDiscriminatorLoss } from "./_standard.ts";

/**
 * Feature matching, [IMP] sec. 3.1, the seed's L3: the generator minimises
 * ||E_x f(x) - E_z f(G(z))||² for an intermediate layer f of D; D keeps L0. improved-gan's code
 * averages over the features: the squared gap for MNIST (`{ reduction: "mean" }`), the absolute
 * gap for CIFAR-10 (`{ distance: "absolute", reduction: "mean" }`).
 */
export default definePlugin({
  kind: "loss",
  name: "feature-matching",
  description: "G matches the mean of a hidden layer of D on real data (Salimans 2016, L3)",
  options: z.strictObject({
    /** Which hidden layer of D: 0 is the first, -1 (default) the last. */
    layer: z.int().default(-1),
    /** Per feature: the squared gap (the paper's L2 norm) or its absolute value (L1). */
    distance: z.enum(["squared", "absolute"]).default("squared"),
    /** "sum" over the features (the paper); "mean" divides by the width (improved-gan's code). */
    reduction: z.enum(["sum", "mean"]).default("sum"),
  }),
  create: ({ tf, options, discriminator }) => {
    const count = discriminator.features;
    const index = options.layer < 0 ? count + options.layer : options.layer;
    if (index < 0 || index >= count) {
      throw new RangeError(
        `option layer ${options.layer} is out of range: the discriminator has ${count} hidden ` +
          `layers (0 to ${count - 1}, or -1 to -${count} from the last)`,
      );
    }
    return {
      discriminator: (inputs) => standardDiscriminatorLoss(tf, inputs),
      generator: ({ real, fake }) => {
        const flat = (t: typeof fake.features[number]) => tf.reshape(t, [t.shape[0], -1]);
        const gap = tf.sub(
          tf.mean(flat(real.features[index]), 0),
          tf.mean(flat(fake.features[index]), 0),
        );
        const perFeature = options.distance === "squared" ? tf.square(gap) : tf.abs(gap);
        return options.reduction === "sum" ? tf.sum(perFeature) : tf.mean(perFeature);
      },
    };
  },
});
