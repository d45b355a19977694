/**
 * `eval` scores a saved run on any dataset: it rebuilds the run from RUN/config.json, loads
 * RUN/checkpoint/ (G, D and every plugin's state), swaps in the dataset asked for and writes the
 * metrics' numbers to RUN/eval-<dataset>.json.
 *
 * @module
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import { writeJsonAtomic } from "./atomic.ts";
import { useBackend } from "./backend.ts";
import { loadCheckpoint } from "./checkpoint.ts";
import { backendFlag, registryForRun, UsageError } from "./cli_util.ts";
import { type ExperimentConfig, parseConfig } from "./config.ts";
import { resolveExperiment } from "./experiment.ts";
import { buildRun, measure, restoreRun } from "./run.ts";

const EVAL_HELP =
  `Usage: deno task eval RUN [--dataset NAME|idx] [--images F --labels F] [--metrics a,b]
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

/** `deno task eval RUN ...` */
export async function evalCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      dataset: { type: "string" },
      images: { type: "string" },
      labels: { type: "string" },
      metrics: { type: "string" },
      backend: { type: "string", default: "auto" },
      plugin: { type: "string", multiple: true, default: [] },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) {
    console.log(EVAL_HELP);
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError(`Expected one RUN directory\n\n${EVAL_HELP}`);
  const [runDir] = positionals;
  if ((values.images || values.labels) && values.dataset !== "idx") {
    throw new UsageError("--images and --labels go with --dataset idx");
  }
  if (values.dataset === "idx" && !values.images) {
    throw new UsageError("--dataset idx needs --images FILE (and --labels FILE for labels)");
  }
  const configPath = join(runDir, "config.json");
  const saved = await Deno.readTextFile(configPath).catch(() => {
    throw new Error(`Cannot evaluate ${runDir}: it has no config.json (is it a run directory?)`);
  });
  const config = parseConfig(JSON.parse(saved), configPath);
  const backend = await useBackend(backendFlag(values.backend));
  const checkpoint = await loadCheckpoint(runDir);
  if (!checkpoint) {
    throw new Error(`Cannot evaluate ${runDir}: it has no checkpoint/ (train it first)`);
  }
  const evaluated: ExperimentConfig = {
    ...config,
    backend: backend.name,
    evaluate: {
      ...config.evaluate,
      metrics: values.metrics
        ? values.metrics.split(",").map((name) => ({ name: name.trim(), options: {} }))
        : config.evaluate.metrics,
    },
  };
  const registry = await registryForRun(runDir, config.plugins, values.plugin);
  const range = checkpoint.state.dataset.range;
  // Image datasets take a `range` option: they are scaled as the run's generator draws.
  const takesRange = (name: string) => {
    if (!registry.has("dataset", name)) return false;
    const schema = registry.get("dataset", name).options as { shape?: object } | undefined;
    return schema?.shape !== undefined && "range" in schema.shape;
  };
  const datasetRef = datasetFor(
    values,
    config,
    range && takesRange(values.dataset ?? "") ? range : undefined,
  );
  // Validated as a whole config, so a bad flag is reported like a bad field.
  const experiment = resolveExperiment(
    parseConfig({ ...evaluated, dataset: datasetRef }, "(eval flags)"),
    registry,
    "(eval flags)",
  );
  if (!experiment.metrics.length) {
    throw new UsageError(`${runDir} has no evaluate.metrics: name some with --metrics`);
  }
  const started = performance.now();
  const run = await buildRun(experiment, `${runDir} (eval)`, checkpoint.state.dataset.shape);
  try {
    await restoreRun(run, checkpoint);
    console.error(
      `gantry: evaluating ${runDir} (step ${checkpoint.state.step}) on "${datasetRef.name}" ` +
        `with ${experiment.metrics.map((m) => m.plugin.name).join(", ")} on ${backend.name}`,
    );
    const metrics = await measure(run, run.metrics, checkpoint.state.step);
    const out = join(runDir, `eval-${datasetRef.name}.json`);
    await writeJsonAtomic(out, {
      run: runDir,
      step: checkpoint.state.step,
      dataset: datasetRef,
      backend: backend.name,
      seconds: Math.round((performance.now() - started) / 10) / 100,
      metrics,
    });
    const shown = Object.entries(metrics).map(([k, v]) => `${k}=${+v.toFixed(4)}`);
    console.log(`${shown.join(" ")}\nwritten: ${out}`);
  } finally {
    run.dispose();
  }
  return 0;
}

/** The dataset the flags ask for, as a plugin reference, scaled to the run's range. */
function datasetFor(
  values: { dataset?: string; images?: string; labels?: string },
  config: ExperimentConfig,
  range: [number, number] | undefined,
): { name: string; options: Record<string, unknown> } {
  if (!values.dataset) return config.dataset;
  const ranged = range ? { range } : {};
  if (values.dataset !== "idx") return { name: values.dataset, options: ranged };
  const files = { images: values.images, ...(values.labels ? { labels: values.labels } : {}) };
  return {
    name: "idx",
    options: {
      ...files,
      testImages: files.images,
      ...(files.labels ? { testLabels: files.labels } : {}),
      ...ranged,
    },
  };
}
