/**
 * A Deno worker that trains grid cells, each with this worker's own tfjs. The runner posts a
 * {@linkcode CellJob}; the worker answers with progress and the result.
 *
 * @module
 */
/// <reference lib="deno.worker" />
import { registryWith } from "../../builtins.ts";
import type { Registry } from "../contract/registry.ts";
import { resolveExperiment } from "../config/experiment.ts";
import { trainExperiment } from "../train/train.ts";
import type { CellJob, WorkerMessage } from "./run_grid.ts";

let registry: Registry | undefined;

self.onmessage = async ({ data: job }: MessageEvent<CellJob>) => {
  const post = (message: WorkerMessage) => self.postMessage(message);
  try {
    // Kept only once every module loaded: a failed load is tried again for the next cell.
    registry ??= await registryWith(job.pluginUrls);
    // The runner parsed and validated the cell; this worker looks its plugins up in its own
    // registry (plugins cannot cross into a worker).
    const experiment = resolveExperiment(job.config, registry, job.label);
    const result = await trainExperiment(experiment, {
      registry,
      outDir: job.outDir,
      tensorboardDir: job.tensorboardDir,
      source: job.label,
      resume: true,
      onUnreadableCheckpoint: (error) =>
        console.error(`gantry: cell ${job.label}: ${error.message}; starting the cell afresh`),
      onProgress: (progress) => post({ type: "progress", progress }),
    });
    post({ type: "done", result });
  } catch (error) {
    post({ type: "error", message: error instanceof Error ? error.message : String(error) });
  }
};
