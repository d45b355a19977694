/**
 * `deno task ablate GRID ...`: runs a grid (or one shard of it) in workers, then writes the
 * summary and report.
 *
 * @module
 */
import { dirname, join } from "node:path";
import { registryWith } from "../../builtins.ts";
import { gridFiles } from "../ablate/grid_directory.ts";
import { buildCells } from "../ablate/preflight.ts";
import { readResults } from "../ablate/results.ts";
import { writeReport } from "../ablate/report.ts";
import { type AblateEvent, runGrid, shardCells } from "../ablate/run_grid.ts";
import { pluginModuleUrl } from "../contract/load_plugins.ts";
import { type Cell, expandGrid, parseGrid } from "../config/grid.ts";
import type { Registry } from "../contract/registry.ts";
import { loadConfigFile } from "../config/load_file.ts";
import { parseAssignments } from "../config/assignments.ts";
import { applyAssignments, applyOverrides } from "../config/overrides.ts";
import { backendRequest } from "../config/schema.ts";
import { lockFile } from "../store/file_lock.ts";
import { UsageError } from "../contract/errors.ts";
import { command, integerFlag, pathFlag } from "./flags.ts";
import { explainRefusal } from "./permissions.ts";
import { formatDuration, formatMetrics, gridEta, stderrWriter } from "./progress.ts";
import { printReport } from "./report.ts";
import { resolveShard } from "./shard.ts";

const HELP = `Usage: deno task ablate GRID [key.path=value ...] [options]

Runs every cell (config x seed) of GRID (.json, or .ts/.js whose default export is the grid)
and writes OUT/results.jsonl, OUT/cells/<cell id>/, OUT/summary.csv, OUT/summary.md and
OUT/report.html (written at the start and after every finished cell). A rerun skips the cells
in results.jsonl and resumes interrupted ones from their last checkpoint. Each key.path=value
sets that field of the grid's base config (the value read as JSON when it parses), as train
does; a path that is an axis of the grid is refused.

Options:
  --out DIR          output directory (default: runs/<grid name>)
  --workers N        cells trained at once, each in its own Deno worker (default 1)
  --shard i/n        run the i-th of n deterministic slices (1-based); without it the slice
                     comes from SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_COUNT or
                     JOB_COMPLETION_INDEX (Kubernetes Indexed Jobs) when set
  --shard-count N    the number of slices for JOB_COMPLETION_INDEX (default: the grid's shards)
  --backend B        auto | webgpu | wasm | cpu for every cell
  --threads N        wasm's threads per cell (1 to 8; --workers x threads at most the cores)
  --steps N          training steps for every cell
  --tensorboard      cells also write TensorBoard event files, one run per label in
                     OUT/tensorboard/ (sets log.tensorboard)
  --plugin P         plugin module, a path or an http(s) URL; repeatable
  --smooth N         the report's curves also as a moving average over N logged steps
  --exit-zero        exit 0 when cells failed or diverged (the grid still runs past them)
  --help             this text

Exit codes: 0 every cell of this shard ok, 1 bad grid or arguments, 2 a cell failed, 3 a cell
diverged (and none failed).`;

/** `deno task ablate GRID ...`; resolves to the exit code. */
export const ablateCommand = command({
  help: HELP,
  flags: {
    string: ["out", "workers", "shard", "shard-count", "backend", "threads", "steps", "smooth"],
    strings: ["plugin"],
    boolean: ["exit-zero", "tensorboard"],
  },
  positionals: { name: "GRID file", overrides: true },
  run: async (values, [path, ...assignmentArgs]) => {
    const workers = integerFlag("workers", values.workers) ?? 1;
    const overrides = {
      backend: values.backend,
      threads: integerFlag("threads", values.threads),
      steps: integerFlag("steps", values.steps),
      tensorboard: values.tensorboard || undefined,
    };
    const shardCount = integerFlag("shard-count", values["shard-count"]);
    const smoothing = integerFlag("smooth", values.smooth);
    const out = pathFlag("out", values.out);
    const assignments = parseAssignments(assignmentArgs);
    const raw = await loadConfigFile(path, "grid") as { base?: unknown };
    if (raw && typeof raw === "object" && "base" in raw) {
      raw.base = applyOverrides(applyAssignments(raw.base, assignments), overrides);
    }
    const grid = parseGrid(raw, path);
    refuseAxisOverrides(Object.keys(assignments), Object.keys(grid.axes));
    const basePlugins = Array.isArray(grid.base.plugins) ? grid.base.plugins as string[] : [];
    const pluginUrls = [
      ...values.plugin.map((p) => pluginModuleUrl(p)),
      ...basePlugins.map((p) => pluginModuleUrl(p, dirname(path))),
    ];
    const registry = await registryWith(pluginUrls);
    const cells = await expandGrid(grid, registry, path);
    const shard = resolveShard(values.shard, shardCount ?? grid.shards, (n) => Deno.env.get(n));
    checkCores(workers, cells.map((cell) => backendRequest(cell.config.backend).threads));
    const outDir = out ?? join("runs", grid.name);
    const done = new Set((await readResults(gridFiles(outDir).results)).map((r) => r.cellId));
    const pending = shardCells(cells, shard).filter((cell) => !done.has(cell.id));
    await checkBuilds(pending, registry, path);
    console.error(
      `gantry: grid ${grid.name} (${cells.length} cells)` +
        (shard ? `, shard ${shard.index + 1}/${shard.count}` : "") + ` -> ${outDir}`,
    );
    console.error(`gantry: live report (rewritten as cells finish): ${gridFiles(outDir).report}`);
    if (cells.some((cell) => cell.config.log?.tensorboard)) {
      console.error(`gantry: tensorboard --logdir ${join(outDir, "tensorboard")}`);
    }
    const report = { smoothing };
    const results = await runGrid(grid, cells, {
      outDir,
      workers,
      shard,
      pluginUrls,
      report,
      onEvent: printer(workers, pending),
    });
    // Runners sharing OUT write the summary one at a time, each from every result so far.
    const lock = await lockFile(gridFiles(outDir).reportLock, () => {});
    try {
      printReport(await writeReport([outDir], outDir, report));
    } finally {
      await lock.release();
    }
    const mine = new Set(shardCells(cells, shard).map((cell) => cell.id));
    const count = (status: string) =>
      results.filter((r) => mine.has(r.cellId) && r.status === status).length;
    const [failed, diverged] = [count("failed"), count("diverged")];
    const code = values["exit-zero"] ? 0 : failed ? 2 : diverged ? 3 : 0;
    if (failed || diverged) {
      console.error(
        `gantry: ${failed} cell(s) failed, ${diverged} diverged` +
          (code ? ` (exit code ${code}; --exit-zero exits 0)` : ""),
      );
    }
    return code;
  },
});

/** Refuses more wasm threads at once (`--workers` × the cells' threads) than the machine has cores. */
export function checkCores(
  workers: number,
  threads: number[],
  cores = navigator.hardwareConcurrency,
) {
  const most = Math.max(1, ...threads);
  const lanes = Math.min(workers, threads.length);
  if (most > 1 && lanes * most > cores) {
    throw new UsageError(
      `--workers ${workers} x ${most} wasm threads (backend.threads) = ${lanes * most} would ` +
        `exceed this machine's ${cores} cores: lower --workers or --threads`,
    );
  }
}

/**
 * Builds every cell still to train once before the first step, showing progress: a cell that
 * cannot be built refuses the grid now, with nothing written.
 */
async function checkBuilds(cells: Cell[], registry: Registry, source: string) {
  if (!cells.length) return;
  const stderr = stderrWriter();
  const started = performance.now();
  await buildCells(cells, registry, source, (_, i) => {
    if (stderr.interactive) stderr.status(`gantry: building cell ${i + 1}/${cells.length}`);
  });
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  stderr.line(`gantry: every cell to train builds (${cells.length} checked in ${seconds}s)`);
}

/**
 * Prints the runner's events: a line per finished cell and the running cells' progress, with the
 * grid's ETA from the steps still to train in `pending`.
 */
function printer(workers: number, pending: Cell[]) {
  const stderr = stderrWriter();
  const running = new Map<string, string>();
  const eta = gridEta(
    pending.map((cell) => ({ label: cell.label, steps: cell.config.train.steps })),
  );
  let total = 0, finished = 0, lastStatus = 0;
  const status = () =>
    `[${finished}/${total} cells, ETA ${formatDuration(eta.seconds())}] ` +
    [...running].map(([label, step]) => `${label} ${step}`).join(" | ");
  return (event: AblateEvent) => {
    if (event.type === "plan") {
      total = event.pending;
      console.error(
        `gantry: ${event.total} cells, ${event.skipped} already done, ${event.pending} to run on ${workers} worker(s)`,
      );
    } else if (event.type === "skip") {
      if (event.reason === "done") {
        total--;
        eta.finished(event.cell.label);
      }
      stderr.line(
        `${event.cell.label}: ${
          event.reason === "claimed"
            ? "another runner is training it; waiting for it after the other cells"
            : "done by another runner"
        }`,
      );
    } else if (event.type === "start") {
      running.set(event.cell.label, "starting");
    } else if (event.type === "progress") {
      running.set(event.cell.label, `${event.progress.step}/${event.progress.steps}`);
      eta.logged(event.cell.label, event.progress.step);
      // A log gets a status line every 10 s, a terminal one that keeps replacing itself.
      const now = performance.now();
      if (stderr.interactive || now - lastStatus > 10_000) {
        lastStatus = now;
        stderr.status(status());
      }
    } else if (event.type === "report") {
      stderr.line(`gantry: could not rewrite the live report: ${event.error.message}`);
    } else {
      running.delete(event.cell.label);
      eta.finished(event.cell.label);
      finished++;
      const { status, seconds, metrics, error } = event.result;
      stderr.line(
        `[${finished}/${total}] ${event.cell.label}: ${status} in ${seconds}s ` +
          formatMetrics(metrics) + (error ? ` (${explainRefusal(error)})` : "") +
          ` - ETA ${formatDuration(eta.seconds())}`,
      );
    }
  };
}

/** Refuses an override of a path that a grid axis sets (or one inside it, or above it). */
function refuseAxisOverrides(paths: string[], axes: string[]): void {
  const within = (inner: string, outer: string) => inner === outer || inner.startsWith(`${outer}.`);
  for (const path of paths) {
    const axis = axes.find((a) => within(path, a) || within(a, path));
    if (axis) {
      throw new UsageError(
        `Cannot override ${path}: the grid's axis ${JSON.stringify(axis)} sets it in every ` +
          "cell; change the axis in the grid file instead",
      );
    }
  }
}
