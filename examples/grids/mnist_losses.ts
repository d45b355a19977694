/**
 * An MNIST grid as a TypeScript module: the three losses with and without minibatch
 * discrimination on the MLP of the PyTorch reference (G 100-256-512-784, D 784-512-256-1).
 * Run: deno task ablate examples/grids/mnist_losses.ts --workers 2
 */
import { defineGrid } from "../../mod.ts";

/** 32 kernels of 4 dimensions (the add-on's defaults are 100 × 5). */
const minibatch = { name: "minibatch-discrimination", options: { kernels: 32, dims: 4 } };

export default defineGrid({
  name: "mnist-losses",
  base: {
    dataset: "mnist",
    architecture: {
      name: "mlp",
      options: { generatorHidden: [256, 512], discriminatorHidden: [512, 256], latentDim: 100 },
    },
    train: { steps: 3000, batchSize: 64, optimizer: { name: "adam", lr: 2e-4, beta1: 0.5 } },
    evaluate: { every: 500, metrics: [], samples: 64 },
  },
  axes: {
    loss: ["minimax", "non-saturating", "feature-matching"],
    "discriminator.addons": [[], [minibatch]],
  },
  seeds: [1, 2],
});
