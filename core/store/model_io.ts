/**
 * tfjs LayersModels on disk, as DIR/model.json and DIR/weights.bin (tfjs's own file layout,
 * custom layers included): checkpoints keep G and D this way, and so does the domain
 * classifier's cache.
 *
 * @module
 */
import { join } from "node:path";
import { tf, tfl } from "../../deps.ts";
import { syncDirectory, writeFileSynced } from "./atomic.ts";
import { CorruptFileError, parseJsonFile, readMemberFile } from "./corrupt_file.ts";

function flatten(data: tf.io.WeightData): ArrayBuffer {
  return Array.isArray(data) ? tf.io.concatenateArrayBuffers(data) : data;
}

/** Writes a LayersModel to DIR/model.json and DIR/weights.bin, flushed to disk. */
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

const BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1 };

/** DIR's model.json and weights.bin, checked against each other: a bad file is named. */
async function readArtifacts(dir: string): Promise<tf.io.ModelArtifacts> {
  const topology = join(dir, "model.json");
  // deno-lint-ignore no-explicit-any
  const json = parseJsonFile(topology, await readMemberFile(topology)) as any;
  const specs: tf.io.WeightsManifestEntry[] | undefined = json?.weightsManifest?.[0]?.weights;
  if (!json.modelTopology || !Array.isArray(specs)) {
    throw new Error(
      `${topology} holds no model: expected tfjs's modelTopology and weightsManifest`,
    );
  }
  const weights = join(dir, "weights.bin");
  const bytes = await Deno.readFile(weights).catch((error) => {
    if (error instanceof Deno.errors.NotFound) throw new CorruptFileError(`${weights} is missing`);
    throw error;
  });
  const expected = specs.reduce(
    (sum, spec) => sum + spec.shape.reduce((a, b) => a * b, 1) * (BYTES[spec.dtype] ?? 4),
    0,
  );
  if (bytes.byteLength !== expected) {
    throw new CorruptFileError(
      `${weights} has ${bytes.byteLength} bytes; model.json describes ${expected} ` +
        "(the file is truncated or from another model)",
    );
  }
  return {
    modelTopology: json.modelTopology,
    weightSpecs: json.weightsManifest[0].weights,
    weightData: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
  };
}

/** The weights of a model written by {@linkcode saveModel}, in the model's weight order. */
export async function loadWeights(dir: string): Promise<tf.Tensor[]> {
  const artifacts = await readArtifacts(dir);
  const byName = tf.io.decodeWeights(artifacts.weightData!, artifacts.weightSpecs!);
  return artifacts.weightSpecs!.map((spec) => byName[spec.name]);
}

/** Loads a model written by {@linkcode saveModel}. */
export async function loadModel(dir: string): Promise<tfl.LayersModel> {
  return await tfl.loadLayersModel(tf.io.fromMemory(await readArtifacts(dir)));
}
