/**
 * A custom loss plugin, written exactly as a user would: least squares GAN (Mao et al. 2017).
 * Load it with `--plugin examples/least_squares.ts` or list it in a config's `plugins`.
 *
 * @module
 */
import { definePlugin } from "../mod.ts";

export default definePlugin({
  kind: "loss",
  name: "least-squares",
  description: "LSGAN (Mao et al. 2017): D regresses real to 1 and fake to 0, G pulls fakes to 1",
  create: ({ tf }) => ({
    discriminator: ({ real, fake }) =>
      tf.mul(
        0.5,
        tf.add(tf.mean(tf.square(tf.sub(real.logits, 1))), tf.mean(tf.square(fake.logits))),
      ),
    generator: ({ fake }) => tf.mul(0.5, tf.mean(tf.square(tf.sub(fake.logits, 1)))),
  }),
});
