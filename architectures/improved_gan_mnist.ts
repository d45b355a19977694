import { type tfl, z } from "../deps.ts";
import { definePlugin } from "../core/contract/plugin.ts";
import { Dense } from "../layers/dense.ts";
import { SeededGaussianNoise } from "../layers/seeded_noise.ts";
import { createSeedStream } from "../layers/seed_stream.ts";
import { WeightNormDense } from "../layers/weight_norm_dense.ts";
import { applyLayer, discriminatorTrunk, generatorInput, networks } from "./_networks.ts";

/**
 * The MNIST networks of [IMP] (openai/improved-gan, train_mnist_feature_matching.py).
 * G: z (100-d uniform) → 500 softplus + batch norm → 500 softplus + batch norm → 784 with
 * weight norm, sigmoid for data in [0, 1] (tanh for [-1, 1]). D: Gaussian noise σ 0.3 on the
 * input, weight-normalised dense 1000-500-250-250-250 ReLU layers each followed by Gaussian
 * noise σ 0.5 (training only, seeded), then weight-normalised logits (10 in semi-supervised
 * mode). The features for feature matching are the last hidden layer's, before its noise.
 * Unlike improved-gan, weight norm starts at g = 1 rather than a data-dependent value.
 */
export default definePlugin({
  kind: "architecture",
  name: "improved-gan-mnist",
  description: "The MNIST G and D of Salimans et al. 2016 (weight norm, Gaussian noise in D)",
  options: z.strictObject({
    latentDim: z.int().positive().max(16_384).default(100),
    latentDistribution: z.enum(["normal", "uniform"]).default("uniform"),
    generatorHidden: z.array(z.int().positive()).min(1).default([500, 500]),
    discriminatorHidden: z.array(z.int().positive()).min(1).default([1000, 500, 250, 250, 250]),
    inputNoise: z.number().min(0).default(0.3),
    hiddenNoise: z.number().min(0).default(0.5),
  }),
  create: ({ layers, options, rng, dataset, logits, splice, conditional }) => {
    const { shape, range } = dataset;
    const dataDim = shape.reduce((a, b) => a * b, 1);
    const seeded = () => layers.initializers.glorotUniform({ seed: rng.seed() });
    const stream = createSeedStream(rng, "improved-gan-mnist");
    const noise = (x: tfl.SymbolicTensor, stddev: number) =>
      stddev > 0 ? applyLayer(new SeededGaussianNoise({ stddev, seeds: stream.seeds }), x) : x;
    const activate = (x: tfl.SymbolicTensor, activation: "relu" | "softplus") =>
      applyLayer(layers.layers.activation({ activation }), x);

    const input = generatorInput(layers, options.latentDim, conditional, rng);
    let g = input.code;
    for (const units of options.generatorHidden) {
      g = applyLayer(
        new Dense({ units, useBias: false, kernelInitializer: seeded() }),
        g,
      );
      g = activate(applyLayer(layers.layers.batchNormalization({}), g), "softplus");
    }
    g = applyLayer(
      new WeightNormDense({
        units: dataDim,
        activation: range?.[0] === 0 && range[1] === 1 ? "sigmoid" : "tanh",
        seed: rng.seed(),
      }),
      g,
    );
    if (shape.length > 1) g = applyLayer(layers.layers.reshape({ targetShape: shape }), g);
    const generator = layers.model({ inputs: input.inputs, outputs: g, name: "generator" });

    const hidden = options.discriminatorHidden;
    const x = layers.input({ shape });
    const { features, output } = discriminatorTrunk(x, splice, {
      count: hidden.length,
      entry(d) {
        d = noise(d, options.inputNoise);
        return shape.length > 1 ? applyLayer(layers.layers.flatten(), d) : d;
      },
      transform: (d, index) =>
        applyLayer(new WeightNormDense({ units: hidden[index], seed: rng.seed() }), d),
      activate: (d) => activate(d, "relu"),
      afterActivation: (d) => noise(d, options.hiddenNoise),
    });
    const logit = applyLayer(new WeightNormDense({ units: logits, seed: rng.seed() }), output);
    return {
      ...networks(layers, options, generator, { input: x, output, logit, features }, {
        conditional,
        rng,
      }),
      perExample: true,
      saveState: stream.saveState,
      loadState: stream.loadState,
    };
  },
});
