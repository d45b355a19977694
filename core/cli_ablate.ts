/**
 * `ablate` runs a grid (or one shard of it) in workers; `report` merges grid directories.
 *
 * @module
 */
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";
import { type AblateEvent, runGrid, type Shard } from "./ablate.ts";
import { formatDuration, integerFlag, registryWith, UsageError } from "./cli_util.ts";
import { expandGrid, parseGrid } from "./grid.ts";
import { loadConfigFile } from "./load_config.ts";
import { pluginModuleUrl } from "./load_plugins.ts";
import { type ReportFiles, writeReport } from "./report.ts";

const ABLATE_HELP = `Usage: deno task ablate GRID [options]

Runs every cell (config x seed) of GRID (.json, or .ts/.js whose default export is the grid)
and writes OUT/results.jsonl, OUT/cells/<cell id>/, OUT/summary.csv, OUT/summary.md and
OUT/report.html. A rerun skips the cells in results.jsonl and resumes interrupted ones from
their last checkpoint.

Options:
  --out DIR          output directory (default: runs/<grid name>)
  --workers N        cells trained at once, each in its own Deno worker (default 1)
  --shard i/n        run the i-th of n deterministic slices (1-based); without it the slice
                     comes from SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_COUNT or
                     JOB_COMPLETION_INDEX (Kubernetes Indexed Jobs) when set
  --shard-count N    the number of slices for JOB_COMPLETION_INDEX (default: the grid's shards)
  --backend B        auto | webgpu | wasm | cpu for every cell
  --steps N          training steps for every cell
  --plugin P         plugin module, a path or an http(s) URL; repeatable
  --help             this text`;

const REPORT_HELP = `Usage: deno task report DIR... [--out DIR]

Merges the results.jsonl of every DIR (shards, reruns; a cell present in several counts once)
into summary.csv, summary.md and report.html in --out (default: the first DIR).`;

/** The shard from --shard, else from a Slurm array or a Kubernetes Indexed Job. */
export function resolveShard(
  flag: string | undefined,
  shardCount: number | undefined,
  env: (name: string) => string | undefined,
): Shard | undefined {
  const parse = (index: number, count: number, source: string): Shard => {
    if (
      !(Number.isInteger(index) && Number.isInteger(count) && count >= 1 && index >= 0 &&
        index < count)
    ) {
      throw new UsageError(
        `Invalid shard from ${source}: expected an index from 1 to the count (got ${
          index + 1
        } of ${count})`,
      );
    }
    return { index, count };
  };
  if (flag !== undefined) {
    const match = /^(\d+)\/(\d+)$/.exec(flag);
    if (!match) throw new UsageError(`Invalid --shard ${JSON.stringify(flag)}: expected i/n`);
    return parse(Number(match[1]) - 1, Number(match[2]), "--shard");
  }
  const slurmId = env("SLURM_ARRAY_TASK_ID");
  if (slurmId !== undefined) {
    const count = Number(env("SLURM_ARRAY_TASK_COUNT"));
    const min = Number(env("SLURM_ARRAY_TASK_MIN") ?? 0);
    return parse(Number(slurmId) - min, count, "SLURM_ARRAY_TASK_ID");
  }
  const jobIndex = env("JOB_COMPLETION_INDEX");
  if (jobIndex !== undefined) {
    if (shardCount === undefined) {
      throw new UsageError(
        "JOB_COMPLETION_INDEX is set but the shard count is not: pass --shard-count N or set the grid's shards",
      );
    }
    return parse(Number(jobIndex), shardCount, "JOB_COMPLETION_INDEX");
  }
  return undefined;
}

/** Prints the runner's events: a line per finished cell and the running cells' progress. */
function printer(lanes: () => number) {
  const interactive = Deno.stderr.isTerminal();
  const encoder = new TextEncoder();
  const running = new Map<string, string>();
  const started = performance.now();
  let total = 0, finished = 0, lastStatus = 0;
  const eta = () => {
    const perCell = (performance.now() - started) / 1000 / Math.max(finished, 1);
    return finished ? formatDuration(perCell * (total - finished)) : "?";
  };
  const status = () =>
    `[${finished}/${total} cells, ETA ${eta()}] ` +
    [...running].map(([label, step]) => `${label} ${step}`).join(" | ");
  const write = (text: string) => Deno.stderr.writeSync(encoder.encode(text));
  return (event: AblateEvent) => {
    if (event.type === "plan") {
      total = event.pending;
      console.error(
        `gantry: ${event.total} cells, ${event.skipped} already done, ${event.pending} to run on ${lanes()} worker(s)`,
      );
    } else if (event.type === "start") {
      running.set(event.cell.label, "starting");
    } else if (event.type === "progress") {
      running.set(event.cell.label, `${event.progress.step}/${event.progress.steps}`);
      const now = performance.now();
      if (interactive) write(`\r\x1b[2K${status()}`);
      else if (now - lastStatus > 10_000) {
        lastStatus = now;
        write(`${status()}\n`);
      }
    } else {
      running.delete(event.cell.label);
      finished++;
      const metrics = Object.entries(event.result.metrics).map(([k, v]) => `${k}=${+v.toFixed(4)}`);
      write(
        `${interactive ? "\r\x1b[2K" : ""}[${finished}/${total}] ${event.cell.label}: ` +
          `${event.result.status} in ${event.result.seconds}s ${metrics.join(" ")}` +
          (event.result.error ? ` (${event.result.error})` : "") + ` - ETA ${eta()}\n`,
      );
    }
  };
}

/** `deno task ablate GRID ...` */
export async function ablateCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      out: { type: "string" },
      workers: { type: "string" },
      shard: { type: "string" },
      "shard-count": { type: "string" },
      backend: { type: "string" },
      steps: { type: "string" },
      plugin: { type: "string", multiple: true, default: [] },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) {
    console.log(ABLATE_HELP);
    return 0;
  }
  if (positionals.length !== 1) {
    throw new UsageError(`Expected one GRID file, got ${positionals.length}\n\n${ABLATE_HELP}`);
  }
  const [path] = positionals;
  const workers = integerFlag("workers", values.workers) ?? 1;
  if (workers < 1) throw new UsageError("Invalid --workers 0: expected at least 1");
  const steps = integerFlag("steps", values.steps);
  const raw = await loadConfigFile(path, "grid") as { base?: Record<string, unknown> };
  if (raw && typeof raw === "object" && raw.base && typeof raw.base === "object") {
    raw.base = {
      ...raw.base,
      ...(values.backend !== undefined ? { backend: values.backend } : {}),
      ...(steps !== undefined ? { train: { ...raw.base.train as object, steps } } : {}),
    };
  }
  const grid = parseGrid(raw, path);
  const basePlugins = Array.isArray(grid.base.plugins) ? grid.base.plugins as string[] : [];
  const pluginUrls = [
    ...values.plugin.map((p) => pluginModuleUrl(p)),
    ...basePlugins.map((p) => pluginModuleUrl(p, dirname(path))),
  ];
  const registry = await registryWith(pluginUrls);
  const cells = await expandGrid(grid, registry, path);
  const shard = resolveShard(
    values.shard,
    integerFlag("shard-count", values["shard-count"]) ?? grid.shards,
    (name) => Deno.env.get(name),
  );
  const outDir = values.out ?? join("runs", grid.name);
  console.error(
    `gantry: grid ${grid.name} (${cells.length} cells)` +
      (shard ? `, shard ${shard.index + 1}/${shard.count}` : "") + ` -> ${outDir}`,
  );
  await runGrid(grid, cells, {
    outDir,
    workers,
    shard,
    pluginUrls,
    onEvent: printer(() => workers),
  });
  const report = await writeReport([outDir], outDir);
  printReport(report);
  return 0;
}

function printReport(report: ReportFiles): void {
  console.log(report.markdown);
  if (report.leftOut) {
    console.log(
      `left out: ${report.leftOut} results of cells not in the current grid (an earlier version)`,
    );
  }
  console.log(`summary: ${report.csvPath}, ${report.markdownPath}`);
  console.log(`report:  ${report.htmlPath}`);
}

/** `deno task report DIR... [--out DIR]` */
export async function reportCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { out: { type: "string" }, help: { type: "boolean", default: false } },
  });
  if (values.help) {
    console.log(REPORT_HELP);
    return 0;
  }
  if (!positionals.length) throw new UsageError(`Expected at least one DIR\n\n${REPORT_HELP}`);
  const report = await writeReport(positionals, values.out ?? positionals[0]);
  printReport(report);
  return 0;
}
