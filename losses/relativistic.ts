import { z } from "../deps.ts";
import type { tf } from "../deps.ts";
import { definePlugin } from "../core/contract/plugin.ts";

/**
 * The relativistic losses (Jolicoeur-Martineau 2018), on D's logit C(x). Standard (RSGAN): D
 * minimises E[softplus(−(C(x_r) − C(x_f)))] over paired real and generated examples, G the same
 * with the roles swapped. Average (RaSGAN): each example is compared with the other batch's mean,
 * E_r[softplus(−(C(x_r) − E C(x_f)))] + E_f[softplus(C(x_f) − E C(x_r))], and G the same swapped.
 * The batches must be the same size for the standard form.
 */
export default definePlugin({
  kind: "loss",
  name: "relativistic",
  description: "Relativistic GAN: D judges real relative to fake (standard or average form)",
  options: z.strictObject({
    /** `standard` pairs the i-th real with the i-th fake; `average` compares with batch means. */
    form: z.enum(["standard", "average"]).default("standard"),
  }),
  create: ({ tf, options }) => {
    /** The cost of judging `a` more real than `b`. */
    const prefer = (a: tf.Tensor, b: tf.Tensor): tf.Scalar =>
      options.form === "standard" ? tf.mean(tf.softplus(tf.neg(tf.sub(a, b)))) : tf.add(
        tf.mean(tf.softplus(tf.neg(tf.sub(a, tf.mean(b))))),
        tf.mean(tf.softplus(tf.sub(b, tf.mean(a)))),
      );
    return {
      discriminator: ({ real, fake }) => prefer(real.logits, fake.logits),
      generator: ({ real, fake }) => prefer(fake.logits, real.logits),
    };
  },
});
