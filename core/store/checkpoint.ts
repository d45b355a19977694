/**
 * The checkpoint format. A checkpoint directory holds the generator and discriminator (tfjs
 * LayersModels, custom layers and batch-norm running statistics included), both optimizers'
 * state in optimizers.bin, every stateful plugin's tensors in plugins.bin, and state.json (the
 * step, the random streams, the config, and the specs of those tensors). It is written to a
 * temporary sibling, flushed to disk and swapped in by renames, so a crash leaves the previous
 * checkpoint or the new one, never a mix. Readers take the directory, or its `.old` sibling when
 * a crash came between the swap's two renames; only the next save renames things back.
 *
 * @module
 */
import { basename, dirname, join } from "node:path";
import { tf, tfl } from "../../deps.ts";
import type { DatasetInfo, JsonValue, Networks, PluginState } from "../contract/plugin.ts";
import type { RngState } from "../contract/rng.ts";
import type { ExperimentConfig } from "../config/schema.ts";
import { swapDirectory, syncDirectory, writeFileSynced } from "./atomic.ts";
import { loadModel, loadWeights, saveModel } from "./model_io.ts";
import { type Optimizers, optimizerWeights } from "./optimizer_state.ts";
import { CorruptFileError, parseJsonFile, readMemberFile } from "./corrupt_file.ts";
import { decodeTensors, encodeTensors, type NamedTensor, type TensorSpec } from "./tensor_file.ts";

/** What state.json records. */
export interface CheckpointState {
  step: number;
  configHash: string;
  /** The config that trained it (absent in checkpoints written before gantry kept it here). */
  config?: ExperimentConfig;
  rng: { data: RngState; noise: RngState };
  latentDim: number;
  latentDistribution: Networks["latentDistribution"];
  dataset: DatasetInfo;
  /** Seconds spent training up to this step, over every resume (absent in older checkpoints). */
  seconds?: number;
  /** Shapes and dtypes of each optimizer's weights, stored one after the other in optimizers.bin. */
  optimizers: { discriminator: TensorSpec[]; generator: TensorSpec[] };
  /** Each stateful plugin's JSON values and the specs of its tensors (in plugins.bin). */
  plugins?: Record<string, { values: Record<string, JsonValue>; tensors: TensorSpec[] }>;
}

/** What a caller saves: the state without the specs, which saving works out. */
export type CheckpointRecord = Omit<CheckpointState, "optimizers" | "plugins">;

/** A loaded checkpoint: tensors the caller disposes once they are assigned. */
export interface Checkpoint {
  state: CheckpointState;
  generator: tf.Tensor[];
  discriminator: tf.Tensor[];
  optimizers: { discriminator: NamedTensor[]; generator: NamedTensor[] };
  /** Each stateful plugin's state, keyed by where the config names it. */
  plugins: Record<string, PluginState>;
}

/** The readable copy of the checkpoint `dir`: `dir`, else a swap's leftover `dir.old`. */
async function readableCopy(dir: string): Promise<string | undefined> {
  for (const candidate of [dir, `${dir}.old`]) {
    if (await Deno.stat(join(candidate, "state.json")).then(() => true, () => false)) {
      return candidate;
    }
  }
  return undefined;
}

/** The checkpoint's state.json, or undefined when there is no checkpoint at `dir`. */
export async function loadCheckpointState(dir: string): Promise<CheckpointState | undefined> {
  const copy = await readableCopy(dir);
  if (!copy) return undefined;
  return await readState(copy);
}

/** The checkpoint copy's state.json; one that does not parse is named. */
async function readState(copy: string): Promise<CheckpointState> {
  const path = join(copy, "state.json");
  return parseJsonFile(path, await readMemberFile(path)) as CheckpointState;
}

/** The checkpoint's generator as a LayersModel, e.g. to draw samples from a finished run. */
export async function loadCheckpointGenerator(dir: string): Promise<tfl.LayersModel | undefined> {
  const copy = await readableCopy(dir);
  return copy === undefined ? undefined : await loadModel(join(copy, "generator"));
}

/**
 * Writes the checkpoint `dir` atomically. Only the run's own process saves, so it also clears
 * what a crashed one left: temporary siblings, and a lone `dir.old`, which becomes `dir` again
 * before the swap.
 */
export async function saveCheckpoint(
  dir: string,
  record: CheckpointRecord,
  networks: Networks,
  optimizers: Optimizers,
  plugins: Record<string, PluginState> = {},
): Promise<void> {
  const parent = dirname(dir);
  const temporary = `${basename(dir)}.tmp-`;
  for await (const entry of Deno.readDir(parent)) {
    if (entry.name.startsWith(temporary)) {
      await Deno.remove(join(parent, entry.name), { recursive: true });
    }
  }
  if (await readableCopy(dir) === `${dir}.old`) await Deno.rename(`${dir}.old`, dir);
  const temp = join(parent, `${temporary}${Deno.pid}`);
  await saveModel(networks.generator, join(temp, "generator"));
  await saveModel(networks.discriminator, join(temp, "discriminator"));
  const owned: tf.Tensor[] = [];
  const optimizerTensors: NamedTensor[] = [];
  const counts = { discriminator: 0, generator: 0 };
  for (const side of ["discriminator", "generator"] as const) {
    const weights = await optimizerWeights(optimizers[side]);
    counts[side] = weights.length;
    optimizerTensors.push(...weights);
    // getWeights hands out the optimizer's own variables (kept) and fresh tensors (freed).
    owned.push(...weights.map((w) => w.tensor).filter((t) => !(t instanceof tf.Variable)));
  }
  const encoded = await encodeTensors(optimizerTensors);
  tf.dispose(owned);
  await writeFileSynced(join(temp, "optimizers.bin"), encoded.bytes);
  const pluginSpecs: CheckpointState["plugins"] = {};
  const pluginTensors: NamedTensor[] = [];
  // The owner of each tensor in pluginTensors, in order.
  const tensorOwners: string[] = [];
  for (const [owner, values] of Object.entries(plugins)) {
    const json: Record<string, JsonValue> = {};
    for (const [name, value] of Object.entries(values)) {
      if (value instanceof tf.Tensor) {
        pluginTensors.push({ name, tensor: value });
        tensorOwners.push(owner);
      } else json[name] = value;
    }
    pluginSpecs[owner] = { values: json, tensors: [] };
  }
  const pluginBlob = await encodeTensors(pluginTensors);
  pluginBlob.specs.forEach((spec, i) => pluginSpecs[tensorOwners[i]].tensors.push(spec));
  await writeFileSynced(join(temp, "plugins.bin"), pluginBlob.bytes);
  await writeFileSynced(
    join(temp, "state.json"),
    JSON.stringify({
      ...record,
      optimizers: {
        discriminator: encoded.specs.slice(0, counts.discriminator),
        generator: encoded.specs.slice(counts.discriminator),
      },
      plugins: pluginSpecs,
    }),
  );
  await syncDirectory(temp);
  await swapDirectory(temp, dir);
}

/** Loads the checkpoint at `dir` (a swap's leftover `dir.old` if need be), if there is one. */
export async function loadCheckpoint(dir: string): Promise<Checkpoint | undefined> {
  const copy = await readableCopy(dir);
  if (!copy) return undefined;
  const state = await readState(copy);
  // What is decoded so far, freed should a later file be missing or malformed.
  const loaded: tf.Tensor[] = [];
  const decode = async (file: string, specs: TensorSpec[]) => {
    const path = join(copy, file);
    const bytes = specs.length
      ? await Deno.readFile(path).catch((error) => {
        if (error instanceof Deno.errors.NotFound) throw new CorruptFileError(`${path} is missing`);
        throw error;
      })
      : new Uint8Array();
    const tensors = decodeTensors(specs, bytes, path);
    loaded.push(...tensors.map((t) => t.tensor));
    return tensors;
  };
  const weights = async (name: string) => {
    const tensors = await loadWeights(join(copy, name));
    loaded.push(...tensors);
    return tensors;
  };
  try {
    const { discriminator, generator } = state.optimizers;
    const optimizerTensors = await decode("optimizers.bin", [...discriminator, ...generator]);
    const owners = Object.entries(state.plugins ?? {});
    const pluginTensors = await decode("plugins.bin", owners.flatMap(([, s]) => s.tensors));
    const plugins: Record<string, PluginState> = {};
    let next = 0;
    for (const [owner, { values, tensors }] of owners) {
      plugins[owner] = { ...values };
      for (const { name } of tensors) plugins[owner][name] = pluginTensors[next++].tensor;
    }
    return {
      state,
      generator: await weights("generator"),
      discriminator: await weights("discriminator"),
      optimizers: {
        discriminator: optimizerTensors.slice(0, discriminator.length),
        generator: optimizerTensors.slice(discriminator.length),
      },
      plugins,
    };
  } catch (error) {
    tf.dispose(loaded);
    throw error;
  }
}

/** Frees a loaded checkpoint's tensors, when it will not be restored. */
export function disposeCheckpoint(checkpoint: Checkpoint): void {
  tf.dispose([
    ...checkpoint.generator,
    ...checkpoint.discriminator,
    ...[...checkpoint.optimizers.discriminator, ...checkpoint.optimizers.generator].map((w) =>
      w.tensor
    ),
    ...Object.values(checkpoint.plugins).flatMap((state) =>
      Object.values(state).filter((v): v is tf.Tensor => v instanceof tf.Tensor)
    ),
  ]);
}

/** Removes the checkpoint at `dir` with its `.old` and temporary siblings. */
export async function removeCheckpoint(dir: string): Promise<void> {
  const parent = dirname(dir);
  const name = basename(dir);
  for await (const entry of Deno.readDir(parent)) {
    if (
      entry.name === name || entry.name === `${name}.old` || entry.name.startsWith(`${name}.tmp-`)
    ) {
      await Deno.remove(join(parent, entry.name), { recursive: true });
    }
  }
}
