import { z } from "../deps.ts";
import { definePlugin } from "../core/contract/plugin.ts";
import { comparedRows, comparedRowsOptions, requireComparable } from "./_compared_rows.ts";
import { kernelDistance } from "./_manifold.ts";

/**
 * The kernel inception distance (Bińkowski et al. 2018) with gantry's domain classifier for
 * Inception (points: the raw points): the unbiased MMD² with the kernel (xᵀy/d + 1)³, mean and
 * standard deviation over random subsets. Unbiased, so it can be slightly negative.
 */
export default definePlugin({
  kind: "metric",
  name: "kid",
  description: "Kernel (inception) distance: unbiased cubic-kernel MMD², mean ± std over subsets",
  options: z.strictObject({
    ...comparedRowsOptions,
    subsets: z.int().positive().max(1_000).default(10),
    /** Rows per subset (at most the samples compared). */
    subsetSize: z.int().min(2).max(20_000).default(500),
  }),
  create: ({ options, dataset }) => {
    requireComparable("kid", dataset);
    return {
      async evaluate(context) {
        const { real, fake } = await comparedRows(context, options);
        const rows = Math.min(real.values.length / real.width, fake.values.length / fake.width);
        const { mean, std } = kernelDistance(
          real,
          fake,
          options.subsets,
          Math.min(options.subsetSize, rows),
          context.rng,
        );
        return { kid: mean, kidStd: std };
      },
    };
  },
});
