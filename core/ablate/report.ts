/**
 * Merges the results of one or more grid directories (shards, reruns) into summary.csv,
 * summary.md and report.html. A cell present in several inputs counts once.
 *
 * @module
 */
import { writeFileAtomic } from "../store/atomic.ts";
import { lastSamplePng, readMetricsRows } from "../store/run_directory.ts";
import { cellDir, gridFiles, readGridRecord } from "./grid_directory.ts";
import { renderReport, type ReportCell } from "./report_html.ts";
import { readResults, type ResultLine } from "./results.ts";
import {
  groupKey,
  summarize,
  type Summary,
  summaryCsv,
  summaryMarkdown,
  summaryTable,
} from "./summary.ts";

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
 * with the new ones.
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
export async function writeReport(inputs: string[], outDir: string): Promise<ReportFiles> {
  const seen = new Map<string, { line: ResultLine; dir: string }>();
  let name: string | undefined;
  let leftOut = 0;
  for (const dir of inputs) {
    const grid = await readGridRecord(dir);
    name ??= grid?.name;
    const current = grid && new Set(grid.cells.map((cell) => cell.id));
    for (const line of await readResults(gridFiles(dir).results)) {
      if (current && !current.has(line.cellId)) leftOut++;
      else if (!seen.has(line.cellId)) seen.set(line.cellId, { line, dir });
    }
  }
  if (!seen.size) {
    throw new Error(`Cannot report on ${inputs.join(", ")}: no results.jsonl with results found`);
  }
  const results = [...seen.values()].map((entry) => entry.line);
  const summary = summarize(results);
  const cells: ReportCell[] = await Promise.all(summary.rows.map(async (row) => {
    const members = [...seen.values()]
      .filter(({ line }) => groupKey(line) === row.key)
      .sort((a, b) => a.line.index - b.line.index);
    const runs = await Promise.all(members.map(async ({ line, dir }) => ({
      seed: line.seed,
      status: line.status,
      rows: await readMetricsRows(cellDir(dir, line.cellId)),
    })));
    const first = members.find(({ line }) => line.status === "ok") ?? members[0];
    const samplePng = await lastSamplePng(cellDir(first.dir, first.line.cellId));
    return { label: row.label || "(base)", runs, ...(samplePng ? { samplePng } : {}) };
  }));
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
    cells,
  });
  await writeFileAtomic(files.htmlPath, html);
  return { summary, markdown, leftOut, ...files };
}
