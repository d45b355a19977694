import { type tf, z } from "../deps.ts";
import type { Dataset } from "../core/contract/plugin.ts";

/**
 * A mixture dataset's options: those that lay its components out, and `std`, the standard
 * deviation of every component (default `std`).
 */
export function mixtureOptions<S extends z.ZodRawShape>(layout: S, std: number) {
  return z.strictObject({ ...layout, std: z.number().positive().default(std) });
}

/**
 * A mixture of isotropic Gaussians with equal weights: the synthetic mode-collapse benchmarks.
 * Points are drawn in JS from the run's stream, so every backend sees the same data.
 */
export function gaussianMixture(ops: typeof tf, means: number[][], std: number): Dataset {
  const dim = means[0].length;
  return {
    info: { shape: [dim], kind: "points", modes: { means, std } },
    sample(rng, n) {
      const values = new Float32Array(n * dim);
      for (let i = 0; i < n; i++) {
        const mean = means[rng.int(means.length)];
        for (let j = 0; j < dim; j++) values[i * dim + j] = mean[j] + std * rng.normal();
      }
      return { x: ops.tensor2d(values, [n, dim]) };
    },
  };
}
