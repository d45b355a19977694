import assert from "node:assert/strict";
import { join } from "node:path";
import { tf, tfl } from "../deps.ts";
import { useBackend } from "../core/backend/select.ts";
import type { Dataset } from "../core/contract/plugin.ts";
import { createRng } from "../core/contract/rng.ts";
import {
  affineInto,
  type ClassifierArchitecture,
  CNN,
  loadClassifier,
  resolveTraining,
  sharedClassifier,
  shiftInto,
} from "./_classifier.ts";

/**
 * A toy labelled image dataset in [0, 1]: 8×8 images, class 0 lit on the left half, class 1
 * on the right, plus noise; `train` + `test` examples.
 */
export function toyImages(train: number, test: number, digest?: string): Dataset {
  const rng = createRng(11);
  const make = (n: number) => {
    const pixels = new Float32Array(n * 64);
    const labels = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      labels[i] = i % 2;
      for (let p = 0; p < 64; p++) {
        const lit = (p % 8 < 4) === (labels[i] === 0);
        pixels[i * 64 + p] = Math.min(1, Math.max(0, (lit ? 0.8 : 0.1) + 0.1 * rng.normal()));
      }
    }
    return { x: tf.tensor4d(pixels, [n, 8, 8, 1]), labels: tf.tensor1d(labels, "int32") };
  };
  const splits = { train: make(train), test: make(test) };
  return {
    info: {
      shape: [8, 8, 1],
      kind: "image",
      range: [0, 1],
      size: train,
      numClasses: 2,
      testSize: test,
      ...(digest ? { digest } : {}),
    },
    sample: () => ({ x: tf.zeros([1, 8, 8, 1]) }),
    splits,
    dispose: () =>
      tf.dispose([splits.train.x, splits.train.labels, splits.test.x, splits.test.labels]),
  };
}

/** A tiny network for tests: flatten → dense 4 (the features) → dense K. */
export const TINY: ClassifierArchitecture = {
  name: "tiny-test",
  build(shape, numClasses, rng) {
    const input = tfl.input({ shape });
    const flat = tfl.layers.flatten().apply(input) as tfl.SymbolicTensor;
    const features = tfl.layers.dense({
      units: 4,
      activation: "relu",
      kernelInitializer: tfl.initializers.glorotUniform({ seed: rng.seed() }),
    }).apply(flat) as tfl.SymbolicTensor;
    const logits = tfl.layers.dense({
      units: numClasses,
      kernelInitializer: tfl.initializers.glorotUniform({ seed: rng.seed() }),
    }).apply(features) as tfl.SymbolicTensor;
    return tfl.model({ inputs: input, outputs: [logits, features] });
  },
};

const quick = { epochs: 3, batchSize: 16, learningRate: 0.02, shift: 1 };

/** Quick training of the tiny network into `cacheDir`, its log lines collected. */
const quickOptions = (cacheDir: string) => {
  const lines: string[] = [];
  return {
    lines,
    options: { architecture: TINY, training: quick, cacheDir, log: (l: string) => lines.push(l) },
  };
};

Deno.test("the classifier is trained once, cached under its digest and read back", async () => {
  await useBackend("cpu");
  const cacheDir = await Deno.makeTempDir();
  const before = tf.memory().numTensors;
  const dataset = toyImages(64, 32, "toy-digest");
  const { lines, options } = quickOptions(cacheDir);
  const first = await loadClassifier(dataset, options);
  assert.ok(lines.some((l) => l.startsWith("Training the tiny-test")), lines.join("\n"));
  assert.ok(lines.some((l) => /epoch 3\/3: loss [\d.]+, train accuracy/.test(l)));
  assert.ok(first.path?.startsWith(join(cacheDir, "classifiers", "toy-digest", "tiny-test-")));
  const files = [...Deno.readDirSync(first.path!)].map((e) => e.name).sort();
  assert.deepEqual(files, ["info.json", "model.json", "weights.bin"]);
  const info = JSON.parse(await Deno.readTextFile(join(first.path!, "info.json")));
  assert.equal(info.testAccuracy, first.info.testAccuracy);
  assert.ok(first.info.testAccuracy! > 0.9, `test accuracy ${first.info.testAccuracy}`);
  // Nothing but the classifier's directory and its (empty, unlocked) lock file is left.
  const entry = first.path!.split("/").pop()!;
  assert.deepEqual(
    [...Deno.readDirSync(join(cacheDir, "classifiers", "toy-digest"))].map((e) => e.name).sort(),
    [entry, `${entry}.lock`],
  );

  lines.length = 0;
  const second = await loadClassifier(dataset, options);
  assert.deepEqual(lines, []);
  assert.equal(second.path, first.path);
  assert.deepEqual(second.info, first.info);
  const x = dataset.splits!.test!.x;
  const [a, b] = [first.logits(x), second.logits(x)];
  assert.deepEqual(await a.data(), await b.data());
  const features = second.features(x);
  assert.deepEqual(features.shape, [32, 4]);
  tf.dispose([a, b, features]);

  // Another recipe is another cache entry; "off" trains without touching the cache.
  const other = await loadClassifier(dataset, { ...options, training: { ...quick, epochs: 1 } });
  assert.notEqual(other.path, first.path);
  const off = await loadClassifier(dataset, { ...options, cache: "off" });
  assert.equal(off.path, undefined);
  const entries = [...Deno.readDirSync(join(cacheDir, "classifiers", "toy-digest"))];
  assert.equal(entries.filter((e) => e.isDirectory).length, 2);
  for (const c of [first, second, other, off]) c.dispose();
  dataset.dispose!();
  assert.equal(tf.memory().numTensors, before);
  await Deno.remove(cacheDir, { recursive: true });
});

Deno.test("concurrent loads train once; a lock holder makes others wait until it ends or dies", async () => {
  await useBackend("cpu");
  const cacheDir = await Deno.makeTempDir();
  const dataset = toyImages(32, 8, "toy-lock");
  const { lines, options } = quickOptions(cacheDir);
  const [a, b] = await Promise.all([
    loadClassifier(dataset, options),
    loadClassifier(dataset, options),
  ]);
  assert.equal(lines.filter((l) => l.startsWith("Training")).length, 1, lines.join("\n"));
  assert.equal(a.path, b.path);
  // A process holding the lock makes a retraining wait; killed, the OS frees the lock.
  const holder = new Deno.Command(Deno.execPath(), {
    args: [
      "eval",
      `const f = Deno.openSync(Deno.args[0], { write: true }); f.lockSync(true);
      console.log("locked"); setTimeout(() => {}, 60_000);`,
      `${a.path}.lock`,
    ],
    stdout: "piped",
  }).spawn();
  const reader = holder.stdout.getReader();
  assert.equal(new TextDecoder().decode((await reader.read()).value).trim(), "locked");
  lines.length = 0;
  let done = false;
  const retrained = loadClassifier(dataset, { ...options, cache: "refresh" }).then((c) => {
    done = true;
    return c;
  });
  const waiting = () => lines.some((l) => l.startsWith("Waiting for another process"));
  for (let waited = 0; !waiting() && waited < 60_000; waited += 50) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  assert.ok(waiting(), lines.join("\n"));
  assert.equal(done, false);
  holder.kill("SIGKILL");
  await holder.status;
  reader.releaseLock();
  await holder.stdout.cancel();
  const c = await retrained;
  assert.equal(c.path, a.path);
  a.dispose();
  b.dispose();
  c.dispose();
  dataset.dispose!();
  await Deno.remove(cacheDir, { recursive: true });
});

Deno.test("sharedClassifier trains the default CNN once per process, in GANTRY_CACHE", async () => {
  // wasm: the cpu backend's convolutions take seconds a step even on 8×8 images.
  await useBackend("wasm");
  const cacheDir = await Deno.makeTempDir();
  const previous = Deno.env.get("GANTRY_CACHE");
  Deno.env.set("GANTRY_CACHE", cacheDir);
  const dataset = toyImages(32, 16, "toy-shared");
  try {
    const [a, b] = await Promise.all([sharedClassifier(dataset), sharedClassifier(dataset)]);
    assert.equal(a, b);
    assert.equal(a.info.architecture, CNN.name);
    assert.ok(a.path!.startsWith(join(cacheDir, "classifiers", "toy-shared", "cnn-v2-")));
    const features = a.features(dataset.splits!.test!.x);
    assert.deepEqual(features.shape, [16, 128]);
    features.dispose();
  } finally {
    if (previous === undefined) Deno.env.delete("GANTRY_CACHE");
    else Deno.env.set("GANTRY_CACHE", previous);
    dataset.dispose!();
    await Deno.remove(cacheDir, { recursive: true });
  }
});

Deno.test("without info.digest the cache is keyed by a hash of the training split", async () => {
  await useBackend("cpu");
  const cacheDir = await Deno.makeTempDir();
  const [a, b] = [toyImages(16, 4), toyImages(16, 4)];
  const options = {
    architecture: TINY,
    training: { ...quick, epochs: 1 },
    cacheDir,
    log: () => {},
  };
  const first = await loadClassifier(a, options);
  const second = await loadClassifier(b, options);
  assert.match(first.path!, /classifiers\/[0-9a-f]{64}\/tiny-test-/);
  assert.equal(second.path, first.path);
  for (const thing of [first, second, a, b]) thing.dispose!();
  await Deno.remove(cacheDir, { recursive: true });
});

Deno.test("a dataset without labels is refused with the datasets that have them", async () => {
  const dataset = toyImages(8, 4);
  delete dataset.splits!.train.labels;
  await assert.rejects(
    loadClassifier(dataset, { cache: "off" }),
    /no labelled training split \(use mnist, fashion-mnist/,
  );
  dataset.dispose!();
});

Deno.test("default epochs give about 200,000 examples, 3 to 25 passes; shifts 2 or 1 pixel", () => {
  assert.equal(resolveTraining({}, 8_000).epochs, 25);
  assert.equal(resolveTraining({}, 60_000).epochs, 3);
  assert.equal(resolveTraining({}, 100).epochs, 25);
  assert.deepEqual(
    [8_000, 60_000].map((n) => {
      const { shift, rotation, zoom } = resolveTraining({}, n);
      return { shift, rotation, zoom };
    }),
    [{ shift: 2, rotation: 10, zoom: 0.1 }, { shift: 1, rotation: 0, zoom: 0 }],
  );
  assert.equal(resolveTraining({ subset: 500 }, 60_000).subset, 500);
  assert.equal(resolveTraining({ subset: 500 }, 100).subset, 100);
});

Deno.test("affine augmentation: a shift equals shiftInto's; a quarter turn turns", () => {
  const image = Float32Array.from({ length: 2 * 64 }, (_, i) => Math.sin(i));
  for (const [dy, dx] of [[0, 0], [1, -2], [-3, 2]]) {
    const [a, b] = [new Float32Array(64), new Float32Array(64)];
    shiftInto(image, 1, [8, 8, 1], a, 0, dy, dx);
    affineInto(image, 1, [8, 8, 1], b, 0, { angle: 0, scale: 1, dy, dx });
    b.forEach((v, i) => assert.ok(Math.abs(v - a[i]) < 1e-6));
  }
  const out = new Float32Array(9);
  affineInto(Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9]), 0, [3, 3, 1], out, 0, {
    angle: Math.PI / 2,
    scale: 1,
    dy: 0,
    dx: 0,
  });
  assert.deepEqual([...out].map(Math.round), [7, 4, 1, 8, 5, 2, 9, 6, 3]);
  // Scaling about the centre: by 2, a corner samples halfway to the centre (the mean of four
  // pixels); by 1/2, it samples outside the image (the background, -1).
  const dot = Float32Array.from([1, 1, 1, 1, 5, 1, 1, 1, 1]);
  affineInto(dot, 0, [3, 3, 1], out, 0, { angle: 0, scale: 2, dy: 0, dx: 0 });
  assert.deepEqual([out[0], out[4], out[8]], [2, 5, 2]);
  affineInto(dot, 0, [3, 3, 1], out, 0, { angle: 0, scale: 0.5, dy: 0, dx: 0 });
  assert.deepEqual([out[0], out[4], out[8]], [-1, 5, -1]);
});

Deno.test("shift augmentation moves an image and fills with the background", () => {
  // One 3×3 image with 2 channels: value = 10·row + col, channel 1 negated.
  const image = new Float32Array(18);
  for (let p = 0; p < 9; p++) {
    [image[2 * p], image[2 * p + 1]] = [10 * Math.floor(p / 3) + p % 3, -p];
  }
  const out = new Float32Array(36).fill(7);
  shiftInto(image, 0, [3, 3, 2], out, 1, 1, -1);
  assert.deepEqual(out.subarray(0, 18), new Float32Array(18).fill(7));
  const channel0 = [...out.subarray(18)].filter((_, i) => i % 2 === 0);
  assert.deepEqual(channel0, [-1, -1, -1, 1, 2, -1, 11, 12, -1]);
  const channel1 = [...out.subarray(18)].filter((_, i) => i % 2 === 1);
  assert.deepEqual(channel1, [-1, -1, -1, -1, -2, -1, -4, -5, -1]);
  shiftInto(image, 0, [3, 3, 2], out, 0, 0, 0);
  assert.deepEqual(out.subarray(0, 18), image);
});
