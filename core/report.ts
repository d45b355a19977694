/**
 * Merges the results of one or more grid directories (shards, reruns) into summary.csv,
 * summary.md and report.html. A cell present in several inputs counts once.
 *
 * @module
 */
import { join } from "node:path";
import { writeFileAtomic } from "./atomic.ts";
import { renderReport, type ReportCell } from "./report_html.ts";
import {
  groupOf,
  readResults,
  type ResultLine,
  summarize,
  type Summary,
  summaryCsv,
  summaryMarkdown,
  summaryTable,
} from "./results.ts";

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

async function readLines(path: string): Promise<Record<string, number>[]> {
  try {
    const text = await Deno.readTextFile(path);
    return text.split("\n").filter((line) => line.trim()).map((line) => JSON.parse(line));
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    throw error;
  }
}

/** The newest sample image of a run, if it wrote one. */
async function lastSample(runDir: string): Promise<Uint8Array | undefined> {
  const names: string[] = [];
  try {
    for await (const entry of Deno.readDir(join(runDir, "samples"))) {
      if (/^step-\d+\.png$/.test(entry.name)) names.push(entry.name);
    }
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
  const newest = names.sort().at(-1);
  return newest ? await Deno.readFile(join(runDir, "samples", newest)) : undefined;
}

/** What a grid directory's grid.json says of the grid last run there, if it has one. */
interface GridRecord {
  name: string;
  cells: { id: string }[];
}

async function readGridRecord(dir: string): Promise<GridRecord | undefined> {
  try {
    return JSON.parse(await Deno.readTextFile(join(dir, "grid.json")));
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw new Error(`Cannot read ${join(dir, "grid.json")}: ${(error as Error).message}`);
  }
}

/**
 * Reads every input's results.jsonl and writes the summary and report into `outDir`. Only the
 * cells of the grid last run in an input (its grid.json) count: results of an earlier version
 * of the grid (other steps, say) stay in results.jsonl but are not pooled with the new ones.
 */
export async function writeReport(inputs: string[], outDir: string): Promise<ReportFiles> {
  const seen = new Map<string, { line: ResultLine; dir: string }>();
  let name: string | undefined;
  let leftOut = 0;
  for (const dir of inputs) {
    const grid = await readGridRecord(dir);
    name ??= grid?.name;
    const current = grid && new Set(grid.cells.map((cell) => cell.id));
    for (const line of await readResults(join(dir, "results.jsonl"))) {
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
      .filter(({ line }) => groupOf(line.label) === row.group)
      .sort((a, b) => a.line.index - b.line.index);
    const runs = await Promise.all(members.map(async ({ line, dir }) => ({
      seed: line.seed,
      status: line.status,
      rows: await readLines(join(dir, "cells", line.cellId, "metrics.jsonl")),
    })));
    const first = members.find(({ line }) => line.status === "ok") ?? members[0];
    const samplePng = await lastSample(join(first.dir, "cells", first.line.cellId));
    return { label: row.group || "(base)", runs, ...(samplePng ? { samplePng } : {}) };
  }));
  await Deno.mkdir(outDir, { recursive: true });
  const markdown = summaryMarkdown(summary);
  const files = {
    csvPath: join(outDir, "summary.csv"),
    markdownPath: join(outDir, "summary.md"),
    htmlPath: join(outDir, "report.html"),
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
