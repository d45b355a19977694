import { z } from "../deps.ts";
import { definePlugin } from "../core/contract/plugin.ts";

/**
 * Mode coverage on a Gaussian mixture (VEEGAN / PacGAN): a sample is high-quality when it lies
 * within `within` standard deviations of its nearest mode; a mode is captured when it is the
 * nearest mode of at least one high-quality sample. `reverseKL` is KL(q || uniform) for the
 * histogram q of every sample's nearest mode.
 */
export default definePlugin({
  kind: "metric",
  name: "mode-coverage",
  description: "Modes captured, fraction of high-quality samples and reverse KL over modes",
  options: z.strictObject({
    samples: z.int().positive().max(1_000_000).default(2500),
    within: z.number().positive().default(3),
  }),
  create: ({ options, dataset }) => {
    const modes = dataset.modes;
    if (!modes) {
      throw new TypeError(
        "mode-coverage needs a dataset made of Gaussian modes (ring-8, grid-25, gaussian-1d)",
      );
    }
    return {
      async evaluate({ generate }) {
        const samples = generate(options.samples);
        const points = await samples.data();
        samples.dispose();
        return modeCoverage(points, modes.means, modes.std * options.within);
      },
    };
  },
});

/**
 * The three numbers of mode coverage for points (flat, row-major) against mode centres: modes
 * captured, the fraction of high-quality samples (within `within` of a mode) and the reverse
 * KL of the captured modes' histogram from uniform.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { modeCoverage } from "./mode_coverage.ts";
 *
 * const result = modeCoverage([0, 0, 0.01, 0], [[0, 0], [1, 0]], 0.03);
 * assert.ok(result.modes === 1 && result.highQuality === 1);
 * ```
 */
export function modeCoverage(
  points: ArrayLike<number>,
  means: number[][],
  radius: number,
): { modes: number; highQuality: number; reverseKL: number } {
  const dim = means[0].length;
  const n = points.length / dim;
  const nearestCount = new Array(means.length).fill(0);
  const captured = new Set<number>();
  let highQuality = 0;
  for (let i = 0; i < n; i++) {
    let best = 0;
    let bestDistance = Infinity;
    means.forEach((mean, k) => {
      let squared = 0;
      for (let j = 0; j < dim; j++) squared += (points[i * dim + j] - mean[j]) ** 2;
      if (squared < bestDistance) [best, bestDistance] = [k, squared];
    });
    nearestCount[best]++;
    if (Math.sqrt(bestDistance) <= radius) {
      highQuality++;
      captured.add(best);
    }
  }
  const reverseKL = nearestCount.reduce(
    (sum, count) => count ? sum + (count / n) * Math.log((count / n) * means.length) : sum,
    0,
  );
  return { modes: captured.size, highQuality: highQuality / n, reverseKL };
}
