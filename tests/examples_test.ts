import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import { parseConfig } from "../core/config/schema.ts";
import { resolveExperiment } from "../core/config/experiment.ts";
import { expandGrid, parseGrid } from "../core/config/grid.ts";
import { registryWith } from "../builtins.ts";
import { loadConfigFile } from "../core/config/load_file.ts";
import { pluginModuleUrl } from "../core/contract/load_plugins.ts";

const examples = new URL("../examples/", import.meta.url).pathname;
const files = (dir: string, pattern: RegExp) =>
  [...Deno.readDirSync(dir)].filter((e) => e.isFile && pattern.test(e.name)).map((e) =>
    join(dir, e.name)
  ).sort();

Deno.test("every example config and grid is valid, its plugins resolved", async () => {
  const configs = files(examples, /\.json$/);
  const grids = files(join(examples, "grids"), /\.(json|ts)$/);
  assert.ok(configs.length >= 8 && grids.length >= 4, `${configs.length} / ${grids.length}`);
  for (const path of configs) {
    const config = parseConfig(await loadConfigFile(path), path);
    const registry = await registryWith(
      config.plugins.map((p) => pluginModuleUrl(p, dirname(path))),
    );
    resolveExperiment(config, registry, path);
  }
  for (const path of grids) {
    const grid = parseGrid(await loadConfigFile(path, "grid"), path);
    const plugins = (grid.base.plugins ?? []) as string[];
    const registry = await registryWith(plugins.map((p) => pluginModuleUrl(p, dirname(path))));
    assert.ok((await expandGrid(grid, registry, path)).length > 0, path);
  }
});
