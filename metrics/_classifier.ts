/**
 * gantry's own domain classifier, the network behind `classifier-score` and `frechet-distance`:
 * Inception-style image metrics need a classifier of the data's domain, and downloading one is
 * not an option, so gantry trains a small CNN on the dataset's training split (fixed seed) the
 * first time a metric needs it and keeps it on disk, keyed by the dataset's digest.
 *
 * The default network: 5×5 conv 32 stride 2 → 5×5 conv 64 stride 2 → dense 128 (the features)
 * → dense K, all ReLU, trained with Adam on randomly shifted (and, for small datasets, rotated
 * and scaled) images. Strided convolutions instead of max pooling because tfjs-backend-wasm's
 * MaxPoolGrad is a plain loop (200 ms of a 440 ms step at batch 128 with two pools). Measured on
 * wasm (bench/classifier_accuracy.ts): 98.75 % test accuracy on the embedded MNIST split (8,000
 * / 2,000), 90.45 % on Fashion-MNIST (60,000 / 10,000), each trained in 12-13 min on a loaded
 * 2-core machine (250 ms a step of 128 alone: about 6.5 min); a 3×3 second convolution trains
 * in 0.6x the time but reached 98.5-98.65 % and 90.35 %.
 *
 * @module
 */
import { join } from "node:path";
import { tf, tfl } from "../deps.ts";
import { sha256Hex } from "../core/contract/digest.ts";
import { hashConfig } from "../core/config/hash.ts";
import { swapDirectory, writeJsonAtomic } from "../core/store/atomic.ts";
import { cacheDirectory } from "../core/store/cache_directory.ts";
import { lockFile } from "../core/store/file_lock.ts";
import { loadModel, saveModel } from "../core/store/model_io.ts";
import type { Dataset, DatasetInfo, EvaluationContext, Examples } from "../core/contract/plugin.ts";
import { createRng, type Rng } from "../core/contract/rng.ts";

/** How the classifier is trained; every field has a default. */
export interface TrainingOptions {
  /**
   * Passes over the training split. Default: enough for about 200,000 examples, between 3 and
   * 25 passes (25 for the embedded MNIST's 8,000, 3 for Fashion-MNIST's 60,000).
   */
  epochs?: number;
  /** Examples per step. Default 128. */
  batchSize?: number;
  /** Adam's learning rate at the start, decayed along a cosine to 0. Default 0.002. */
  learningRate?: number;
  /**
   * Random translation of each training image by up to this many pixels in each direction.
   * Default 2 below 20,000 training examples, else 1 (measured on wasm, 3 epochs of
   * Fashion-MNIST: 89.4 % test accuracy with 2, 90.4 % with 1, 90.3 % with 0).
   */
  shift?: number;
  /**
   * Random rotation of each training image by up to this many degrees. Default 10 below 20,000
   * training examples, else 0 (embedded MNIST: 98.65 % test accuracy with rotation and zoom,
   * 98.5 % without, for the 3×3 variant of the network).
   */
  rotation?: number;
  /**
   * Random scaling of each training image by a factor in [1 - zoom, 1 + zoom]. Default 0.1
   * below 20,000 training examples, else 0.
   */
  zoom?: number;
  /** Train on the first `subset` training examples only. Default: all of them. */
  subset?: number;
  /** Seeds the initial weights, the order of examples and the shifts. Default 1. */
  seed?: number;
}

/** A classifier network: its name goes into the cache key, so change it with the network. */
export interface ClassifierArchitecture {
  /** A file-name-safe name and version, e.g. "cnn-v1". */
  name: string;
  /**
   * Builds a model from `shape` (one example) to [logits [n, numClasses], features [n, d]].
   * Inputs are scaled to [-1, 1].
   */
  build(shape: number[], numClasses: number, rng: Rng): tfl.LayersModel;
}

/** Options of {@linkcode loadClassifier}. */
export interface ClassifierOptions {
  /** The network. Default {@linkcode CNN}. */
  architecture?: ClassifierArchitecture;
  /** The training recipe. */
  training?: TrainingOptions;
  /**
   * `use` reads a cached classifier or trains and writes one; `refresh` trains and replaces the
   * cached one; `off` trains and neither reads nor writes. Default `use`.
   */
  cache?: "use" | "refresh" | "off";
  /** The cache directory. Default {@linkcode cacheDirectory}(). */
  cacheDir?: string;
  /** Where progress goes. Default: a line to stderr. */
  log?: (line: string) => void;
}

/** What the cache's info.json says about a trained classifier. */
export interface ClassifierInfo {
  architecture: string;
  digest: string;
  numClasses: number;
  shape: number[];
  /** The data range the classifier's inputs are scaled from. */
  range: [number, number];
  training: Required<TrainingOptions>;
  trainExamples: number;
  /** Accuracy on the dataset's test split; null when it has none. */
  testAccuracy: number | null;
  testExamples: number;
  seconds: number;
  backend: string;
}

/** A trained domain classifier. Inputs are in the dataset's shape and range. */
export interface DomainClassifier {
  info: ClassifierInfo;
  /** The cache directory it was read from or written to (undefined with `cache: "off"`). */
  path?: string;
  /** Class logits [n, K]; the caller disposes them. */
  logits(x: tf.Tensor): tf.Tensor2D;
  /** The penultimate layer's activations [n, d]; the caller disposes them. */
  features(x: tf.Tensor): tf.Tensor2D;
  dispose(): void;
}

/** The default network (see the module comment). */
export const CNN: ClassifierArchitecture = {
  name: "cnn-v2",
  build(shape, numClasses, rng) {
    const init = () => tfl.initializers.glorotUniform({ seed: rng.seed() });
    const input = tfl.input({ shape });
    const conv1 = tfl.layers.conv2d({
      filters: 32,
      kernelSize: 5,
      strides: 2,
      padding: "same",
      activation: "relu",
      kernelInitializer: init(),
    }).apply(input) as tfl.SymbolicTensor;
    const conv2 = tfl.layers.conv2d({
      filters: 64,
      kernelSize: 5,
      strides: 2,
      padding: "same",
      activation: "relu",
      kernelInitializer: init(),
    }).apply(conv1) as tfl.SymbolicTensor;
    const flat = tfl.layers.flatten().apply(conv2) as tfl.SymbolicTensor;
    const features = tfl.layers.dense({ units: 128, activation: "relu", kernelInitializer: init() })
      .apply(flat) as tfl.SymbolicTensor;
    const logits = tfl.layers.dense({ units: numClasses, kernelInitializer: init() })
      .apply(features) as tfl.SymbolicTensor;
    return tfl.model({ inputs: input, outputs: [logits, features], name: "classifier" });
  },
};

/** The training recipe with every default filled in, for `trainExamples` examples. */
export function resolveTraining(
  options: TrainingOptions,
  trainExamples: number,
): Required<TrainingOptions> {
  const count = Math.min(options.subset ?? trainExamples, trainExamples);
  return {
    epochs: options.epochs ?? Math.min(25, Math.max(3, Math.round(200_000 / count))),
    batchSize: options.batchSize ?? 128,
    learningRate: options.learningRate ?? 0.002,
    shift: options.shift ?? (count < 20_000 ? 2 : 1),
    rotation: options.rotation ?? (count < 20_000 ? 10 : 0),
    zoom: options.zoom ?? (count < 20_000 ? 0.1 : 0),
    subset: count,
    seed: options.seed ?? 1,
  };
}

/**
 * The domain classifier of `dataset`: read from the cache when one was trained for the same
 * training data (its digest), network and recipe, else trained on `dataset.splits.train`,
 * scored on `splits.test` and cached. Concurrent processes (ablation workers) train it once:
 * the others wait on a file lock. The caller disposes the classifier.
 */
export async function loadClassifier(
  dataset: Dataset,
  options: ClassifierOptions = {},
): Promise<DomainClassifier> {
  const { architecture = CNN, cache = "use", log = logToStderr } = options;
  const train = dataset.splits?.train;
  const numClasses = dataset.info.numClasses;
  if (!train?.labels || !numClasses || numClasses < 2) {
    throw new TypeError(
      "Cannot train a domain classifier: the dataset has no labelled training split " +
        "(use mnist, fashion-mnist, or idx with labels)",
    );
  }
  const count = train.x.shape[0];
  const training = resolveTraining(options.training ?? {}, count);
  const given = dataset.info.digest;
  // The digest names a directory: anything but a plain name is hashed first.
  const digest = given === undefined
    ? await digestOf(train)
    : /^[\w.-]{1,128}$/.test(given) && !/^\.+$/.test(given)
    ? given
    : await hashConfig(given);
  if (cache === "off") {
    const { model: _, ...classifier } = await trainClassifier(
      dataset,
      architecture,
      training,
      digest,
      log,
    );
    return classifier;
  }
  const recipe = await hashConfig({ architecture: architecture.name, training });
  const root = join(options.cacheDir ?? cacheDirectory(), "classifiers", digest);
  const path = join(root, `${architecture.name}-${recipe}`);
  await Deno.mkdir(root, { recursive: true });
  if (cache === "use") {
    const cached = await readCached(path, dataset);
    if (cached) return cached;
  }
  const lock = await lockFile(
    `${path}.lock`,
    () => log(`Waiting for another process to train the domain classifier (${path})`),
  );
  try {
    if (cache === "use") {
      // Another process may have trained it while this one waited for the lock.
      const cached = await readCached(path, dataset);
      if (cached) return cached;
    }
    const { model, ...classifier } = await trainClassifier(
      dataset,
      architecture,
      training,
      digest,
      log,
    );
    try {
      await writeCached(path, model, classifier.info);
    } catch (error) {
      classifier.dispose();
      throw error;
    }
    log(`Domain classifier saved to ${path}`);
    return { ...classifier, path };
  } finally {
    await lock.release();
  }
}

/**
 * Throws unless a domain classifier can be trained on the dataset: labelled images of at least
 * two classes. `metric` names the metric that needs it in the message.
 */
export function requireClassifiable(metric: string, dataset: DatasetInfo): void {
  if (!dataset.numClasses || dataset.numClasses < 2 || dataset.shape.length !== 3) {
    throw new TypeError(
      `${metric} needs a labelled image dataset (mnist, fashion-mnist, or idx with labels) to ` +
        "train its domain classifier on",
    );
  }
}

const shared = new Map<string, Promise<DomainClassifier>>();
const sharedByDataset = new WeakMap<Dataset, Promise<DomainClassifier>>();

/**
 * Where a metric finds the domain classifier of the dataset it evaluates: the shared, cached
 * one ({@linkcode sharedClassifier}) unless a test gives its own.
 */
export type ClassifierSource<K extends keyof DomainClassifier> = (
  context: EvaluationContext,
) => Promise<Pick<DomainClassifier, K>>;

/** The shared, cached domain classifier of the evaluated dataset. */
export const cachedClassifier: ClassifierSource<keyof DomainClassifier> = ({ dataset }) =>
  sharedClassifier(dataset);

/**
 * The default domain classifier of `dataset` ({@linkcode loadClassifier} with default options),
 * loaded once per process and data digest (or per dataset object, when it has no digest) and
 * shared by every metric; callers never dispose it.
 */
export function sharedClassifier(dataset: Dataset): Promise<DomainClassifier> {
  // Keyed by the data alone: every metric of a process shares one classifier, even if the
  // cache directory's variable changes meanwhile (tests running side by side set it).
  const key = dataset.info.digest;
  let classifier = key ? shared.get(key) : sharedByDataset.get(dataset);
  if (!classifier) {
    classifier = loadClassifier(dataset);
    // A failure is not kept: the next evaluation tries again.
    classifier.catch(() => key ? shared.delete(key) : sharedByDataset.delete(dataset));
    if (key) shared.set(key, classifier);
    else sharedByDataset.set(dataset, classifier);
  }
  return classifier;
}

function logToStderr(line: string): void {
  Deno.stderr.writeSync(new TextEncoder().encode(line + "\n"));
}

/** SHA-256 hex of a split's pixels and labels, for datasets without `info.digest`. */
async function digestOf(split: Examples): Promise<string> {
  const bytes = async (t: tf.Tensor) => {
    const values = await t.data();
    return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  };
  const labels = split.labels ? await bytes(split.labels) : new Uint8Array();
  return await sha256Hex([`${split.x.shape.join("x")}\n`, await bytes(split.x), labels]);
}

/** Maps the dataset's range to [-1, 1], in JS: x' = x·scale + offset. */
function rangeMap(range: [number, number]): { scale: number; offset: number } {
  const [low, high] = range;
  return { scale: 2 / (high - low), offset: -1 - 2 * low / (high - low) };
}

function wrap(
  model: tfl.LayersModel,
  info: ClassifierInfo,
): Omit<DomainClassifier, "path"> & { model: tfl.LayersModel } {
  const { scale, offset } = rangeMap(info.range);
  const run = (x: tf.Tensor, output: 0 | 1) =>
    tf.tidy(() => {
      const scaled = tf.add(tf.mul(x, scale), offset);
      const outputs = model.apply(scaled, { training: false }) as tf.Tensor[];
      return outputs[output] as tf.Tensor2D;
    });
  return {
    info,
    model,
    logits: (x) => run(x, 0),
    features: (x) => run(x, 1),
    dispose: () => model.dispose(),
  };
}

/** The top-1 accuracy of `model` on a split, in batches of 500. */
async function accuracy(
  classifier: Pick<DomainClassifier, "logits">,
  split: Examples,
): Promise<number> {
  const n = split.x.shape[0];
  let correct = 0;
  for (let start = 0; start < n; start += 500) {
    const size = Math.min(500, n - start);
    const hits = tf.tidy(() => {
      const x = tf.slice(split.x, start, size);
      const labels = tf.slice(split.labels!, start, size);
      const predicted = tf.argMax(classifier.logits(x), 1);
      return tf.sum(tf.cast(tf.equal(predicted, labels), "int32"));
    });
    correct += (await hits.data())[0];
    hits.dispose();
  }
  return correct / n;
}

/**
 * Copies example `index` of `pixels` (images [h, w, c], scaled to [-1, 1]) into example
 * `target` of `out`, moved down by `dy` and right by `dx` pixels; uncovered pixels get -1, the
 * background of the scaled range. The training's augmentation; exported for tests.
 */
export function shiftInto(
  pixels: Float32Array,
  index: number,
  [h, w, c]: number[],
  out: Float32Array,
  target: number,
  dy: number,
  dx: number,
): void {
  const size = h * w * c;
  const from = index * size;
  const to = target * size;
  out.fill(-1, to, to + size);
  for (let y = Math.max(0, dy); y < Math.min(h, h + dy); y++) {
    const row = (y - dy) * w;
    const x0 = Math.max(0, dx);
    const x1 = Math.min(w, w + dx);
    out.set(
      pixels.subarray(from + (row + x0 - dx) * c, from + (row + x1 - dx) * c),
      to + (y * w + x0) * c,
    );
  }
}

/**
 * Copies example `index` of `pixels` (images [h, w, c], scaled to [-1, 1]) into example
 * `target` of `out` through the affine map that rotates by `angle` radians and scales by `scale`
 * about the centre, then moves by (dy, dx); bilinear, with -1 outside the source image. The
 * training's augmentation when rotation or zoom is on; exported for tests.
 */
export function affineInto(
  pixels: Float32Array,
  index: number,
  [h, w, c]: number[],
  out: Float32Array,
  target: number,
  { angle, scale, dy, dx }: { angle: number; scale: number; dy: number; dx: number },
): void {
  const size = h * w * c;
  const from = index * size;
  const to = target * size;
  const [cy, cx] = [(h - 1) / 2, (w - 1) / 2];
  // The inverse map: for each output pixel, where it comes from.
  const cos = Math.cos(angle) / scale;
  const sin = Math.sin(angle) / scale;
  const at = (y: number, x: number, ch: number) =>
    y < 0 || y >= h || x < 0 || x >= w ? -1 : pixels[from + (y * w + x) * c + ch];
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const u = y - dy - cy;
      const v = x - dx - cx;
      const sy = cos * u - sin * v + cy;
      const sx = sin * u + cos * v + cx;
      const y0 = Math.floor(sy);
      const x0 = Math.floor(sx);
      const fy = sy - y0;
      const fx = sx - x0;
      for (let ch = 0; ch < c; ch++) {
        out[to + (y * w + x) * c + ch] =
          (1 - fy) * ((1 - fx) * at(y0, x0, ch) + fx * at(y0, x0 + 1, ch)) +
          fy * ((1 - fx) * at(y0 + 1, x0, ch) + fx * at(y0 + 1, x0 + 1, ch));
      }
    }
  }
}

async function trainClassifier(
  dataset: Dataset,
  architecture: ClassifierArchitecture,
  training: Required<TrainingOptions>,
  digest: string,
  log: (line: string) => void,
): Promise<Omit<DomainClassifier, "path"> & { model: tfl.LayersModel }> {
  const started = performance.now();
  const { train, test } = dataset.splits!;
  const shape = train.x.shape.slice(1);
  if (shape.length !== 3) {
    throw new RangeError(
      `Cannot train a domain classifier on examples of shape [${shape}]: expected images ` +
        "[height, width, channels]",
    );
  }
  const numClasses = dataset.info.numClasses!;
  const range = dataset.info.range ?? [-1, 1];
  const { scale, offset } = rangeMap(range);
  const count = training.subset;
  const size = shape[0] * shape[1] * shape[2];
  const pixels = (await train.x.data() as Float32Array).slice(0, count * size);
  for (let i = 0; i < pixels.length; i++) pixels[i] = pixels[i] * scale + offset;
  const labels = (await train.labels!.data() as Int32Array).slice(0, count);

  const rng = createRng(training.seed);
  const model = architecture.build(shape, numClasses, rng.fork("weights"));
  const order = rng.fork("order");
  const shifts = rng.fork("shifts");
  const optimizer = tf.train.adam(training.learningRate);
  const { batchSize, epochs, shift } = training;
  const stepsPerEpoch = Math.ceil(count / batchSize);
  const totalSteps = stepsPerEpoch * epochs;
  const batch = new Float32Array(batchSize * size);
  const batchLabels = new Int32Array(batchSize);
  const permutation = Int32Array.from({ length: count }, (_, i) => i);
  log(
    `Training the ${architecture.name} domain classifier (${digest.slice(0, 12)}) on ` +
      `${count.toLocaleString("en-US")} examples, ${epochs} epochs of ${stepsPerEpoch} steps, ` +
      `backend ${tf.getBackend()}`,
  );
  let step = 0;
  try {
    for (let epoch = 1; epoch <= epochs; epoch++) {
      for (let i = count - 1; i > 0; i--) {
        const j = order.int(i + 1);
        [permutation[i], permutation[j]] = [permutation[j], permutation[i]];
      }
      let lossSum = 0;
      let correct = 0;
      for (let start = 0; start < count; start += batchSize) {
        const n = Math.min(batchSize, count - start);
        for (let k = 0; k < n; k++) {
          const index = permutation[start + k];
          const dy = shift ? shifts.int(2 * shift + 1) - shift : 0;
          const dx = shift ? shifts.int(2 * shift + 1) - shift : 0;
          if (training.rotation || training.zoom) {
            const angle = (shifts.uniform() * 2 - 1) * training.rotation * Math.PI / 180;
            const scale = 1 + (shifts.uniform() * 2 - 1) * training.zoom;
            affineInto(pixels, index, shape, batch, k, { angle, scale, dy, dx });
          } else shiftInto(pixels, index, shape, batch, k, dy, dx);
          batchLabels[k] = labels[index];
        }
        // Cosine decay: the late, small steps buy the last fraction of a percent.
        (optimizer as unknown as { learningRate: number }).learningRate = training.learningRate *
          0.5 * (1 + Math.cos(Math.PI * step / totalSteps));
        const [loss, hits] = tf.tidy(() => {
          const x = tf.tensor4d(batch.subarray(0, n * size), [n, shape[0], shape[1], shape[2]]);
          const y = tf.tensor1d(batchLabels.subarray(0, n), "int32");
          let hits: tf.Scalar | undefined;
          const loss = optimizer.minimize(() => {
            const logits = (model.apply(x, { training: true }) as tf.Tensor[])[0];
            hits = tf.keep(tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), y), "int32")));
            return tf.losses.softmaxCrossEntropy(tf.oneHot(y, numClasses), logits) as tf.Scalar;
          }, true)!;
          return [loss, hits!];
        });
        lossSum += (await loss.data())[0] * n;
        correct += (await hits.data())[0];
        tf.dispose([loss, hits]);
        step++;
        const inEpoch = step - (epoch - 1) * stepsPerEpoch;
        if (stepsPerEpoch >= 200 && inEpoch % 100 === 0) {
          log(
            `  epoch ${epoch}/${epochs}, step ${inEpoch}/${stepsPerEpoch} (${seconds(started)} s)`,
          );
        }
      }
      log(
        `  epoch ${epoch}/${epochs}: loss ${(lossSum / count).toFixed(4)}, train accuracy ` +
          `${(correct / count).toFixed(4)} (${seconds(started)} s)`,
      );
    }
  } catch (error) {
    model.dispose();
    throw error;
  } finally {
    optimizer.dispose();
  }
  const info: ClassifierInfo = {
    architecture: architecture.name,
    digest,
    numClasses,
    shape,
    range: [range[0], range[1]],
    training,
    trainExamples: count,
    testAccuracy: null,
    testExamples: test?.labels ? test.x.shape[0] : 0,
    seconds: 0,
    backend: tf.getBackend(),
  };
  const classifier = wrap(model, info);
  if (test?.labels) info.testAccuracy = await accuracy(classifier, test);
  info.seconds = Number(seconds(started));
  log(
    `Domain classifier trained in ${info.seconds} s: test accuracy ` +
      (info.testAccuracy === null ? "n/a (no test split)" : info.testAccuracy.toFixed(4)),
  );
  return classifier;
}

function seconds(since: number): string {
  return ((performance.now() - since) / 1000).toFixed(1);
}

/** Writes model.json, weights.bin and info.json to a temp directory, then swaps it in. */
async function writeCached(
  path: string,
  model: tfl.LayersModel,
  info: ClassifierInfo,
): Promise<void> {
  const temp = `${path}.tmp-${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`;
  await Deno.mkdir(temp, { recursive: true });
  try {
    await saveModel(model, temp);
    await writeJsonAtomic(join(temp, "info.json"), info);
    // "refresh" replaces an existing one; the old directory goes only once the new one is whole.
    await swapDirectory(temp, path);
  } catch (error) {
    await Deno.remove(temp, { recursive: true }).catch(() => {});
    throw error;
  }
}

/** The cached classifier at `path`, or undefined when there is none. */
async function readCached(path: string, dataset: Dataset): Promise<DomainClassifier | undefined> {
  let info: ClassifierInfo;
  try {
    info = JSON.parse(await Deno.readTextFile(join(path, "info.json")));
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw new Error(
      `Cannot read the cached domain classifier ${path}: ${(error as Error).message} ` +
        "(delete the directory to train it again)",
    );
  }
  try {
    const model = await loadModel(path);
    if (info.numClasses !== dataset.info.numClasses) {
      model.dispose();
      throw new Error(
        `it has ${info.numClasses} classes, the dataset ${dataset.info.numClasses}`,
      );
    }
    const { model: _, ...classifier } = wrap(model, info);
    return { ...classifier, path };
  } catch (error) {
    throw new Error(
      `Cannot load the cached domain classifier ${path}: ${(error as Error).message} ` +
        "(delete the directory to train it again)",
    );
  }
}
