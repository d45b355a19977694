/**
 * gantry's command line: `train` runs one config, `ablate` a grid, `report` merges grid results,
 * `plugins` lists what can be named.
 *
 * @module
 */
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";
import { parseConfig } from "./config.ts";
import { train } from "./engine.ts";
import { formatProgress, integerFlag, registryWith, UsageError } from "./cli_util.ts";
import { ablateCommand, reportCommand } from "./cli_ablate.ts";
import { evalCommand } from "./cli_eval.ts";
import { sampleCommand } from "./cli_sample.ts";
import { ConfigError } from "./errors.ts";
import { loadConfigFile } from "./load_config.ts";
import { pluginModuleUrl } from "./load_plugins.ts";
import { PLUGIN_KINDS } from "./plugin.ts";

const TRAIN_HELP = `Usage: deno task train CONFIG [options]

Trains the GAN described by CONFIG (.json, or .ts/.js with a default export) and writes
config.json, metrics.jsonl, result.json and samples/ to the run directory.

Options:
  --out DIR          run directory (default: runs/<config name>)
  --backend B        auto | webgpu | wasm | cpu (overrides the config)
  --steps N          training steps (overrides train.steps)
  --seed N           random seed (overrides seed)
  --plugin P         plugin module, a path or an http(s) URL; repeatable
  --resume           continue from the run directory's last checkpoint, if it has one
  --overwrite        start afresh in a run directory that holds an earlier run, removing its
                     checkpoint, metrics, results and samples (without --resume or this, such a
                     directory is refused)
  --help             this text

Exit codes: 0 ok, 1 bad config or arguments, 2 run failed, 3 run diverged.`;

const PLUGINS_HELP = `Usage: deno task plugins [--plugin P]...

Lists every registered plugin by kind with its description, including those of the given
plugin modules.`;

async function trainCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      out: { type: "string" },
      backend: { type: "string" },
      steps: { type: "string" },
      seed: { type: "string" },
      plugin: { type: "string", multiple: true, default: [] },
      resume: { type: "boolean", default: false },
      overwrite: { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) {
    console.log(TRAIN_HELP);
    return 0;
  }
  if (positionals.length !== 1) {
    throw new UsageError(`Expected one CONFIG file, got ${positionals.length}\n\n${TRAIN_HELP}`);
  }
  const [path] = positionals;
  const raw = await loadConfigFile(path);
  const steps = integerFlag("steps", values.steps);
  const seed = integerFlag("seed", values.seed);
  const overridden = raw !== null && typeof raw === "object" && !Array.isArray(raw)
    ? {
      ...raw,
      ...(values.backend !== undefined ? { backend: values.backend } : {}),
      ...(seed !== undefined ? { seed } : {}),
      ...(steps !== undefined ? { train: { ...(raw as { train?: object }).train, steps } } : {}),
    }
    : raw;
  const config = parseConfig(overridden, path);
  const registry = await registryWith([
    ...values.plugin.map((p) => pluginModuleUrl(p)),
    ...config.plugins.map((p) => pluginModuleUrl(p, dirname(path))),
  ]);
  const outDir = values.out ?? join("runs", config.name);
  const interactive = Deno.stderr.isTerminal();
  const encoder = new TextEncoder();
  const result = await train(config, {
    registry,
    outDir,
    source: path,
    resume: values.resume,
    overwrite: values.overwrite,
    onStart: ({ backend }) =>
      console.error(
        `gantry: training ${config.name} on ${backend.name}` +
          (backend.adapter ? ` (adapter: ${backend.adapter})` : "") + ` -> ${outDir}`,
      ),
    onProgress: (p) =>
      Deno.stderr.writeSync(
        encoder.encode(interactive ? `\r\x1b[2K${formatProgress(p)}` : `${formatProgress(p)}\n`),
      ),
  });
  if (interactive) console.error();
  const metrics = Object.entries(result.metrics).map(([k, v]) => `${k}=${+v.toFixed(4)}`);
  console.log(
    `${result.status}: ${result.steps} steps in ${result.seconds}s on ${result.backend}` +
      (metrics.length ? `; ${metrics.join(" ")}` : ""),
  );
  if (result.error) console.error(`error: ${result.error}`);
  console.log(`samples: ${join(outDir, "samples")}`);
  console.log(`metrics: ${join(outDir, "metrics.jsonl")}`);
  console.log(`result:  ${join(outDir, "result.json")}`);
  return { ok: 0, failed: 2, diverged: 3 }[result.status];
}

async function pluginsCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      plugin: { type: "string", multiple: true, default: [] },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) {
    console.log(PLUGINS_HELP);
    return 0;
  }
  const registry = await registryWith(values.plugin.map((p) => pluginModuleUrl(p)));
  const width = Math.max(...registry.list().map((p) => p.name.length));
  for (const kind of PLUGIN_KINDS) {
    const plugins = registry.list(kind);
    if (!plugins.length) continue;
    console.log(kind);
    for (const p of plugins) console.log(`  ${p.name.padEnd(width)}  ${p.description}`);
  }
  return 0;
}

/** Runs the CLI with `args` and returns the exit code. */
export async function main(args: string[]): Promise<number> {
  const [command, ...rest] = args;
  try {
    if (command === "train") return await trainCommand(rest);
    if (command === "plugins") return await pluginsCommand(rest);
    if (command === "ablate") return await ablateCommand(rest);
    if (command === "report") return await reportCommand(rest);
    if (command === "sample") return await sampleCommand(rest);
    if (command === "eval") return await evalCommand(rest);
    throw new UsageError(
      `Unknown command ${
        JSON.stringify(command ?? "")
      }: expected train, ablate, report, sample, eval or plugins`,
    );
  } catch (error) {
    // A stack trace helps only when debugging gantry itself.
    const debug = Deno.env.get("GANTRY_DEBUG") && !(error instanceof ConfigError);
    console.error(error instanceof Error && !debug ? error.message : error);
    return 1;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
