import { definePlugin } from "../core/contract/plugin.ts";

/**
 * The Wasserstein loss (Arjovsky et al. 2017): D is a critic with an unbounded output and
 * minimises E[D(G(z))] − E[D(x)], G minimises −E[D(G(z))]. The critic must be kept Lipschitz by
 * something else: `gradient-penalty` (WGAN-GP) or spectral norm.
 */
export default definePlugin({
  kind: "loss",
  name: "wasserstein",
  description: "Wasserstein critic loss: E[D(G(z))] - E[D(x)] (needs a Lipschitz constraint)",
  create: ({ tf }) => ({
    discriminator: ({ real, fake }) => tf.sub(tf.mean(fake.logits), tf.mean(real.logits)),
    generator: ({ fake }) => tf.neg(tf.mean(fake.logits)),
  }),
});
