/**
 * What evaluating or sampling a saved run shares: finding the plugins it was trained with.
 *
 * @module
 */
import { registryWith } from "../../builtins.ts";
import { loadPluginModules, pluginModuleUrl } from "../contract/load_plugins.ts";
import type { Registry } from "../contract/registry.ts";

/** Where a saved run's plugins come from. */
export interface SavedRunPlugins {
  /**
   * Where plugins are found by name. Default: a registry of the built-in plugins and the
   * modules of `plugins`.
   */
  registry?: Registry;
  /**
   * Plugin modules to load (paths from the current directory, or URLs). Default: the run's own
   * `config.plugins` when no `registry` is given (they were named relative to the config file
   * it was trained from, so they are found only from that file's directory), else none.
   */
  plugins?: string[];
}

/**
 * The registry a saved run's plugins are found in. Importing a module also registers its tfjs
 * layers, which a saved generator may use. When the run's own plugin modules cannot be loaded,
 * the error says to name them.
 */
export async function savedRunRegistry(
  runDir: string,
  runPlugins: string[],
  { registry, plugins }: SavedRunPlugins,
): Promise<Registry> {
  const urls = (plugins ?? (registry ? [] : runPlugins)).map((p) => pluginModuleUrl(p));
  if (registry) {
    await loadPluginModules(urls, registry);
    return registry;
  }
  return await registryWith(urls).catch((error) => {
    if (plugins) throw error;
    throw new Error(
      `${error.message}\n${runDir} was trained with plugins ${JSON.stringify(runPlugins)}, ` +
        "named relative to its config file: give their modules with --plugin (option plugins)",
    );
  });
}
