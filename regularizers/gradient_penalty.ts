import { z } from "../deps.ts";
import { definePlugin } from "../core/contract/plugin.ts";
import { stepNoise, unitGradientPenalty } from "./_input_gradient.ts";

/**
 * WGAN-GP's gradient penalty (Gulrajani et al. 2017): λ · E(‖∇ D(x̂)‖ − 1)² at random
 * interpolates x̂ = ε·x + (1 − ε)·G(z), ε ~ U[0, 1] per example; `oneSided` penalises only
 * norms above 1. Real and generated batches must be the same size.
 */
export default definePlugin({
  kind: "regularizer",
  name: "gradient-penalty",
  description:
    "WGAN-GP: lambda * E(||grad D(x^)|| - 1)^2 on real/fake interpolates (Gulrajani 2017)",
  options: z.strictObject({
    lambda: z.number().nonnegative().default(10),
    oneSided: z.boolean().default(false),
  }),
  create: ({ tf, options, rng }) => {
    const noise = stepNoise(rng.seed());
    return {
      discriminator: ({ real, fake, step, discriminate }) => {
        const shape = [real.x.shape[0], ...real.x.shape.slice(1).map(() => 1)];
        const epsilon = noise(tf, shape, step);
        const between = tf.add(tf.mul(epsilon, real.x), tf.mul(tf.sub(1, epsilon), fake.x));
        return tf.mul(
          options.lambda,
          unitGradientPenalty(tf, discriminate, between, options.oneSided),
        );
      },
    };
  },
});
