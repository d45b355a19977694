import { definePlugin } from "../core/contract/plugin.ts";
import { fakeCrossEntropy, standardDiscriminatorLoss } from "./_standard.ts";

/**
 * The true minimax game of [GAN]: the generator minimises E[log(1 - D(G(z)))] = -softplus(l_fake),
 * the seed's L2. It saturates: its gradient vanishes when D confidently rejects the fakes.
 */
export default definePlugin({
  kind: "loss",
  name: "minimax",
  description: "Goodfellow 2014's saturating game: G minimises E[log(1 - D(G(z)))] (L2)",
  create: ({ tf }) => ({
    discriminator: (inputs) => standardDiscriminatorLoss(tf, inputs),
    generator: ({ fake }) => tf.neg(fakeCrossEntropy(tf, fake.logits)),
  }),
});
