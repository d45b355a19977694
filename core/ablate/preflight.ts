/**
 * A grid's check before its first step: every cell's run is built (its dataset, networks and
 * plugins created, then freed), as `train` builds its run before writing anything, so a cell
 * that could never train refuses the grid instead of failing in the middle of it.
 *
 * @module
 */
import { useBackend } from "../backend/select.ts";
import { ConfigError, PluginError } from "../contract/errors.ts";
import type { Registry } from "../contract/registry.ts";
import type { Cell } from "../config/grid.ts";
import { resolveExperiment } from "../config/experiment.ts";
import { buildRun } from "../train/build.ts";

/**
 * Builds each cell's run on tfjs's cpu backend and frees it; the first that cannot be built
 * rejects with a ConfigError naming the grid file, the cell and the field or plugin.
 * `onCell` is called before each build (for progress).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { builtinRegistry } from "../../builtins.ts";
 * import { expandGrid, parseGrid } from "../config/grid.ts";
 * import { buildCells } from "./preflight.ts";
 *
 * const grid = parseGrid({
 *   name: "g",
 *   base: { dataset: "ring-8", architecture: { name: "mlp", options: { hidden: [8] } } },
 *   axes: { "loss.generator": ["non-saturating", { name: "feature-matching", options: { layer: 5 } }] },
 * });
 * const registry = builtinRegistry();
 * await assert.rejects(
 *   async () => buildCells(await expandGrid(grid, registry, "g.json"), registry, "g.json"),
 *   /cell generator=feature-matching\(layer:5\),seed=1:\n {2}- loss.generator\[0\]: .*out of range/,
 * );
 * ```
 */
export async function buildCells(
  cells: Cell[],
  registry: Registry,
  source: string,
  onCell?: (cell: Cell, index: number) => void,
): Promise<void> {
  if (!cells.length) return;
  await useBackend("cpu");
  for (const [index, cell] of cells.entries()) {
    onCell?.(cell, index);
    const where = `${source}, cell ${cell.label}`;
    try {
      const run = await buildRun(resolveExperiment(cell.config, registry, where), where);
      run.dispose();
    } catch (error) {
      if (error instanceof ConfigError) throw error;
      const message = (error as Error).message ?? String(error);
      const path = error instanceof PluginError ? error.path ?? "" : "";
      throw new ConfigError(where, [{ path, message }]);
    }
  }
}
