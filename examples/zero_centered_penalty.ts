/**
 * An input-gradient penalty written as a user would, not a built-in: the zero-centered gradient
 * penalty at interpolates, λ·E‖∇D(x̂)‖² with x̂ = ε·x + (1 − ε)·G(z) (Thanh-Tung et al. 2019,
 * "0-GP"). It calls D again through `discriminate` and differentiates it with `tf.grad`.
 * Load it with `--plugin examples/zero_centered_penalty.ts` (or by URL).
 *
 * @module
 */
import { definePlugin, z } from "../mod.ts";

export default definePlugin({
  kind: "regularizer",
  name: "zero-centered-penalty",
  description: "0-GP: lambda * E||grad D(x^)||^2 at real/fake interpolates (Thanh-Tung 2019)",
  options: z.strictObject({ lambda: z.number().nonnegative().default(10) }),
  create: ({ tf, options, rng }) => {
    const seed = rng.seed();
    return {
      discriminator: ({ real, fake, step, discriminate }) => {
        const n = real.x.shape[0];
        const shape = [n, ...real.x.shape.slice(1).map(() => 1)];
        // One draw per step, the same on a resumed run.
        const epsilon = tf.randomUniform(shape, 0, 1, "float32", `${seed}:${step}`);
        const between = tf.add(tf.mul(epsilon, real.x), tf.mul(tf.sub(1, epsilon), fake.x));
        const gradient = tf.grad((x: typeof between) => tf.sum(discriminate(x).logits))(between);
        const squared = tf.sum(tf.square(tf.reshape(gradient, [n, -1])), 1);
        return tf.mul(options.lambda, tf.mean(squared));
      },
    };
  },
});
