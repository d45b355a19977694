import assert from "node:assert/strict";
import { join, relative } from "node:path";
import { tf, tfl } from "../deps.ts";
import { useBackend } from "../core/backend/select.ts";
import { builtinRegistry } from "../builtins.ts";
import { train } from "../core/train/train.ts";
import { encodeIdx } from "../datasets/_idx_format.ts";
import { createRng } from "../core/contract/rng.ts";
import mnist from "../datasets/mnist.ts";
import { runCli } from "./_cli.ts";

/** The embedded MNIST test split as an IDX image/label pair of files. */
async function writeTestSplitAsIdx(dir: string): Promise<{ images: string; labels: string }> {
  const dataset = await mnist.create({
    tf,
    layers: tfl,
    options: mnist.options!.parse({}),
    rng: createRng(1),
  });
  const test = dataset.splits!.test!;
  const pixels = await test.x.data();
  const labels = await test.labels!.data();
  dataset.dispose!();
  const bytes = Uint8Array.from(pixels, (v) => Math.round((v + 1) * 127.5));
  const paths = { images: join(dir, "test-images.idx.gz"), labels: join(dir, "test-labels.idx") };
  const gzip = new Blob([encodeIdx(bytes, [labels.length, 28, 28])]).stream()
    .pipeThrough(new CompressionStream("gzip"));
  await Deno.writeFile(paths.images, new Uint8Array(await new Response(gzip).arrayBuffer()));
  await Deno.writeFile(paths.labels, encodeIdx(Uint8Array.from(labels), [labels.length]));
  return paths;
}

Deno.test("eval scores a saved run on its dataset and on an IDX pair given on the command line", async () => {
  await useBackend("cpu");
  const dir = await Deno.makeTempDir();
  const runDir = join(dir, "run");
  const result = await train({
    name: "eval",
    backend: "cpu",
    // Not the IDX default range: the files must be scaled as the run's data was.
    dataset: { name: "mnist", options: { range: [0, 1] } },
    architecture: { name: "mlp", options: { hidden: [32], latentDim: 8 } },
    semiSupervised: { labels: 20 },
    train: { steps: 20, batchSize: 16 },
    evaluate: { every: 20, metrics: ["semi-supervised-error"], ema: 0.9 },
  }, { registry: builtinRegistry(), outDir: runDir });
  assert.equal(result.status, "ok", result.error);

  const own = await runCli(["eval", runDir, "--dataset", "mnist", "--backend", "cpu"]);
  assert.equal(own.code, 0, own.stderr);
  const mnistEval = JSON.parse(await Deno.readTextFile(join(runDir, "eval-mnist.json")));
  assert.equal(mnistEval.step, 20);
  // The checkpoint holds D and its moving average, so eval reproduces training's last score.
  assert.deepEqual(mnistEval.metrics, result.metrics);

  const files = await writeTestSplitAsIdx(dir);
  const idx = await runCli([
    "eval",
    runDir,
    "--dataset",
    "idx",
    "--images",
    files.images,
    "--labels",
    files.labels,
    "--metrics",
    "semi-supervised-error",
    "--backend",
    "cpu",
  ]);
  assert.equal(idx.code, 0, idx.stderr);
  const idxEval = JSON.parse(await Deno.readTextFile(join(runDir, "eval-idx.json")));
  assert.equal(idxEval.dataset.options.images, files.images);
  assert.deepEqual(idxEval.dataset.options.range, [0, 1]);
  assert.equal(idxEval.metrics.testErrors, result.metrics.testErrors);
  assert.match(idx.stdout, /testErrors=\d+\nwritten: .*eval-idx\.json/);

  const wrongShape = await runCli(["eval", runDir, "--dataset", "ring-8", "--backend", "cpu"]);
  assert.equal(wrongShape.code, 1);
  assert.match(
    wrongShape.stderr,
    /dataset "ring-8" has examples of shape \[2\], expected \[28,28,1\]/,
  );
  const truncated = join(dir, "truncated.idx");
  await Deno.writeFile(truncated, (await Deno.readFile(files.labels)).slice(0, 100));
  const bad = await runCli([
    "eval",
    runDir,
    "--dataset",
    "idx",
    "--images",
    files.images,
    "--labels",
    truncated,
    "--backend",
    "cpu",
  ]);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /truncated\.idx/);
  const missing = await runCli(["eval", join(dir, "nowhere")]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /nowhere: it has no config\.json/);
});

Deno.test("eval and sample find a run's plugins given with --plugin, and say so when they cannot", async () => {
  const root = new URL("..", import.meta.url).pathname;
  const dir = await Deno.makeTempDir();
  const configPath = join(dir, "config.json");
  // Named relative to the config file, as a user's config does.
  const plugin = relative(dir, join(root, "examples", "least_squares.ts"));
  await Deno.writeTextFile(
    configPath,
    JSON.stringify({
      name: "ls",
      plugins: [plugin],
      dataset: "ring-8",
      backend: "cpu",
      architecture: { name: "mlp", options: { hidden: [8], latentDim: 2 } },
      loss: "least-squares",
      train: { steps: 5, batchSize: 8 },
      evaluate: { every: 5, metrics: [{ name: "mode-coverage", options: { samples: 50 } }] },
    }),
  );
  const runDir = join(dir, "run");
  const trained = await runCli(["train", configPath, "--out", runDir]);
  assert.equal(trained.code, 0, trained.stderr);
  // From another directory than the config's, that relative name misses the module.
  const elsewhere = { cwd: runDir };
  const lost = await runCli(["eval", "."], elsewhere);
  assert.equal(lost.code, 1);
  assert.match(lost.stderr, /Cannot load plugin module .*least_squares\.ts/);
  assert.match(lost.stderr, /named relative to its config file: give their modules with --plugin/);
  const module = join(root, "examples", "least_squares.ts");
  const found = await runCli(["eval", ".", "--plugin", module], elsewhere);
  assert.equal(found.code, 0, found.stderr);
  assert.match(found.stdout, /modes=\d/);
  // sample loads them the same way (a generator may use a plugin's layers).
  const unsampled = await runCli(["sample", "."], elsewhere);
  assert.equal(unsampled.code, 1);
  assert.match(unsampled.stderr, /give their modules with --plugin/);
  const sampled = await runCli(["sample", ".", "--plugin", module], elsewhere);
  assert.equal(sampled.code, 0, sampled.stderr);
});
