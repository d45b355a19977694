/**
 * Sampling a saved run: draw from the generator in its checkpoint and write the picture.
 *
 * @module
 */
import { tf } from "../../deps.ts";
import { createRng } from "../contract/rng.ts";
import { type BackendName, useBackend } from "../backend/select.ts";
import { writeFileAtomic } from "../store/atomic.ts";
import {
  loadGenerator,
  readCheckpointState,
  readRunConfig,
  runPaths,
} from "../store/run_directory.ts";
import { samplesPng } from "../store/sample_plot.ts";
import { classInput, classRows, latent } from "../train/sample.ts";
import { type SavedRunPlugins, savedRunRegistry } from "./saved_run.ts";

/** Options of {@linkcode sampleRun}. */
export interface SampleRunOptions extends SavedRunPlugins {
  /** How many samples. Default 64. */
  n?: number;
  /** Seeds the latent vectors. Default 1. */
  seed?: number;
  /** The PNG to write. Default: RUN/samples/drawn.png. */
  out?: string;
  /** The backend to sample on. Default "auto". */
  backend?: BackendName;
}

/**
 * Draws `n` samples from a saved run's generator and writes them as a PNG: an image grid for
 * images (for a conditional G, a row per class, n rounded up to fill the rows), a scatter or
 * histogram for points. Returns where, how many, and the checkpoint's step.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { join } from "node:path";
 * import { builtinRegistry } from "../../builtins.ts";
 * import { train } from "../train/train.ts";
 * import { sampleRun } from "./sample_run.ts";
 *
 * const outDir = await Deno.makeTempDir();
 * const config = { dataset: "ring-8", backend: "cpu" as const, train: { steps: 3, batchSize: 8 } };
 * await train(config, { registry: builtinRegistry(), outDir });
 * const drawn = await sampleRun(outDir, { n: 100, backend: "cpu", out: join(outDir, "a.png") });
 * assert.equal(drawn.step, 3);
 * assert.ok((await Deno.stat(drawn.path)).size > 0);
 * ```
 */
export async function sampleRun(
  runDir: string,
  options: SampleRunOptions = {},
): Promise<{ path: string; step: number; n: number }> {
  const n = options.n ?? 64;
  if (!Number.isInteger(n) || n < 1) {
    throw new RangeError(`Cannot sample ${n} examples: expected a whole number, at least 1`);
  }
  const state = await readCheckpointState(runDir);
  if (!state) {
    throw new Error(
      `Cannot sample ${runDir}: it has no checkpoint/ (train it first, or check the path)`,
    );
  }
  await useBackend(options.backend ?? "auto");
  const saved = (await readRunConfig(runDir))?.config as { plugins?: string[] } | undefined;
  // Importing the plugin modules registers their layers, which the saved generator may use.
  await savedRunRegistry(runDir, saved?.plugins ?? [], options);
  const generator = await loadGenerator(runDir);
  // A conditional G takes the one-hot class as its second input: a row of samples per class.
  const classes = generator.inputs[1]?.shape[1];
  const rows = classes ? classRows(n, classes) : undefined;
  const count = rows?.labels.length ?? n;
  const z = latent(state, createRng(options.seed ?? 1), count);
  const inputs = rows
    ? [z, tf.tidy(() => classInput(tf.tensor1d(rows.labels, "int32"), classes!))]
    : [z];
  const out = generator.predict(inputs.length > 1 ? inputs : z) as tf.Tensor;
  const samples = await out.data() as Float32Array;
  tf.dispose([...inputs, out]);
  generator.dispose();
  const path = options.out ?? runPaths(runDir).drawn;
  await writeFileAtomic(
    path,
    samplesPng(state.dataset, samples, new Float32Array(), rows?.columns),
  );
  return { path, step: state.step, n: count };
}
