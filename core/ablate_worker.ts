/**
 * A Deno worker that trains grid cells, each with this worker's own tfjs. The runner posts
 * `{ cell, outDir, pluginUrls }`; the worker answers with progress and the result.
 *
 * @module
 */
/// <reference lib="deno.worker" />
import { builtinRegistry } from "./builtins.ts";
import { train } from "./engine.ts";
import { loadPluginModules } from "./load_plugins.ts";
import type { Registry } from "./registry.ts";
import type { CellJob, WorkerMessage } from "./ablate.ts";

let registry: Registry | undefined;

self.onmessage = async ({ data: job }: MessageEvent<CellJob>) => {
  const post = (message: WorkerMessage) => self.postMessage(message);
  try {
    if (!registry) {
      // Kept only once every module loaded: a failed load is tried again for the next cell.
      const loaded = builtinRegistry();
      await loadPluginModules(job.pluginUrls, loaded);
      registry = loaded;
    }
    const result = await train(job.config, {
      registry,
      outDir: job.outDir,
      source: job.label,
      resume: true,
      onProgress: (progress) => post({ type: "progress", progress }),
    });
    post({ type: "done", result });
  } catch (error) {
    post({ type: "error", message: error instanceof Error ? error.message : String(error) });
  }
};
