/**
 * A grid's output directory, OUT/. This module alone knows its layout; the runner and the
 * report ask it.
 *
 * | file                 | what                                                      |
 * | -------------------- | --------------------------------------------------------- |
 * | `grid.json`          | the grid last run here, with its cells' ids and labels    |
 * | `results.jsonl`      | one line per finished cell (its format: `results.ts`)     |
 * | `cells/<id>/`        | each cell's run directory                                 |
 * | `tensorboard/<label>/` | a cell's TensorBoard event file (with `log.tensorboard`) |
 * | `claims/<id>.lock`   | locked (an OS file lock) by the runner training that cell |
 * | `claims/report.lock` | locked by the runner writing the summary and the report   |
 * | `summary.csv`        | the summary, one row per combination of axis values       |
 * | `summary.md`         | the same as a Markdown table                              |
 * | `report.html`        | the self-contained report                                 |
 *
 * @module
 */
import { join } from "node:path";
import { writeJsonAtomic } from "../store/atomic.ts";
import type { Cell, Grid } from "../config/grid.ts";

/** The paths of a grid directory's files. */
export function gridFiles(outDir: string) {
  return {
    results: join(outDir, "results.jsonl"),
    summaryCsv: join(outDir, "summary.csv"),
    summaryMarkdown: join(outDir, "summary.md"),
    report: join(outDir, "report.html"),
    reportLock: join(outDir, "claims", "report.lock"),
  };
}

/** The lock file a runner holds while it trains a cell. */
export function cellClaim(outDir: string, cellId: string): string {
  return join(outDir, "claims", `${cellId}.lock`);
}

/** The run directory of a cell. */
export function cellDir(outDir: string, cellId: string): string {
  return join(outDir, "cells", cellId);
}

/**
 * Where a cell's TensorBoard event file goes: OUT/tensorboard/<label>/, so that `tensorboard
 * --logdir OUT/tensorboard` names each run by its label. A character a file name should not hold
 * becomes "_"; a label too long for a file name is cut, and its cell's id added.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { cellTensorBoardDir } from "./grid_directory.ts";
 *
 * const dir = cellTensorBoardDir("out", { id: "00ff", label: "plugins=./a/b.ts,seed=1" });
 * assert.equal(dir, "out/tensorboard/plugins=._a_b.ts,seed=1");
 * ```
 */
export function cellTensorBoardDir(outDir: string, cell: { id: string; label: string }): string {
  const name = cell.label.replace(/[^\w=,.;:()+-]/g, "_");
  return join(outDir, "tensorboard", name.length > 200 ? `${name.slice(0, 180)}-${cell.id}` : name);
}

/** What grid.json says of the grid last run in a directory. */
export interface GridRecord {
  name: string;
  cells: {
    index: number;
    id: string;
    label: string;
    /** The cell's axis values and seed (absent from grid.json written by older versions). */
    overrides?: Record<string, unknown>;
    seed?: number;
  }[];
}

/**
 * Creates OUT/, OUT/cells/ and OUT/claims/ and records the grid about to run there in
 * grid.json.
 */
export async function writeGridRecord(outDir: string, grid: Grid, cells: Cell[]): Promise<void> {
  await Deno.mkdir(join(outDir, "cells"), { recursive: true });
  await Deno.mkdir(join(outDir, "claims"), { recursive: true });
  await writeJsonAtomic(join(outDir, "grid.json"), {
    ...grid,
    cells: cells.map(({ index, id, label, overrides, seed }) => ({
      index,
      id,
      label,
      overrides,
      seed,
    })),
  });
}

/** The grid last run in `outDir`, or undefined when it has no grid.json. */
export async function readGridRecord(outDir: string): Promise<GridRecord | undefined> {
  const path = join(outDir, "grid.json");
  try {
    return JSON.parse(await Deno.readTextFile(path));
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw new Error(`Cannot read ${path}: ${(error as Error).message}`);
  }
}
