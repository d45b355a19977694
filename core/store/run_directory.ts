/**
 * The run directory, RUN/: config.json, train.jsonl (every logged step), metrics.jsonl (every
 * evaluation), events.out.tfevents.gantry (the same for TensorBoard, with `log.tensorboard`;
 * it may be kept elsewhere, see `RunRequest.tensorboardDir`), result.json, samples/ (a PNG per
 * evaluation, drawn.png from sampling), checkpoint/ (its format: `checkpoint.ts`), labeled.json
 * (semi-supervised mode) and eval-<dataset>.json (evaluations of the saved run). This module
 * alone knows these files' names and layout and the rules about an earlier run in the
 * directory; training, evaluation, sampling and reports ask it. Every file is written
 * atomically.
 *
 * @module
 */
import { dirname, join } from "node:path";
import type { tfl } from "../../deps.ts";
import { RunDirectoryError } from "../contract/errors.ts";
import type { Networks, PluginState } from "../contract/plugin.ts";
import { hashExperiment } from "../config/hash.ts";
import { trainsAlike } from "../config/resumable.ts";
import type { ExperimentConfig } from "../config/schema.ts";
import { writeFileAtomic, writeJsonAtomic } from "./atomic.ts";
import {
  type Checkpoint,
  type CheckpointRecord,
  type CheckpointState,
  loadCheckpoint,
  loadCheckpointGenerator,
  loadCheckpointState,
  removeCheckpoint,
  saveCheckpoint,
} from "./checkpoint.ts";
import type { Optimizers } from "./optimizer_state.ts";
import { CorruptFileError } from "./corrupt_file.ts";
import { fileVersionRecord } from "./tensorboard.ts";
import { metricsEvent, runEvents, sampleEvent, trainEvent } from "./run_events.ts";
import {
  type MetricsRow,
  parseRecord,
  recordJson,
  type RunResult,
  type TrainRow,
} from "./run_records.ts";

const CONFIG = "config.json";
const METRICS = "metrics.jsonl";
const TRAIN = "train.jsonl";
const RESULT = "result.json";
const LABELED = "labeled.json";
const SAMPLES = "samples";
const CHECKPOINT = "checkpoint";
const EVALUATION = /^eval-.*\.json$/;
const STEP_SAMPLE = /^step-\d+\.png$/;
/** TensorBoard reads every file whose name has "tfevents" in it. */
const TENSORBOARD = "events.out.tfevents.gantry";

/** What training asks of the directory it is to write into. */
export interface RunRequest {
  /** The resolved config to train. */
  config: ExperimentConfig;
  /** Its hash, as result.json and checkpoints record it. */
  configHash: string;
  /** Continue from the directory's checkpoint when it has one (else start afresh). */
  resume?: boolean;
  /** Start afresh over an earlier run, removing its outputs when the directory is opened. */
  overwrite?: boolean;
  /**
   * When given, a checkpoint that cannot be read to resume from is reported to it and the run
   * starts afresh (a grid's cells do this); without it, such a checkpoint is refused.
   */
  onUnreadableCheckpoint?(error: UnreadableCheckpointError): void;
  /**
   * Where the TensorBoard event file goes when `config.log.tensorboard` is set (default: the run
   * directory): a grid keeps its cells' in OUT/tensorboard/<label>/, so that TensorBoard names
   * them by their labels.
   */
  tensorboardDir?: string;
}

/** How a run will start in its directory, decided before anything is built or written. */
export interface RunPlan {
  readonly path: string;
  /** When the run resumes: the checkpoint's step, and the checkpoint (tensors the caller owns). */
  readonly resume?: { step: number; checkpoint: Checkpoint };
  /** Removes an earlier run's outputs if the run starts afresh over one; opens the directory. */
  open(): Promise<RunDirectory>;
}

/** A run's directory, open for writing. */
export class RunDirectory {
  readonly path: string;
  #metricLines: string[];
  /** The TensorBoard event file, when the run writes one. */
  #events?: string;
  /** The clock time of the last logged step, for the events of its evaluation. */
  #time = Date.now() / 1000;

  private constructor(path: string, metricLines: string[], events: string | undefined) {
    this.path = path;
    this.#metricLines = metricLines;
    this.#events = events;
  }

  /**
   * Decides how a run starts in `path`, reading only: it resumes from the checkpoint (when
   * `resume` and the checkpoint's config trains its steps as this config does), or starts
   * afresh. A directory holding an earlier run is refused unless `resume` or `overwrite` is
   * asked for, with a {@linkcode RunDirectoryError}, as is a checkpoint that cannot be resumed.
   */
  static async plan(path: string, request: RunRequest): Promise<RunPlan> {
    const found = request.resume ? await resumable(path, request) : undefined;
    const resume = found === "unreadable" ? undefined : found;
    if (resume) {
      const { state, checkpoint } = resume;
      return {
        path,
        resume: { step: state.step, checkpoint },
        open: () => RunDirectory.#open(path, state.step, request),
      };
    }
    const previous = await previousRun(path);
    if (previous && !request.resume && !request.overwrite) {
      throw new RunDirectoryError(
        path,
        `${path} holds ${previous}: resume it (--resume), start it again (--overwrite) or ` +
          "train into another directory (--out)",
      );
    }
    return {
      path,
      open: async () => {
        // An unreadable checkpoint is kept aside, not deleted: it may still be worth a look.
        if (found === "unreadable") await setAside(path);
        if (previous) await clearRun(path, eventsPath(path, request));
        return await RunDirectory.#open(path, 0, request);
      },
    };
  }

  /**
   * Creates the directory; metrics.jsonl and train.jsonl keep their rows up to `resumeStep`
   * (train.jsonl is cut back here: the resumed run appends to it), and so does the TensorBoard
   * event file, written again from them.
   */
  static async #open(path: string, resumeStep: number, request: RunRequest): Promise<RunDirectory> {
    await Deno.mkdir(join(path, SAMPLES), { recursive: true });
    const wanted = request.config.log?.tensorboard ?? false;
    const events = eventsPath(path, request);
    if (wanted) await Deno.mkdir(dirname(events), { recursive: true });
    if (resumeStep === 0) {
      if (wanted) await writeFileAtomic(events, fileVersionRecord(Date.now() / 1000));
      return new RunDirectory(path, [], wanted ? events : undefined);
    }
    const upTo = (lines: string[]) => lines.filter((line) => parseRecord(line).step <= resumeStep);
    const trainLines = upTo(await recordLines(join(path, TRAIN)));
    await writeFileAtomic(join(path, TRAIN), trainLines.map((line) => line + "\n").join(""));
    const metricLines = upTo(await recordLines(join(path, METRICS)));
    if (wanted || await exists(events)) {
      const samples = (await readSamplePngs(path)).filter((sample) => sample.step <= resumeStep);
      const train = trainLines.map(parseRecord);
      await writeFileAtomic(events, runEvents(train, metricLines.map(parseRecord), samples));
    }
    return new RunDirectory(path, metricLines, wanted ? events : undefined);
  }

  /** The last row of metrics.jsonl, if any (a resumed run's latest evaluation). */
  lastMetricsRow(): MetricsRow | undefined {
    const last = this.#metricLines.at(-1);
    return last ? parseRecord(last) : undefined;
  }

  /** Writes config.json. */
  writeConfig(config: ExperimentConfig): Promise<void> {
    return writeJsonAtomic(join(this.path, CONFIG), config);
  }

  /** Writes result.json. */
  writeResult(result: RunResult): Promise<void> {
    return writeFileAtomic(join(this.path, RESULT), recordJson(result, 2) + "\n");
  }

  /** Writes labeled.json: which training examples semi-supervised mode uses, and their labels. */
  writeLabeled(labeled: { indices: number[]; labels: number[] }): Promise<void> {
    return writeJsonAtomic(join(this.path, LABELED), {
      count: labeled.indices.length,
      indices: labeled.indices,
      labels: labeled.labels,
    });
  }

  /** Adds one row to metrics.jsonl (rewriting it atomically: it is small). */
  async appendMetrics(row: MetricsRow): Promise<void> {
    this.#metricLines.push(recordJson(row));
    await writeFileAtomic(join(this.path, METRICS), this.#metricLines.join("\n") + "\n");
    await this.#appendEvent(() => metricsEvent(this.#time, row));
  }

  /**
   * Appends one row to train.jsonl. Appended, not rewritten, as it grows long: a run killed
   * mid-write leaves a torn last line, which readers skip and a resume cuts away.
   */
  async appendTrainRow(row: TrainRow): Promise<void> {
    await Deno.writeTextFile(join(this.path, TRAIN), recordJson(row) + "\n", { append: true });
    this.#time = row.time;
    await this.#appendEvent(() => trainEvent(row));
  }

  /** Appends an event to the TensorBoard file, when the run writes one. */
  async #appendEvent(record: () => Uint8Array): Promise<void> {
    if (this.#events) await Deno.writeFile(this.#events, record(), { append: true });
  }

  /** Writes samples/step-NNNNNN.png and returns its path. */
  async writeSamples(step: number, png: Uint8Array): Promise<string> {
    const path = join(this.path, SAMPLES, `step-${String(step).padStart(6, "0")}.png`);
    await writeFileAtomic(path, png);
    await this.#appendEvent(() => sampleEvent(this.#time, step, png));
    return path;
  }

  /** Writes checkpoint/, replacing the previous one atomically. */
  saveCheckpoint(
    record: CheckpointRecord,
    networks: Networks,
    optimizers: Optimizers,
    plugins: Record<string, PluginState>,
  ): Promise<void> {
    return saveCheckpoint(join(this.path, CHECKPOINT), record, networks, optimizers, plugins);
  }
}

/**
 * Refuses a checkpoint that the request cannot resume: one past `train.steps`, or one whose
 * config trains its steps otherwise (see `trainsAlike`).
 */
async function checkResumable(
  path: string,
  state: CheckpointState,
  { config, configHash }: RunRequest,
): Promise<void> {
  if (state.step > config.train.steps) {
    throw new RunDirectoryError(
      path,
      `Cannot resume: the checkpoint is at step ${state.step}, past train.steps ` +
        `${config.train.steps}: train ${path} for at least ${state.step} steps`,
    );
  }
  if (state.configHash === configHash) return;
  // An older checkpoint has no config of its own: RUN/config.json, if it is the one that made it.
  const written = (await readRunConfig(path))?.config as ExperimentConfig | undefined;
  const saved = state.config ??
    (written && await hashExperiment(written) === state.configHash ? written : undefined);
  if (!saved || !trainsAlike(saved, config, state.step)) {
    throw new RunDirectoryError(
      path,
      `Cannot resume: the checkpoint was made with config ${state.configHash}, this config is ` +
        `${configHash}: resume ${path} with its own config.json, change only train.steps to ` +
        `extend it, or add a train.optimizer.decay starting at or after step ${state.step}`,
    );
  }
}

/** What of an earlier run `path` holds, in words, or undefined when it holds none. */
async function previousRun(path: string): Promise<string | undefined> {
  const state = await readCheckpointState(path).catch((error) => {
    if (error instanceof UnreadableCheckpointError) return "unreadable" as const;
    throw error;
  });
  if (state === "unreadable") return "a checkpoint that cannot be read";
  if (state) return `a run checkpointed at step ${state.step}`;
  for (const name of [RESULT, METRICS, TRAIN]) {
    if (await exists(join(path, name))) {
      return `an earlier run's ${name}`;
    }
  }
  return undefined;
}

/** Renames the run's checkpoint (and a swap's leftover copy) to `checkpoint*.unreadable-TIME`. */
async function setAside(path: string): Promise<void> {
  const stamp = Date.now();
  for (const name of [CHECKPOINT, `${CHECKPOINT}.old`]) {
    await Deno.rename(join(path, name), join(path, `${name}.unreadable-${stamp}`)).catch(
      (error) => {
        if (!(error instanceof Deno.errors.NotFound)) throw error;
      },
    );
  }
}

/**
 * Removes an earlier run's outputs from `path` (and its TensorBoard file `events`), leaving
 * anything else there alone.
 */
async function clearRun(path: string, events: string): Promise<void> {
  await removeCheckpoint(join(path, CHECKPOINT));
  await Deno.remove(events).catch((error) => {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  });
  for await (const entry of Deno.readDir(path)) {
    if ([RESULT, METRICS, TRAIN, LABELED].includes(entry.name) || EVALUATION.test(entry.name)) {
      await Deno.remove(join(path, entry.name), { recursive: true });
    }
  }
  const samples = join(path, SAMPLES);
  await Deno.mkdir(samples, { recursive: true });
  for await (const entry of Deno.readDir(samples)) {
    if (STEP_SAMPLE.test(entry.name)) await Deno.remove(join(samples, entry.name));
  }
}

/** Where the run's TensorBoard event file goes. */
function eventsPath(path: string, request: RunRequest): string {
  return join(request.tensorboardDir ?? path, TENSORBOARD);
}

function exists(path: string): Promise<boolean> {
  return Deno.stat(path).then(() => true, () => false);
}

/**
 * The whole lines of a JSONL record file (none when it is missing): a line that does not parse,
 * torn by a run killed as it wrote, is skipped.
 */
async function recordLines(path: string): Promise<string[]> {
  const text = await Deno.readTextFile(path).catch((error) => {
    if (error instanceof Deno.errors.NotFound) return "";
    throw error;
  });
  return text.split("\n").filter((line) => {
    try {
      return line.trim() !== "" && typeof parseRecord(line).step === "number";
    } catch {
      return false;
    }
  });
}

/** Where a run's outputs are, for a user to open; `drawn` is where sampling writes. */
export function runPaths(runDir: string) {
  return {
    samples: join(runDir, SAMPLES),
    metrics: join(runDir, METRICS),
    train: join(runDir, TRAIN),
    result: join(runDir, RESULT),
    drawn: join(runDir, SAMPLES, "drawn.png"),
  };
}

/**
 * The saved run's config.json as written (unvalidated) and its path, or undefined when the run
 * has none.
 */
export async function readRunConfig(
  runDir: string,
): Promise<{ path: string; config: unknown } | undefined> {
  const path = join(runDir, CONFIG);
  const text = await Deno.readTextFile(path).catch(() => undefined);
  return text === undefined ? undefined : { path, config: JSON.parse(text) };
}

/**
 * A saved run's checkpoint that exists but cannot be read (a truncated or corrupt file): the
 * message names the run and the file, and what was expected of it.
 */
export class UnreadableCheckpointError extends Error {
  constructor(runDir: string, cause: unknown) {
    super(`Cannot read the checkpoint of ${runDir}: ${(cause as Error).message ?? cause}`, {
      cause,
    });
    this.name = "UnreadableCheckpointError";
  }
}

/**
 * `read` of the run's checkpoint directory; a corrupt file in it (and nothing else: a failing
 * disk is not corruption) becomes an {@linkcode UnreadableCheckpointError}.
 */
async function readCheckpoint<T>(runDir: string, read: (dir: string) => Promise<T>): Promise<T> {
  try {
    return await read(join(runDir, CHECKPOINT));
  } catch (error) {
    throw error instanceof CorruptFileError ? new UnreadableCheckpointError(runDir, error) : error;
  }
}

/**
 * The checkpoint a run resumes from, read whole (every file checked) once its config is known
 * to train on as `request`'s does; undefined when there is none, or when it cannot be read and
 * `request.onUnreadableCheckpoint` takes that.
 */
async function resumable(path: string, request: RunRequest) {
  try {
    const state = await readCheckpointState(path);
    if (!state) return undefined;
    await checkResumable(path, state, request);
    const checkpoint = await loadRunCheckpoint(path);
    if (!checkpoint) throw new Error(`${path}: its checkpoint at step ${state.step} is gone`);
    return { state, checkpoint };
  } catch (error) {
    if (!(error instanceof UnreadableCheckpointError) || !request.onUnreadableCheckpoint) {
      throw error instanceof UnreadableCheckpointError
        ? new RunDirectoryError(
          path,
          `${error.message}; start the run again (--overwrite) or train into another directory`,
        )
        : error;
    }
    request.onUnreadableCheckpoint(error);
    return "unreadable" as const;
  }
}

/** The saved run's checkpoint state, or undefined when it has no checkpoint. */
export function readCheckpointState(runDir: string): Promise<CheckpointState | undefined> {
  return readCheckpoint(runDir, loadCheckpointState);
}

/** The saved run's checkpoint, tensors the caller owns, or undefined when it has none. */
export function loadRunCheckpoint(runDir: string): Promise<Checkpoint | undefined> {
  return readCheckpoint(runDir, loadCheckpoint);
}

/** The saved run's generator, e.g. to draw samples from a finished run. */
export async function loadGenerator(runDir: string): Promise<tfl.LayersModel> {
  const generator = await readCheckpoint(runDir, loadCheckpointGenerator);
  if (!generator) throw new Error(`${runDir} has no checkpoint`);
  return generator;
}

/** The rows of the saved run's metrics.jsonl (none when it has none). */
export async function readMetricsRows(runDir: string): Promise<MetricsRow[]> {
  return (await recordLines(join(runDir, METRICS))).map((line) => parseRecord(line));
}

/** The rows of the saved run's train.jsonl, every logged step (none when it has none). */
export async function readTrainRows(runDir: string): Promise<TrainRow[]> {
  return (await recordLines(join(runDir, TRAIN))).map((line) => parseRecord(line));
}

/** The sample images the run wrote at its evaluations, in step order (none when it has none). */
export async function readSamplePngs(
  runDir: string,
): Promise<{ step: number; png: Uint8Array }[]> {
  const names: string[] = [];
  try {
    for await (const entry of Deno.readDir(join(runDir, SAMPLES))) {
      if (STEP_SAMPLE.test(entry.name)) names.push(entry.name);
    }
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    throw error;
  }
  return await Promise.all(
    names.sort().map(async (name) => ({
      step: Number(name.match(/\d+/)![0]),
      png: await Deno.readFile(join(runDir, SAMPLES, name)),
    })),
  );
}

/** Writes eval-<dataset>.json, what an evaluation of the saved run found; returns its path. */
export async function writeEvaluation(
  runDir: string,
  dataset: string,
  record: unknown,
): Promise<string> {
  const path = join(runDir, `eval-${dataset}.json`);
  await writeFileAtomic(path, recordJson(record, 2) + "\n");
  return path;
}
