import { z } from "../deps.ts";
import { definePlugin, type DiscriminatorOutput } from "../core/contract/plugin.ts";

/**
 * ACGAN's class loss (Odena et al. 2017), with D's auxiliary classifier
 * (`conditional.discriminator: "auxiliary-classifier"`): D minimises the cross-entropy of its
 * class logits against the real batch's labels and, with `fake`, against the classes G was
 * asked for; G minimises the latter on its own batch. Each side is scaled by `weight`.
 */
export default definePlugin({
  kind: "regularizer",
  name: "auxiliary-classifier",
  description: "ACGAN's class loss: cross-entropy of D's class logits on both batches (Odena 2017)",
  options: z.strictObject({
    weight: z.number().min(0).default(1),
    /** Whether D also learns the classes of generated data, as in the paper. */
    fake: z.boolean().default(true),
  }),
  create: ({ tf, options, conditional }) => {
    if (conditional?.discriminator !== "auxiliary-classifier") {
      throw new TypeError(
        "auxiliary-classifier needs D's class logits: set " +
          '"conditional": { "discriminator": "auxiliary-classifier" } in the config',
      );
    }
    const { classes } = conditional;
    const crossEntropy = ({ classLogits, labels }: DiscriminatorOutput) =>
      tf.losses.softmaxCrossEntropy(
        tf.oneHot(tf.cast(labels!, "int32"), classes),
        classLogits!,
      ) as ReturnType<typeof tf.scalar>;
    return {
      discriminator: ({ real, fake }) => {
        const loss = options.fake
          ? tf.add(crossEntropy(real), crossEntropy(fake))
          : crossEntropy(real);
        return tf.mul(options.weight, loss);
      },
      generator: ({ fake }) => tf.mul(options.weight, crossEntropy(fake)),
    };
  },
});
