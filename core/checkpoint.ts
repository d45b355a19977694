/**
 * Checkpoints: RUN/checkpoint/ holds the generator and discriminator (tfjs LayersModel format,
 * custom layers included, running statistics included as weights), both optimizers' state, the
 * step and the random streams' states. A checkpoint is written to a temporary directory, flushed
 * to disk and swapped in by renames, so a crash leaves the previous checkpoint or the new one,
 * never a mix. Readers take `checkpoint/`, or `checkpoint.old` when a crash came between the
 * swap's two renames; only the next save (the run's own process) renames things back.
 *
 * @module
 */
import { join } from "node:path";
import { syncDirectory, writeFileSynced } from "./atomic.ts";
import { tf, tfl } from "../deps.ts";
import type { DatasetInfo, JsonValue, Networks, PluginState } from "./plugin.ts";
import type { RngState } from "./rng.ts";
import type { ExperimentConfig } from "./config.ts";

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
  /** Shapes and dtypes of each optimizer's weights, stored one after the other in optimizers.bin. */
  optimizers: { discriminator: TensorSpec[]; generator: TensorSpec[] };
  /** Each stateful plugin's JSON values and the specs of its tensors (in plugins.bin). */
  plugins?: Record<string, { values: Record<string, JsonValue>; tensors: TensorSpec[] }>;
}

/** A tensor with the name an optimizer gave it. */
type NamedTensor = { name: string; tensor: tf.Tensor };

interface TensorSpec {
  name: string;
  shape: number[];
  dtype: "float32" | "int32";
}

/** A loaded checkpoint: tensors the caller disposes once they are assigned. */
export interface Checkpoint {
  state: CheckpointState;
  generator: tf.Tensor[];
  discriminator: tf.Tensor[];
  optimizers: { discriminator: NamedTensor[]; generator: NamedTensor[] };
  /** Each stateful plugin's state, keyed by where the config names it. */
  plugins: Record<string, PluginState>;
}

function flatten(data: tf.io.WeightData): ArrayBuffer {
  return Array.isArray(data) ? tf.io.concatenateArrayBuffers(data) : data;
}

/** Writes a LayersModel to DIR/model.json and DIR/weights.bin (tfjs's file layout), synced. */
export async function saveModel(model: tfl.LayersModel, dir: string): Promise<void> {
  await Deno.mkdir(dir, { recursive: true });
  await model.save(tf.io.withSaveHandler(async (artifacts) => {
    await writeFileSynced(join(dir, "weights.bin"), new Uint8Array(flatten(artifacts.weightData!)));
    await writeFileSynced(
      join(dir, "model.json"),
      JSON.stringify({
        modelTopology: artifacts.modelTopology,
        format: "layers-model",
        weightsManifest: [{ paths: ["weights.bin"], weights: artifacts.weightSpecs }],
      }),
    );
    await syncDirectory(dir);
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" } };
  }));
}

async function readArtifacts(dir: string): Promise<tf.io.ModelArtifacts> {
  const json = JSON.parse(await Deno.readTextFile(join(dir, "model.json")));
  const bytes = await Deno.readFile(join(dir, "weights.bin"));
  return {
    modelTopology: json.modelTopology,
    weightSpecs: json.weightsManifest[0].weights,
    weightData: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
  };
}

/** A model's weights from a checkpoint, in the model's weight order. */
async function loadWeights(dir: string): Promise<tf.Tensor[]> {
  const artifacts = await readArtifacts(dir);
  const byName = tf.io.decodeWeights(artifacts.weightData!, artifacts.weightSpecs!);
  return artifacts.weightSpecs!.map((spec) => byName[spec.name]);
}

/** Loads a model written by {@linkcode saveModel}. */
export async function loadModel(dir: string): Promise<tfl.LayersModel> {
  return await tfl.loadLayersModel(tf.io.fromMemory(await readArtifacts(dir)));
}

/** The directory of a run's checkpoint: `checkpoint/`, else a swap's leftover `checkpoint.old`. */
async function checkpointDir(runDir: string): Promise<string | undefined> {
  for (const name of ["checkpoint", "checkpoint.old"]) {
    const dir = join(runDir, name);
    if (await Deno.stat(join(dir, "state.json")).then(() => true, () => false)) return dir;
  }
  return undefined;
}

/** Loads a saved generator as a LayersModel, e.g. to draw samples from a finished run. */
export async function loadGenerator(runDir: string): Promise<tfl.LayersModel> {
  const dir = await checkpointDir(runDir);
  if (!dir) throw new Error(`${runDir} has no checkpoint`);
  return await loadModel(join(dir, "generator"));
}

/** Reads the checkpoint's state.json, or undefined when the run has no checkpoint. */
export async function readCheckpointState(runDir: string): Promise<CheckpointState | undefined> {
  const dir = await checkpointDir(runDir);
  if (!dir) return undefined;
  try {
    return JSON.parse(await Deno.readTextFile(join(dir, "state.json")));
  } catch (error) {
    throw new Error(`Cannot read the checkpoint of ${runDir}: ${(error as Error).message}`);
  }
}

/**
 * Adam keeps β1^t and β2^t as running products; `setWeights` recomputes them with pow(), which
 * differs in the last float32 bits, so a resumed run would drift from an uninterrupted one. They
 * are saved under these names and put back by {@linkcode setOptimizerWeights}.
 */
const ADAM_POWERS = ["accBeta1", "accBeta2"] as const;

type AdamPowers = Record<typeof ADAM_POWERS[number], tf.Variable>;

async function optimizerWeights(optimizer: tf.Optimizer): Promise<NamedTensor[]> {
  const weights = await optimizer.getWeights();
  // Not `instanceof`: tfjs's optimizer classes answer it for any optimizer (duck typing).
  const powers = optimizer as unknown as Partial<AdamPowers>;
  if (!powers.accBeta1 || !powers.accBeta2) return weights;
  return [...weights, ...ADAM_POWERS.map((name) => ({ name, tensor: powers[name]!.clone() }))];
}

/** Restores an optimizer's state saved by a checkpoint, exactly (see ADAM_POWERS). */
export async function setOptimizerWeights(
  optimizer: tf.Optimizer,
  weights: NamedTensor[],
): Promise<void> {
  const isPower = (name: string) => (ADAM_POWERS as readonly string[]).includes(name);
  await optimizer.setWeights(weights.filter((w) => !isPower(w.name)));
  for (const { name, tensor } of weights) {
    if (isPower(name)) (optimizer as unknown as AdamPowers)[name as "accBeta1"].assign(tensor);
  }
  // The optimizer's variables share these tensors' buffers (counted references): freeing the
  // tensors leaves the variables whole, and their first update frees the old buffers.
  tf.dispose(weights.map((w) => w.tensor));
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

/** Tensors laid end to end in one file, described by specs kept in state.json. */
async function encodeTensors(
  named: NamedTensor[],
): Promise<{ specs: TensorSpec[]; bytes: Uint8Array }> {
  const specs: TensorSpec[] = [];
  const chunks: Uint8Array[] = [];
  for (const { name, tensor } of named) {
    if (tensor.dtype !== "float32" && tensor.dtype !== "int32") {
      throw new TypeError(
        `Cannot checkpoint "${name}": its dtype is ${tensor.dtype}; checkpoints hold float32 ` +
          "and int32 tensors (cast it in the plugin's saveState)",
      );
    }
    const values = await tensor.data();
    specs.push({ name, shape: tensor.shape, dtype: tensor.dtype as TensorSpec["dtype"] });
    chunks.push(new Uint8Array(values.buffer, values.byteOffset, values.byteLength).slice());
  }
  const bytes = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  chunks.reduce((offset, chunk) => (bytes.set(chunk, offset), offset + chunk.length), 0);
  return { specs, bytes };
}

/** The inverse of {@linkcode encodeTensors}: fresh tensors the caller owns. */
function decodeTensors(specs: TensorSpec[], bytes: Uint8Array, file: string): NamedTensor[] {
  let offset = 0;
  const tensors = specs.map(({ name, shape, dtype }) => {
    const size = shape.reduce((a, b) => a * b, 1);
    const buffer = bytes.buffer.slice(
      bytes.byteOffset + offset,
      bytes.byteOffset + offset + size * 4,
    );
    offset += size * 4;
    const values = dtype === "int32" ? new Int32Array(buffer) : new Float32Array(buffer);
    return { name, tensor: tf.tensor(values, shape, dtype) };
  });
  if (offset !== bytes.byteLength) {
    tf.dispose(tensors.map((t) => t.tensor));
    throw new Error(
      `${file}: expected ${offset} bytes as state.json describes, found ${bytes.byteLength}`,
    );
  }
  return tensors;
}

/**
 * Writes RUN/checkpoint/ atomically (a temp directory flushed to disk, then renames). Only the
 * run's own process saves, so it also clears what a crashed one left: temp directories, and a
 * lone `checkpoint.old`, which becomes `checkpoint` again before the swap.
 */
export async function saveCheckpoint(
  runDir: string,
  state: Omit<CheckpointState, "optimizers" | "plugins">,
  networks: Networks,
  optimizers: { discriminator: tf.Optimizer; generator: tf.Optimizer },
  plugins: Record<string, PluginState> = {},
): Promise<void> {
  const final = join(runDir, "checkpoint");
  const old = `${final}.old`;
  const temp = `${final}.tmp-${Deno.pid}`;
  for await (const entry of Deno.readDir(runDir)) {
    if (entry.name.startsWith("checkpoint.tmp-")) {
      await Deno.remove(join(runDir, entry.name), { recursive: true });
    }
  }
  if (await checkpointDir(runDir) === old) await Deno.rename(old, final);
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
      ...state,
      optimizers: {
        discriminator: encoded.specs.slice(0, counts.discriminator),
        generator: encoded.specs.slice(counts.discriminator),
      },
      plugins: pluginSpecs,
    }),
  );
  await syncDirectory(temp);
  // Swap: the old checkpoint stays whole until the new one is in place.
  await Deno.remove(old, { recursive: true }).catch(() => {});
  await Deno.rename(final, old).catch((error) => {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  });
  await Deno.rename(temp, final);
  await syncDirectory(runDir);
  await Deno.remove(old, { recursive: true }).catch(() => {});
}

/** Loads the run's checkpoint (a swap's leftover checkpoint.old if need be), if it has one. */
export async function loadCheckpoint(runDir: string): Promise<Checkpoint | undefined> {
  const final = await checkpointDir(runDir);
  if (!final) return undefined;
  const state: CheckpointState = JSON.parse(await Deno.readTextFile(join(final, "state.json")));
  const optimizerFile = join(final, "optimizers.bin");
  const optimizerTensors = decodeTensors(
    [...state.optimizers.discriminator, ...state.optimizers.generator],
    await Deno.readFile(optimizerFile),
    optimizerFile,
  );
  const pluginFile = join(final, "plugins.bin");
  const owners = Object.entries(state.plugins ?? {});
  const pluginTensors = decodeTensors(
    owners.flatMap(([, { tensors }]) => tensors),
    owners.length ? await Deno.readFile(pluginFile) : new Uint8Array(),
    pluginFile,
  );
  const plugins: Record<string, PluginState> = {};
  let next = 0;
  for (const [owner, { values, tensors }] of owners) {
    plugins[owner] = { ...values };
    for (const { name } of tensors) plugins[owner][name] = pluginTensors[next++].tensor;
  }
  return {
    state,
    generator: await loadWeights(join(final, "generator")),
    discriminator: await loadWeights(join(final, "discriminator")),
    optimizers: {
      discriminator: optimizerTensors.slice(0, state.optimizers.discriminator.length),
      generator: optimizerTensors.slice(state.optimizers.discriminator.length),
    },
    plugins,
  };
}
