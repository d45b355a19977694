/**
 * Helpers shared by gantry's commands.
 *
 * @module
 */
import type { BackendName } from "./backend.ts";
import { builtinRegistry } from "./builtins.ts";
import type { Progress } from "./engine.ts";
import { loadPluginModules, pluginModuleUrl } from "./load_plugins.ts";
import type { Registry } from "./registry.ts";

/** Thrown for bad command-line arguments; the CLI prints it and exits with code 1. */
export class UsageError extends Error {}

export function integerFlag(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) {
    throw new UsageError(`Invalid --${name} ${JSON.stringify(value)}: expected a whole number`);
  }
  return Number(value);
}

/** Checks a --backend flag's value. */
export function backendFlag(value: string): BackendName {
  if (!(BACKEND_CHOICES as readonly string[]).includes(value)) {
    throw new UsageError(
      `Invalid --backend ${JSON.stringify(value)}: expected auto, webgpu, wasm or cpu`,
    );
  }
  return value as BackendName;
}

const BACKEND_CHOICES: readonly BackendName[] = ["auto", "webgpu", "wasm", "cpu"];

export async function registryWith(pluginUrls: string[]): Promise<Registry> {
  const registry = builtinRegistry();
  await loadPluginModules(pluginUrls, registry);
  return registry;
}

/**
 * The plugins a saved run needs: the modules given with --plugin, else the run's own
 * `config.plugins` looked up from the current directory. Those were named relative to the
 * config file it was trained from, so when they are not found the error says to use --plugin.
 */
export async function registryForRun(
  runDir: string,
  runPlugins: string[],
  given: string[],
): Promise<Registry> {
  if (given.length) return await registryWith(given.map((p) => pluginModuleUrl(p)));
  return await registryWith(runPlugins.map((p) => pluginModuleUrl(p))).catch((error) => {
    throw new UsageError(
      `${error.message}\n${runDir} was trained with plugins ${JSON.stringify(runPlugins)}, ` +
        "named relative to its config file: give their modules with --plugin",
    );
  });
}

export function formatProgress(p: Progress): string {
  const eta = formatDuration(p.etaSeconds);
  const width = String(p.steps).length;
  return `step ${String(p.step).padStart(width)}/${p.steps}  dLoss ${p.dLoss.toFixed(4)}  ` +
    `gLoss ${p.gLoss.toFixed(4)}  D(x) ${p.dReal.toFixed(3)}  D(G(z)) ${p.dFake.toFixed(3)}  ` +
    `${p.stepsPerSecond.toFixed(1)} steps/s  ETA ${eta}`;
}

/**
 * m:ss, or "?" while unknown.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatDuration } from "./cli_util.ts";
 * assert.equal(formatDuration(119.7), "2:00");
 * assert.equal(formatDuration(Infinity), "?");
 * ```
 */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return "?";
  const whole = Math.round(seconds);
  return `${Math.floor(whole / 60)}:${String(whole % 60).padStart(2, "0")}`;
}
