import { z } from "../deps.ts";
import { definePlugin } from "../core/contract/plugin.ts";
import { stepNoise, unitGradientPenalty } from "./_input_gradient.ts";

/**
 * DRAGAN (Kodali et al. 2017): λ · E(‖∇ D(x̃)‖ − 1)² around the real data, at x̃ = x + α(x_p − x)
 * between x and its perturbation x_p = x + c·σ·u (σ the standard deviation of the real batch,
 * u ~ U[0, 1] elementwise, α ~ U[0, 1] per example), as the authors' code does.
 */
export default definePlugin({
  kind: "regularizer",
  name: "dragan",
  description: "DRAGAN: lambda * E(||grad D(x~)|| - 1)^2 at perturbed real data (Kodali 2017)",
  options: z.strictObject({
    lambda: z.number().nonnegative().default(10),
    /** c: the perturbation's scale in standard deviations of the real batch. */
    scale: z.number().nonnegative().default(0.5),
  }),
  create: ({ tf, options, rng }) => {
    const noise = stepNoise(rng.seed());
    return {
      discriminator: ({ real, step, discriminate }) => {
        const { variance } = tf.moments(real.x);
        const offset = tf.mul(
          tf.mul(options.scale, tf.sqrt(variance)),
          noise(tf, real.x.shape, step),
        );
        const alpha = noise(tf, [real.x.shape[0], ...real.x.shape.slice(1).map(() => 1)], step);
        const between = tf.add(real.x, tf.mul(alpha, offset));
        return tf.mul(options.lambda, unitGradientPenalty(tf, discriminate, between, false));
      },
    };
  },
});
