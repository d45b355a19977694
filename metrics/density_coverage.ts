import { z } from "../deps.ts";
import { definePlugin } from "../core/contract/plugin.ts";
import { comparedRows, comparedRowsOptions, requireComparable } from "./_compared_rows.ts";
import { densityCoverage } from "./_manifold.ts";

/**
 * Density and coverage (Naeem et al. 2020): how crowded G's samples are in the real data's k-NN
 * balls (density, 1 for a perfect G) and the fraction of real balls G reaches (coverage), more
 * robust to outliers than precision and recall.
 */
export default definePlugin({
  kind: "metric",
  name: "density-coverage",
  description: "Density and coverage of G's samples on the real k-NN balls, k = 5 (Naeem 2020)",
  options: z.strictObject({ ...comparedRowsOptions, k: z.int().positive().max(100).default(5) })
    .refine((o) => o.k < o.samples, {
      path: ["k"],
      error: "expected k below samples (each ball needs k other rows)",
    }),
  create: ({ options, dataset }) => {
    requireComparable("density-coverage", dataset);
    return {
      async evaluate(context) {
        const { real, fake } = await comparedRows(context, options);
        return densityCoverage(real, fake, options.k);
      },
    };
  },
});
