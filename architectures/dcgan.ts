import { z } from "../deps.ts";
import { definePlugin } from "../core/contract/plugin.ts";
import { Conv2D } from "../layers/conv2d.ts";
import { Dense } from "../layers/dense.ts";
import { applyLayer, discriminatorTrunk, generatorInput, networks } from "./_networks.ts";

/**
 * DCGAN (Radford et al. 2016): G is dense → reshape → strided transposed convolutions with batch
 * norm and ReLU → tanh; D is strided convolutions with LeakyReLU (batch norm as the `batch-norm`
 * add-on) → the flattened last block (the features) → logit. Defaults are the shape of
 * shared/bench/torch_reference.py's `dcgan` model for 28×28 MNIST.
 */
export default definePlugin({
  kind: "architecture",
  name: "dcgan",
  description: "Convolutional G and D (Radford 2016) for square images of side 2^depth × k",
  options: z.strictObject({
    /** Channels of D's first block; each later block doubles them (G mirrors D). */
    baseWidth: z.int().positive().default(64),
    /** Number of stride-2 blocks: the image side must be divisible by 2^depth. */
    depth: z.int().min(1).max(5).default(2),
    kernelSize: z.int().positive().default(5),
    latentDim: z.int().positive().max(16_384).default(100),
    latentDistribution: z.enum(["normal", "uniform"]).default("normal"),
    leak: z.number().min(0).default(0.2),
  }),
  create: ({ layers, options, rng, dataset, logits, splice, conditional }) => {
    const [height, width, channels] = dataset.shape;
    const scale = 2 ** options.depth;
    if (dataset.shape.length !== 3 || height !== width || height % scale !== 0) {
      throw new RangeError(
        `Cannot build dcgan for data of shape [${dataset.shape}]: expected square images ` +
          `[side, side, channels] with the side divisible by 2^depth = ${scale}`,
      );
    }
    const { baseWidth, depth, kernelSize } = options;
    // DCGAN initialises every weight from N(0, 0.02).
    const init = () =>
      layers.initializers.randomNormal({ mean: 0, stddev: 0.02, seed: rng.seed() });
    const conv = (filters: number, transposed: boolean) => {
      const padding = "same" as const;
      const args = { filters, kernelSize, strides: 2, padding, kernelInitializer: init() };
      return transposed ? layers.layers.conv2dTranspose(args) : new Conv2D(args);
    };
    const widths = Array.from({ length: depth }, (_, i) => baseWidth * 2 ** i);

    const input = generatorInput(layers, options.latentDim, conditional, rng);
    const side = height / scale;
    let g = applyLayer(
      new Dense({ units: side * side * widths[depth - 1], kernelInitializer: init() }),
      input.code,
    );
    g = applyLayer(layers.layers.reLU(), applyLayer(layers.layers.batchNormalization({}), g));
    g = applyLayer(layers.layers.reshape({ targetShape: [side, side, widths[depth - 1]] }), g);
    for (let i = depth - 2; i >= 0; i--) {
      g = applyLayer(layers.layers.batchNormalization({}), applyLayer(conv(widths[i], true), g));
      g = applyLayer(layers.layers.reLU(), g);
    }
    g = applyLayer(conv(channels, true), g);
    const range = dataset.range;
    const activation = range?.[0] === 0 && range[1] === 1 ? "sigmoid" : "tanh";
    g = applyLayer(layers.layers.activation({ activation }), g);
    const generator = layers.model({ inputs: input.inputs, outputs: g, name: "generator" });

    const x = layers.input({ shape: dataset.shape });
    const { features, output } = discriminatorTrunk(x, splice, {
      count: depth,
      transform: (d, index) => applyLayer(conv(widths[index], false), d),
      activate: (d) => applyLayer(layers.layers.leakyReLU({ alpha: options.leak }), d),
      flatten: (d) => applyLayer(layers.layers.flatten(), d),
    });
    const logit = applyLayer(
      new Dense({ units: logits, kernelInitializer: init() }),
      output,
    );
    return networks(layers, options, generator, { input: x, output, logit, features }, {
      conditional,
      rng,
    });
  },
});
