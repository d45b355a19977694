import { definePlugin } from "../core/contract/plugin.ts";
import { gradientNormOptions, lazyGradientNormPenalty } from "./_input_gradient.ts";

/** R2 (Mescheder et al. 2018): R1's penalty on generated data, γ/2 · E‖∇ₓ D(G(z))‖². */
export default definePlugin({
  kind: "regularizer",
  name: "r2",
  description: "R2: gamma/2 * E||grad D(G(z))||^2 on generated data (Mescheder 2018)",
  options: gradientNormOptions,
  create: ({ tf, options }) => ({
    discriminator: (inputs) => lazyGradientNormPenalty(tf, options, inputs, inputs.fake),
  }),
});
