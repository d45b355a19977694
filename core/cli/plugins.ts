/**
 * `deno task plugins`: lists what a config can name.
 *
 * @module
 */
import { registryWith } from "../../builtins.ts";
import { pluginModuleUrl } from "../contract/load_plugins.ts";
import { PLUGIN_KINDS } from "../contract/plugin.ts";
import { command } from "./flags.ts";

const HELP = `Usage: deno task plugins [--plugin P]...

Lists every registered plugin by kind with its description, including those of the given
plugin modules.`;

/** `deno task plugins [--plugin P]...`; resolves to the exit code. */
export const pluginsCommand = command({
  help: HELP,
  flags: { strings: ["plugin"] },
  run: async (values) => {
    const registry = await registryWith(values.plugin.map((p) => pluginModuleUrl(p)));
    const width = Math.max(...registry.list().map((p) => p.name.length));
    for (const kind of PLUGIN_KINDS) {
      const plugins = registry.list(kind);
      if (!plugins.length) continue;
      console.log(kind);
      for (const p of plugins) console.log(`  ${p.name.padEnd(width)}  ${p.description}`);
    }
    return 0;
  },
});
