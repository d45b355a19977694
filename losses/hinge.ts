import { definePlugin } from "../core/contract/plugin.ts";

/**
 * The hinge loss (Lim & Ye 2017; Miyato et al. 2018, with spectral norm): D minimises
 * E[max(0, 1 − D(x))] + E[max(0, 1 + D(G(z)))] on its raw output, G minimises −E[D(G(z))].
 */
export default definePlugin({
  kind: "loss",
  name: "hinge",
  description: "Hinge loss: D pushes real above +1 and fake below -1, G raises D(G(z))",
  create: ({ tf }) => ({
    discriminator: ({ real, fake }) =>
      tf.add(
        tf.mean(tf.relu(tf.sub(1, real.logits))),
        tf.mean(tf.relu(tf.add(1, fake.logits))),
      ),
    generator: ({ fake }) => tf.neg(tf.mean(fake.logits)),
  }),
});
