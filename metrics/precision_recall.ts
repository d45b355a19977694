import { z } from "../deps.ts";
import { definePlugin } from "../core/contract/plugin.ts";
import { comparedRows, comparedRowsOptions, requireComparable } from "./_compared_rows.ts";
import { precisionRecall } from "./_manifold.ts";

/**
 * Improved precision and recall (Kynkäänniemi et al. 2019): how much of G's output lies on the
 * real data's k-NN manifold (precision: quality) and how much of the real data lies on G's
 * (recall: diversity). Images: domain-classifier features of the test split; points: raw points.
 */
export default definePlugin({
  kind: "metric",
  name: "precision-recall",
  description: "Improved precision and recall on k-NN manifolds, k = 3 (Kynkäänniemi 2019)",
  options: z.strictObject({ ...comparedRowsOptions, k: z.int().positive().max(100).default(3) })
    .refine((o) => o.k < o.samples, {
      path: ["k"],
      error: "expected k below samples (each ball needs k other rows)",
    }),
  create: ({ options, dataset }) => {
    requireComparable("precision-recall", dataset);
    return {
      async evaluate(context) {
        const { real, fake } = await comparedRows(context, options);
        return precisionRecall(real, fake, options.k);
      },
    };
  },
});
