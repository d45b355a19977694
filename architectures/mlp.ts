import { type tfl, z } from "../deps.ts";
import { definePlugin } from "../core/contract/plugin.ts";
import { Dense } from "../layers/dense.ts";
import { WeightNormDense } from "../layers/weight_norm_dense.ts";
import { applyLayer, discriminatorTrunk, generatorInput, networks } from "./_networks.ts";

const activation = z.enum(["relu", "leaky-relu", "tanh", "softplus", "elu"]);

/**
 * Fully connected G and D ([GAN]'s MLPs) for data of any shape: D flattens its input, G
 * reshapes its output. D exposes every hidden activation for feature matching.
 */
export default definePlugin({
  kind: "architecture",
  name: "mlp",
  description: "Fully connected generator and discriminator for 1-D, 2-D or image data",
  options: z.strictObject({
    /** Hidden widths of both networks, unless set per network below. */
    hidden: z.array(z.int().positive().max(16_384)).min(1).max(64).default([128, 128]),
    generatorHidden: z.array(z.int().positive()).min(1).optional(),
    discriminatorHidden: z.array(z.int().positive()).min(1).optional(),
    activation: activation.default("leaky-relu"),
    /** Slope of leaky-relu for negative inputs. */
    leak: z.number().min(0).default(0.2),
    latentDim: z.int().positive().max(16_384).default(100),
    latentDistribution: z.enum(["normal", "uniform"]).default("normal"),
    /** "auto": tanh for data in [-1, 1], sigmoid for [0, 1], else linear. */
    outputActivation: z.enum(["auto", "tanh", "sigmoid", "linear"]).default("auto"),
    generatorBatchNorm: z.boolean().default(false),
    /** Weight normalisation (Salimans & Kingma 2016) in every dense layer of G and D. */
    weightNorm: z.boolean().default(false),
  }),
  create: ({ layers, options, rng, dataset, logits, splice, conditional }) => {
    const { shape, range } = dataset;
    const dataDim = shape.reduce((a, b) => a * b, 1);
    const dense = (units: number): tfl.layers.Layer =>
      options.weightNorm ? new WeightNormDense({ units, seed: rng.seed() }) : new Dense({
        units,
        kernelInitializer: layers.initializers.glorotUniform({ seed: rng.seed() }),
      });
    const activate = (x: tfl.SymbolicTensor) =>
      (options.activation === "leaky-relu"
        ? layers.layers.leakyReLU({ alpha: options.leak })
        : layers.layers.activation({ activation: options.activation })).apply(
          x,
        ) as tfl.SymbolicTensor;

    const g = generatorInput(layers, options.latentDim, conditional, rng);
    let h = g.code;
    for (const units of options.generatorHidden ?? options.hidden) {
      h = applyLayer(dense(units), h);
      if (options.generatorBatchNorm) h = applyLayer(layers.layers.batchNormalization({}), h);
      h = activate(h);
    }
    h = applyLayer(dense(dataDim), h);
    const activation = options.outputActivation === "auto"
      ? range?.[0] === -1 && range[1] === 1
        ? "tanh"
        : range?.[0] === 0 && range[1] === 1
        ? "sigmoid"
        : "linear"
      : options.outputActivation;
    if (activation !== "linear") h = applyLayer(layers.layers.activation({ activation }), h);
    if (shape.length > 1) h = applyLayer(layers.layers.reshape({ targetShape: shape }), h);
    const generator = layers.model({ inputs: g.inputs, outputs: h, name: "generator" });

    const x = layers.input({ shape });
    const hidden = options.discriminatorHidden ?? options.hidden;
    const { features, output } = discriminatorTrunk(x, splice, {
      count: hidden.length,
      entry: shape.length > 1 ? (d) => applyLayer(layers.layers.flatten(), d) : undefined,
      transform: (d, index) => applyLayer(dense(hidden[index]), d),
      activate,
    });
    const logit = applyLayer(dense(logits), output);
    return networks(layers, options, generator, { input: x, output, logit, features }, {
      conditional,
      rng,
    });
  },
});
