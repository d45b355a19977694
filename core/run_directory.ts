/**
 * The run directory contract: config.json, metrics.jsonl, result.json and samples/, every
 * file written atomically.
 *
 * @module
 */
import { join } from "node:path";
import type { tf } from "../deps.ts";
import { writeFileAtomic, writeJsonAtomic } from "./atomic.ts";
import { readCheckpointState } from "./checkpoint.ts";
import { histogramPng, imageGridPng, scatterPng } from "./png.ts";
import type { Dataset, DatasetInfo } from "./plugin.ts";
import type { Rng } from "./rng.ts";

/** How many points a scatter or histogram of low-dimensional samples shows. */
const PLOT_POINTS = 1000;

/** A run's output directory. */
export class RunDirectory {
  readonly path: string;
  #metricLines: string[] = [];

  private constructor(path: string) {
    this.path = path;
  }

  /**
   * Creates the directory (and samples/). metrics.jsonl is started afresh, or, when resuming
   * from step `resumeStep`, keeps its rows up to that step.
   */
  static async create(path: string, resumeStep = 0): Promise<RunDirectory> {
    await Deno.mkdir(join(path, "samples"), { recursive: true });
    const directory = new RunDirectory(path);
    if (resumeStep > 0) {
      const text = await Deno.readTextFile(join(path, "metrics.jsonl")).catch(() => "");
      directory.#metricLines = text.split("\n").filter((line) =>
        line.trim() && JSON.parse(line).step <= resumeStep
      );
    }
    return directory;
  }

  /**
   * What of an earlier run `path` holds (its checkpoint, result.json, metrics.jsonl), in words,
   * or undefined when it holds none of them.
   */
  static async previousRun(path: string): Promise<string | undefined> {
    const has = (name: string) => Deno.stat(join(path, name)).then(() => true, () => false);
    const state = await readCheckpointState(path);
    if (state) return `a run checkpointed at step ${state.step}`;
    for (const name of ["result.json", "metrics.jsonl"]) {
      if (await has(name)) return `an earlier run's ${name}`;
    }
    return undefined;
  }

  /**
   * Removes an earlier run's outputs from `path` (checkpoints, results, metrics, labeled.json,
   * eval-*.json, sample images), leaving anything else there alone.
   */
  static async clearPreviousRun(path: string): Promise<void> {
    const outputs =
      /^(checkpoint(\.old|\.tmp-.*)?|result\.json|metrics\.jsonl|labeled\.json|eval-.*\.json)$/;
    for await (const entry of Deno.readDir(path)) {
      if (outputs.test(entry.name)) await Deno.remove(join(path, entry.name), { recursive: true });
    }
    const samples = join(path, "samples");
    await Deno.mkdir(samples, { recursive: true });
    for await (const entry of Deno.readDir(samples)) {
      if (/^step-\d+\.png$/.test(entry.name)) await Deno.remove(join(samples, entry.name));
    }
  }

  /** The last row of metrics.jsonl, if any (a resumed run's latest evaluation). */
  lastMetricsRow(): Record<string, number> | undefined {
    const last = this.#metricLines.at(-1);
    return last ? JSON.parse(last) : undefined;
  }

  /** Writes config.json. */
  writeConfig(config: unknown): Promise<void> {
    return writeJsonAtomic(join(this.path, "config.json"), config);
  }

  /** Writes result.json. */
  writeResult(result: unknown): Promise<void> {
    return writeJsonAtomic(join(this.path, "result.json"), result);
  }

  /** Adds one row to metrics.jsonl (rewriting it atomically: it is small). */
  appendMetrics(row: Record<string, number>): Promise<void> {
    this.#metricLines.push(JSON.stringify(row));
    return writeFileAtomic(join(this.path, "metrics.jsonl"), this.#metricLines.join("\n") + "\n");
  }

  /**
   * Writes samples/step-NNNNNN.png: an image grid for image data, a scatter over the data for
   * 2-D points, overlaid histograms for 1-D points.
   */
  async writeSamples(
    step: number,
    dataset: Dataset,
    generate: (n: number) => tf.Tensor,
    rng: Rng,
    imageCount = 64,
  ): Promise<string> {
    const { info } = dataset;
    const n = info.kind === "image" ? imageCount : PLOT_POINTS;
    const read = async (t: tf.Tensor) => {
      const values = await t.data() as Float32Array;
      t.dispose();
      return values;
    };
    const samples = await read(generate(n));
    let data: Float32Array = new Float32Array();
    if (info.kind !== "image") {
      const batch = dataset.sample(rng, n);
      data = await read(batch.x);
      batch.labels?.dispose();
    }
    const png = samplesPng(info, samples, data);
    const path = join(this.path, "samples", `step-${String(step).padStart(6, "0")}.png`);
    await writeFileAtomic(path, png);
    return path;
  }
}

/**
 * A picture of samples: an image grid for image data; for points, a scatter of the first two
 * coordinates over `data`, or overlaid histograms for 1-D data.
 */
export function samplesPng(
  info: DatasetInfo,
  samples: Float32Array,
  data: Float32Array,
): Uint8Array {
  if (info.kind === "image") {
    const [height, width, channels] = info.shape;
    return imageGridPng(samples, {
      height,
      width,
      channels: channels === 3 ? 3 : 1,
      range: info.range,
      // MNIST-sized digits are easier to judge at twice their size.
      scale: height <= 32 ? 2 : 1,
    });
  }
  const dim = info.shape[0];
  return dim === 1
    ? histogramPng(samples, data)
    : scatterPng(firstTwo(samples, dim), firstTwo(data, dim));
}

/** The first two coordinates of each point, interleaved. */
function firstTwo(points: Float32Array, dim: number): Float32Array {
  if (dim === 2) return points;
  const out = new Float32Array((points.length / dim) * 2);
  for (let i = 0; i < out.length / 2; i++) {
    out[2 * i] = points[i * dim];
    out[2 * i + 1] = points[i * dim + 1];
  }
  return out;
}
