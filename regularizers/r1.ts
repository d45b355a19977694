import { definePlugin } from "../core/contract/plugin.ts";
import { gradientNormOptions, lazyGradientNormPenalty } from "./_input_gradient.ts";

/**
 * R1 (Mescheder et al. 2018): γ/2 · E‖∇ₓ D(x)‖² on real data, in D's cost; it keeps D flat on
 * the data, which makes training converge locally.
 */
export default definePlugin({
  kind: "regularizer",
  name: "r1",
  description: "R1: gamma/2 * E||grad D(x)||^2 on real data (Mescheder 2018), lazy with every",
  options: gradientNormOptions,
  create: ({ tf, options }) => ({
    discriminator: (inputs) => lazyGradientNormPenalty(tf, options, inputs, inputs.real),
  }),
});
