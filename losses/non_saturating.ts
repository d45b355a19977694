import { definePlugin } from "../core/contract/plugin.ts";
import { realCrossEntropy, standardDiscriminatorLoss } from "./_standard.ts";

/**
 * [GAN] sec. 3's practical variant, the seed's L1: the generator maximises E[log D(G(z))],
 * i.e. minimises softplus(-l_fake). Same fixed point as minimax, strong gradients early.
 */
export default definePlugin({
  kind: "loss",
  name: "non-saturating",
  description: "G maximises E[log D(G(z))] (L1): strong gradients when D wins",
  create: ({ tf }) => ({
    generator: ({ fake }) => realCrossEntropy(tf, fake.logits),
    discriminator: (inputs) => standardDiscriminatorLoss(tf, inputs),
  }),
});
