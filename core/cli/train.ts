/**
 * `deno task train CONFIG ...`: trains one config into its run directory.
 *
 * @module
 */
import { dirname, join } from "node:path";
import { registryWith } from "../../builtins.ts";
import { pluginModuleUrl } from "../contract/load_plugins.ts";
import { resolveExperiment } from "../config/experiment.ts";
import { loadConfigFile } from "../config/load_file.ts";
import { parseAssignments } from "../config/assignments.ts";
import { applyAssignments, applyOverrides } from "../config/overrides.ts";
import { parseConfig } from "../config/schema.ts";
import { runPaths } from "../store/run_directory.ts";
import { trainExperiment } from "../train/train.ts";
import { UsageError } from "../contract/errors.ts";
import { command, integerFlag, pathFlag } from "./flags.ts";
import { explainRefusal } from "./permissions.ts";
import { formatMetrics, formatProgress, stderrWriter } from "./progress.ts";

const HELP = `Usage: deno task train CONFIG [key.path=value ...] [options]

Trains the GAN described by CONFIG (.json, or .ts/.js with a default export) and writes
config.json, train.jsonl (every logged step), metrics.jsonl (every evaluation), result.json and
samples/ to the run directory. Each key.path=value
sets that field of the config (the value read as JSON when it parses, else as a string):
train.steps=500 loss=hinge 'discriminator.addons=["batch-norm"]'; config.json records them.

Options:
  --out DIR          run directory (default: runs/<config name>)
  --backend B        auto | webgpu | wasm | cpu (overrides the config)
  --threads N        wasm's thread count, 1 to 8 (sets backend.threads)
  --steps N          training steps (overrides train.steps)
  --seed N           random seed (overrides seed)
  --tensorboard      also write a TensorBoard event file (sets log.tensorboard)
  --plugin P         plugin module, a path or an http(s) URL; repeatable
  --resume           continue from the run directory's last checkpoint, if it has one
  --overwrite        start afresh in a run directory that holds an earlier run, removing its
                     checkpoint, metrics, results and samples (without --resume or this, such a
                     directory is refused)
  --help             this text

Exit codes: 0 ok, 1 bad config or arguments, 2 run failed, 3 run diverged.`;

/** `deno task train CONFIG ...`; resolves to the exit code. */
export const trainCommand = command({
  help: HELP,
  flags: {
    string: ["out", "backend", "threads", "steps", "seed"],
    strings: ["plugin"],
    boolean: ["resume", "overwrite", "tensorboard"],
  },
  positionals: { name: "CONFIG file", overrides: true },
  run: async (values, [path, ...assignments]) => {
    if (values.resume && values.overwrite) {
      throw new UsageError(
        "--resume and --overwrite contradict each other: --resume continues the earlier run, " +
          "--overwrite removes it; give one",
      );
    }
    const out = pathFlag("out", values.out);
    const written = applyAssignments(await loadConfigFile(path), parseAssignments(assignments));
    const raw = applyOverrides(written, {
      backend: values.backend,
      threads: integerFlag("threads", values.threads),
      steps: integerFlag("steps", values.steps),
      seed: integerFlag("seed", values.seed),
      tensorboard: values.tensorboard || undefined,
    });
    const config = parseConfig(raw, path);
    const registry = await registryWith([
      ...values.plugin.map((p) => pluginModuleUrl(p)),
      ...config.plugins.map((p) => pluginModuleUrl(p, dirname(path))),
    ]);
    const experiment = resolveExperiment(config, registry, path);
    const outDir = out ?? join("runs", config.name);
    const stderr = stderrWriter();
    const result = await trainExperiment(experiment, {
      registry,
      outDir,
      source: path,
      resume: values.resume,
      overwrite: values.overwrite,
      onStart: ({ backend }) =>
        console.error(
          `gantry: training ${config.name} on ${backend.name}` +
            (backend.adapter ? ` (adapter: ${backend.adapter})` : "") +
            (backend.threads ? ` with ${backend.threads} thread(s)` : "") + ` -> ${outDir}`,
        ),
      onProgress: (p) => stderr.status(formatProgress(p)),
    });
    if (stderr.interactive) console.error();
    const metrics = formatMetrics(result.metrics);
    console.log(
      `${result.status}: ${result.steps} steps in ${result.seconds}s on ${result.backend}` +
        (metrics ? `; ${metrics}` : ""),
    );
    if (result.error) console.error(`error: ${explainRefusal(result.error)}`);
    const outputs = runPaths(outDir);
    console.log(`samples: ${outputs.samples}`);
    console.log(`metrics: ${outputs.train}, ${outputs.metrics}`);
    if (config.log?.tensorboard) console.log(`tensorboard --logdir ${outDir}`);
    console.log(`result:  ${outputs.result}`);
    return { ok: 0, failed: 2, diverged: 3 }[result.status];
  },
});
