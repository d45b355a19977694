/**
 * The ablation runner: runs a grid's cells (or one shard of them) in Deno workers, appends each
 * finished cell to results.jsonl and rewrites the live report.html, and on a rerun skips what is
 * there and restarts what was interrupted. A runner claims a cell (an OS file lock) while it trains it, so runners sharing
 * a directory (a requeued job beside the old one, overlapping shards) train each cell once.
 *
 * @module
 */
import type { Cell, Grid } from "../config/grid.ts";
import { backendRequest, type ExperimentConfig } from "../config/schema.ts";
import type { RunResult } from "../store/run_records.ts";
import type { Progress } from "../train/loop.ts";
import { lockFile } from "../store/file_lock.ts";
import {
  cellClaim,
  cellDir,
  cellTensorBoardDir,
  gridFiles,
  writeGridRecord,
} from "./grid_directory.ts";
import { appendResult, readResults, type ResultLine } from "./results.ts";
import { type ReportOptions, writeReport } from "./report.ts";

/** What the runner sends a worker. */
export interface CellJob {
  label: string;
  config: ExperimentConfig;
  outDir: string;
  /** Where its TensorBoard event file goes, with `log.tensorboard`. */
  tensorboardDir: string;
  pluginUrls: string[];
}

/** What a worker sends back. */
export type WorkerMessage =
  | { type: "progress"; progress: Progress }
  | { type: "done"; result: RunResult }
  | { type: "error"; message: string };

/** A shard: the 0-based index and the count. */
export interface Shard {
  index: number;
  count: number;
}

/** What the runner reports while it works. */
export type AblateEvent =
  | { type: "plan"; total: number; skipped: number; pending: number }
  | { type: "start"; cell: Cell }
  | { type: "progress"; cell: Cell; progress: Progress }
  /**
   * Not trained here, for now: another runner holds its claim (it is waited for after the
   * other cells, and trained here should that runner die first), or finished it.
   */
  | { type: "skip"; cell: Cell; reason: "claimed" | "done" }
  | { type: "done"; cell: Cell; result: ResultLine }
  /** The live report could not be rewritten (the grid runs on). */
  | { type: "report"; error: Error };

/** Options of {@linkcode runGrid}. */
export interface AblateOptions {
  /** The grid's output directory: results.jsonl and cells/<cell id>/. */
  outDir: string;
  /** How many cells train at once, each in its own worker. Default 1. */
  workers?: number;
  /** Run only this deterministic slice of the cells. */
  shard?: Shard;
  /** Plugin modules every worker loads. */
  pluginUrls?: string[];
  /**
   * How OUT/report.html is drawn: it is written at the start and rewritten after every finished
   * cell (unless another runner sharing OUT is writing it that moment).
   */
  report?: ReportOptions;
  onEvent?(event: AblateEvent): void;
}

/** The cells of one shard: every `count`-th cell in declared order, from `index`. */
export function shardCells(cells: Cell[], shard?: Shard): Cell[] {
  return shard ? cells.filter((cell) => cell.index % shard.count === shard.index) : cells;
}

/**
 * Runs the cells of a grid that OUT/results.jsonl does not hold yet (or one shard of them), in
 * Deno workers, and returns every line it holds afterwards (other shards' included, when they
 * share the directory).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { builtinRegistry } from "../../builtins.ts";
 * import { expandGrid, parseGrid } from "../config/grid.ts";
 * import { runGrid } from "./run_grid.ts";
 *
 * const grid = parseGrid({
 *   name: "doc",
 *   base: { dataset: "ring-8", backend: "cpu", train: { steps: 3, batchSize: 8 } },
 *   axes: { loss: ["minimax", "non-saturating"] },
 * });
 * const cells = await expandGrid(grid, builtinRegistry());
 * const results = await runGrid(grid, cells, { outDir: await Deno.makeTempDir() });
 * assert.deepEqual(results.map((r) => r.status), ["ok", "ok"]);
 * ```
 */
export async function runGrid(
  grid: Grid,
  cells: Cell[],
  options: AblateOptions,
): Promise<ResultLine[]> {
  const resultsPath = gridFiles(options.outDir).results;
  await writeGridRecord(options.outDir, grid, cells);
  await writeLiveReport(options);
  const done = new Set((await readResults(resultsPath)).map((line) => line.cellId));
  const mine = shardCells(cells, options.shard);
  const pending = mine.filter((cell) => !done.has(cell.id));
  options.onEvent?.({
    type: "plan",
    total: mine.length,
    skipped: mine.length - pending.length,
    pending: pending.length,
  });
  // A cell another runner holds goes to the back, to be waited for once the rest are done: if
  // that runner dies before finishing it, this one trains it.
  const queue = pending.map((cell) => ({ cell, waited: false }));
  /** Runs one cell on `worker`; returns false when the worker died and must be replaced. */
  const runOne = async (worker: Worker, cell: Cell): Promise<boolean> => {
    // A directory without a results line is an interrupted run: it resumes from its checkpoint,
    // or starts afresh when it has none.
    options.onEvent?.({ type: "start", cell });
    let workerDied = false;
    const result = await new Promise<RunResult | string>((resolve) => {
      worker.onmessage = ({ data }: MessageEvent<WorkerMessage>) => {
        if (data.type === "progress") {
          options.onEvent?.({ type: "progress", cell, progress: data.progress });
        } else resolve(data.type === "done" ? data.result : data.message);
      };
      worker.onerror = (event) => {
        event.preventDefault();
        workerDied = true;
        resolve(`worker crashed: ${event.message}`);
      };
      const job: CellJob = {
        label: cell.label,
        config: cell.config,
        outDir: cellDir(options.outDir, cell.id),
        tensorboardDir: cellTensorBoardDir(options.outDir, cell),
        pluginUrls: options.pluginUrls ?? [],
      };
      worker.postMessage(job);
    });
    const line = resultLine(
      cell,
      typeof result === "string"
        ? {
          status: "failed",
          seconds: 0,
          backend: backendRequest(cell.config.backend).name,
          metrics: {},
          error: result,
        }
        : result,
    );
    await appendResult(resultsPath, line);
    options.onEvent?.({ type: "done", cell, result: line });
    await writeLiveReport(options);
    return !workerDied;
  };
  const lane = async () => {
    let worker = newWorker();
    try {
      for (let next = queue.shift(); next; next = queue.shift()) {
        const { cell, waited } = next;
        const path = cellClaim(options.outDir, cell.id);
        const claim = waited ? await lockFile(path, () => {}) : await lockFile(path);
        if (!claim) {
          options.onEvent?.({ type: "skip", cell, reason: "claimed" });
          queue.push({ cell, waited: true });
          continue;
        }
        try {
          const finished = (await readResults(resultsPath)).some((line) => line.cellId === cell.id);
          if (finished) options.onEvent?.({ type: "skip", cell, reason: "done" });
          else if (!(await runOne(worker, cell))) {
            worker.terminate();
            worker = newWorker();
          }
        } finally {
          await claim.release();
        }
      }
    } finally {
      worker.terminate();
    }
  };
  const lanes = Math.max(1, Math.min(options.workers ?? 1, pending.length));
  await Promise.all(Array.from({ length: lanes }, lane));
  return await readResults(resultsPath);
}

/** The results.jsonl line of a finished cell. */
function resultLine(
  cell: Cell,
  outcome: Pick<RunResult, "status" | "seconds" | "metrics" | "error"> & { backend: string },
): ResultLine {
  return {
    cellId: cell.id,
    label: cell.label,
    overrides: cell.overrides,
    seed: cell.seed,
    status: outcome.status,
    seconds: outcome.seconds,
    backend: outcome.backend,
    metrics: outcome.metrics,
    index: cell.index,
    ...(outcome.error ? { error: outcome.error } : {}),
  };
}

/** Rewrites OUT's report, unless another runner holds the report's lock. */
async function writeLiveReport(options: AblateOptions): Promise<void> {
  const lock = await lockFile(gridFiles(options.outDir).reportLock);
  if (!lock) return;
  try {
    await writeReport([options.outDir], options.outDir, options.report);
  } catch (error) {
    options.onEvent?.({ type: "report", error: error as Error });
  } finally {
    await lock.release();
  }
}

function newWorker(): Worker {
  return new Worker(new URL("./worker.ts", import.meta.url).href, { type: "module" });
}
