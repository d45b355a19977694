import { type tf, z } from "../deps.ts";
import { definePlugin } from "../core/contract/plugin.ts";
import { spectrallyNormalize } from "../layers/spectral_norm.ts";

/**
 * Spectral normalization (Miyato et al. 2018): every dense and convolution kernel of D divided
 * by its largest singular value, estimated by `iterations` power-iteration steps per training
 * call of D; each layer's u is kept in the checkpoint, so a resumed run replays exactly.
 */
export default definePlugin({
  kind: "addon",
  name: "spectral-norm",
  description:
    "Spectral normalization: D's kernels divided by their top singular value (Miyato 2018)",
  options: z.strictObject({ iterations: z.int().positive().max(100).default(1) }),
  create: ({ options, rng }) => {
    let vectors: tf.Variable[] = [];
    return {
      point: "input",
      layer: () => null,
      perExample: true,
      wrap(discriminator) {
        vectors = spectrallyNormalize(discriminator, options.iterations, rng.seed());
      },
      saveState: () => Object.fromEntries(vectors.map((u, i) => [`u${i}`, u])),
      loadState(state) {
        vectors.forEach((u, i) => {
          const saved = state[`u${i}`] as tf.Tensor;
          u.assign(saved);
          saved.dispose();
        });
      },
      dispose: () => vectors.forEach((u) => u.dispose()),
    };
  },
});
