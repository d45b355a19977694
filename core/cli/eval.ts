/**
 * `deno task eval RUN ...`: scores a saved run with metrics on a dataset (see `evaluateRun`).
 *
 * @module
 */
import { evaluateRun, type PluginName } from "../evaluate/evaluate_run.ts";
import { UsageError } from "../contract/errors.ts";
import { backendFlag, command } from "./flags.ts";
import { formatMetrics } from "./progress.ts";

const HELP = `Usage: deno task eval RUN [--dataset NAME|idx] [--images F --labels F] [--metrics a,b]
                      [--backend B] [--plugin MODULE]...

Scores RUN's saved generator and discriminator (RUN/checkpoint/) with metrics (default: the
run's own evaluate.metrics) on a dataset (default: the run's own; image datasets are scaled to
the run's range) and writes RUN/eval-<dataset>.json.
  --dataset idx --images F --labels F   IDX or IDX.gz files (MNIST format); that pair is both
                                        the test split scored and, for classifier-based
                                        metrics, what a domain classifier learns from
  --metrics a,b      metric plugin names, with their default options
  --plugin MODULE    plugin modules to load instead of the run's config.plugins (those were
                     named relative to its config file; eval looks them up from here)`;

/** `deno task eval RUN ...`; resolves to the exit code. */
export const evalCommand = command({
  help: HELP,
  flags: { string: ["dataset", "images", "labels", "metrics", "backend"], strings: ["plugin"] },
  positionals: { name: "RUN directory" },
  run: async (values, [runDir]) => {
    if ((values.images || values.labels) && values.dataset !== "idx") {
      throw new UsageError("--images and --labels go with --dataset idx");
    }
    if (values.dataset === "idx" && !values.images) {
      throw new UsageError("--dataset idx needs --images FILE (and --labels FILE for labels)");
    }
    const evaluation = await evaluateRun(runDir, {
      dataset: datasetFlags(values),
      metrics: values.metrics?.split(",").map((name) => name.trim()),
      backend: backendFlag(values.backend ?? "auto"),
      plugins: values.plugin.length ? values.plugin : undefined,
      onStart: ({ step, dataset, metrics, backend }) =>
        console.error(
          `gantry: evaluating ${runDir} (step ${step}) on "${dataset}" with ` +
            `${metrics.join(", ")} on ${backend.name}`,
        ),
    });
    console.log(`${formatMetrics(evaluation.metrics)}\nwritten: ${evaluation.path}`);
    return 0;
  },
});

/** The dataset the flags name: `--dataset NAME`, or an IDX pair scored as the test split. */
function datasetFlags(
  values: { dataset?: string; images?: string; labels?: string },
): PluginName | undefined {
  if (values.dataset !== "idx") return values.dataset;
  const { images, labels } = values;
  return {
    name: "idx",
    options: {
      images,
      ...(labels ? { labels } : {}),
      testImages: images,
      ...(labels ? { testLabels: labels } : {}),
    },
  };
}
