/**
 * Merges the results of one or more grid directories (shards, reruns) into summary.csv,
 * summary.md and report.html. A cell present in several inputs counts once.
 *
 * @module
 */
import { writeFileAtomic } from "../store/atomic.ts";
import { readMetricsRows, readSamplePngs, readTrainRows } from "../store/run_directory.ts";
import type { TrainRow } from "../store/run_records.ts";
import { cellDir, gridFiles, type GridRecord, readGridRecord } from "./grid_directory.ts";
import { renderReport, type ReportCell } from "./report_html.ts";
import { readResults, type ResultLine } from "./results.ts";
import {
  combinationLabel,
  groupKey,
  summarize,
  type Summary,
  summaryChart,
  summaryCsv,
  summaryMarkdown,
  summaryTable,
} from "./summary.ts";

/** Options of {@linkcode writeReport}. */
export interface ReportOptions {
  /** Curves are also drawn as a trailing moving average over this many logged steps. */
  smoothing?: number;
}

/** The files {@linkcode writeReport} wrote and the summary. */
export interface ReportFiles {
  summary: Summary;
  markdown: string;
  /** Results of cells that are not in their directory's current grid, left out. */
  leftOut: number;
  csvPath: string;
  markdownPath: string;
  htmlPath: string;
}

/**
 * Reads every input's results.jsonl and writes summary.csv, summary.md and report.html into
 * `outDir`. Only the cells of the grid last run in an input (its grid.json) count: results of
 * an earlier version of the grid (other steps, say) stay in results.jsonl but are not pooled
 * with the new ones. Cells of the grid that have not finished are in the report, marked, with
 * the curves and samples they have so far; the summary pools finished cells only.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { builtinRegistry } from "../../builtins.ts";
 * import { expandGrid, parseGrid } from "../config/grid.ts";
 * import { writeReport } from "./report.ts";
 * import { runGrid } from "./run_grid.ts";
 *
 * const grid = parseGrid({
 *   name: "doc",
 *   base: { dataset: "ring-8", backend: "cpu", train: { steps: 2, batchSize: 8 } },
 *   axes: { loss: ["minimax"] },
 * });
 * const out = await Deno.makeTempDir();
 * await runGrid(grid, await expandGrid(grid, builtinRegistry()), { outDir: out });
 * const files = await writeReport([out], out);
 * assert.match(files.markdown, /\| minimax \|/);
 * ```
 */
export async function writeReport(
  inputs: string[],
  outDir: string,
  options: ReportOptions = {},
): Promise<ReportFiles> {
  const finished = new Map<string, { line: ResultLine; dir: string }>();
  const planned = new Map<string, { cell: PlannedCell; dirs: string[] }>();
  let name: string | undefined;
  let leftOut = 0;
  for (const dir of inputs) {
    const grid = await readGridRecord(dir);
    name ??= grid?.name;
    for (const cell of grid?.cells ?? []) {
      const entry = planned.get(cell.id) ?? { cell, dirs: [] };
      planned.set(cell.id, { ...entry, dirs: [...entry.dirs, dir] });
    }
    const current = grid && new Set(grid.cells.map((cell) => cell.id));
    for (const line of await readResults(gridFiles(dir).results)) {
      if (current && !current.has(line.cellId)) leftOut++;
      else if (!finished.has(line.cellId)) finished.set(line.cellId, { line, dir });
    }
  }
  if (!finished.size && !planned.size) {
    throw new Error(`Cannot report on ${inputs.join(", ")}: no results.jsonl with results found`);
  }
  const summary = summarize([...finished.values()].map((entry) => entry.line));
  const cells = await reportCells(finished, planned);
  await Deno.mkdir(outDir, { recursive: true });
  const markdown = summaryMarkdown(summary);
  const paths = gridFiles(outDir);
  const files = {
    csvPath: paths.summaryCsv,
    markdownPath: paths.summaryMarkdown,
    htmlPath: paths.report,
  };
  await writeFileAtomic(files.csvPath, summaryCsv(summary));
  await writeFileAtomic(files.markdownPath, markdown);
  const html = await renderReport({
    title: name ?? "ablation",
    summary: summaryTable(summary),
    chart: summaryChart(summary),
    cells,
    ...(planned.size ? { progress: { finished: finished.size, total: planned.size } } : {}),
    smoothing: options.smoothing,
  });
  await writeFileAtomic(files.htmlPath, html);
  return { summary, markdown, leftOut, ...files };
}

/** A cell of a grid.json, to be shown before it has finished. */
type PlannedCell = GridRecord["cells"][number];

/**
 * The report's combinations in the grid's order, each with its seeds: finished cells with their
 * result's status, unfinished ones (of a grid.json that names their axis values) as "unfinished"
 * while they have logged steps and "pending" before.
 */
async function reportCells(
  finished: Map<string, { line: ResultLine; dir: string }>,
  planned: Map<string, { cell: PlannedCell; dirs: string[] }>,
): Promise<ReportCell[]> {
  const members: {
    index: number;
    label: string;
    overrides: Record<string, unknown>;
    seed: number;
    status: string;
    runDir: string;
    /** Its train.jsonl, when already read. */
    train?: TrainRow[];
  }[] = [...finished.values()].map(({ line, dir }) => ({
    ...line,
    runDir: cellDir(dir, line.cellId),
  }));
  for (const [id, { cell, dirs }] of planned) {
    if (finished.has(id) || !cell.overrides || cell.seed === undefined) continue;
    const runDirs = dirs.map((dir) => cellDir(dir, id));
    const logged = await Promise.all(runDirs.map(readTrainRows));
    const at = Math.max(logged.findIndex((rows) => rows.length > 0), 0);
    members.push({
      index: cell.index,
      label: cell.label,
      overrides: cell.overrides,
      seed: cell.seed,
      runDir: runDirs[at],
      status: logged[at].length ? "unfinished" : "pending",
      train: logged[at],
    });
  }
  members.sort((a, b) => a.index - b.index);
  const combinations = Map.groupBy(members, (member) => groupKey(member));
  return await Promise.all([...combinations.values()].map(async (seeds) => ({
    label: combinationLabel(seeds[0].label) || "(base)",
    runs: await Promise.all(seeds.map(async ({ seed, status, runDir, train }) => ({
      seed,
      status,
      train: train ?? await readTrainRows(runDir),
      metrics: await readMetricsRows(runDir),
      samples: await readSamplePngs(runDir),
    }))),
  })));
}
