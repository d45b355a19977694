import assert from "node:assert/strict";
import { join } from "node:path";
import { useBackend } from "../core/backend/select.ts";
import { checkCores } from "../core/cli/ablate.ts";
import { applyOverrides } from "../core/config/overrides.ts";
import { parseConfig } from "../core/config/schema.ts";
import { runCli, runScript } from "./_cli.ts";

const ring = {
  name: "threads-ring",
  dataset: "ring-8",
  backend: "wasm",
  architecture: { name: "mlp", options: { hidden: [64, 64], latentDim: 8 } },
  train: { steps: 60, batchSize: 32, logEvery: 20, checkpointEvery: 30 },
  evaluate: { every: 30, metrics: ["mode-coverage"] },
};

async function trainRing(dir: string, name: string, args: string[]) {
  const out = join(dir, name);
  const { code, stderr } = await runCli(["train", join(dir, "ring.json"), "--out", out, ...args]);
  assert.equal(code, 0, stderr);
  const read = (file: string) => Deno.readTextFile(join(out, file));
  return {
    stderr,
    metrics: await read("metrics.jsonl"),
    result: JSON.parse(await read("result.json")),
  };
}

Deno.test("threaded wasm trains, says and records its threads, and matches one thread exactly", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(join(dir, "ring.json"), JSON.stringify(ring));
  const one = await trainRing(dir, "one", []);
  const two = await trainRing(dir, "two", ["--threads", "2"]);
  assert.match(two.stderr, /training threads-ring on wasm with 2 thread\(s\)/);
  assert.equal(one.result.threads, 1);
  assert.equal(two.result.threads, 2);
  assert.equal(two.result.status, "ok");
  assert.equal(two.metrics.trim().split("\n").length, 2);
  // XNNPACK gives each output to one thread: the numbers do not depend on the thread count.
  assert.equal(two.metrics, one.metrics);
  assert.equal(two.result.configHash, one.result.configHash);
  // A run resumes with another thread count, and goes on as the uninterrupted one did.
  const { code, stderr } = await runCli([
    "train",
    join(dir, "ring.json"),
    "--out",
    join(dir, "one"),
    "--resume",
    "--threads",
    "2",
    "--steps",
    "90",
  ]);
  assert.equal(code, 0, stderr);
  const longer = await trainRing(dir, "longer", ["--steps", "90"]);
  assert.equal(await Deno.readTextFile(join(dir, "one", "metrics.jsonl")), longer.metrics);
});

Deno.test("an MNIST MLP, its large products split between threads, trains as on one thread", async () => {
  const dir = await Deno.makeTempDir();
  // 64×784 by 784×512 is 25.7M multiply-adds, past SPLIT_PRODUCT: gantry's kernel runs its
  // columns on the pool's worker as well (wasm_product_pool.ts).
  const mnist = {
    name: "threads-mnist",
    dataset: "mnist",
    backend: "wasm",
    architecture: {
      name: "mlp",
      options: { generatorHidden: [256, 512], discriminatorHidden: [512, 256], latentDim: 100 },
    },
    train: { steps: 6, batchSize: 64, logEvery: 2, checkpointEvery: 6 },
    evaluate: { every: 6, metrics: [], samples: 16 },
  };
  await Deno.writeTextFile(join(dir, "mnist.json"), JSON.stringify(mnist));
  const files = [
    "metrics.jsonl",
    "checkpoint/generator/weights.bin",
    "checkpoint/discriminator/weights.bin",
    "checkpoint/optimizers.bin",
    "samples/step-000006.png",
  ];
  const outputs: Uint8Array[][] = [];
  for (const threads of ["1", "2"]) {
    const out = join(dir, threads);
    const args = ["train", join(dir, "mnist.json"), "--out", out, "--threads", threads];
    const { code, stderr } = await runCli(args);
    assert.equal(code, 0, stderr);
    assert.match(stderr, new RegExp(`on wasm with ${threads} thread\\(s\\)`));
    outputs.push(await Promise.all(files.map((file) => Deno.readFile(join(out, file)))));
  }
  files.forEach((file, i) => assert.deepEqual(outputs[1][i], outputs[0][i], file));
});

Deno.test("backend threads: bounds in the config, --threads sets them, a started wasm keeps its own", async () => {
  const base = { dataset: "ring-8" };
  assert.deepEqual(applyOverrides(base, { threads: 4 }), {
    ...base,
    backend: { name: "auto", threads: 4 },
  });
  assert.deepEqual(
    applyOverrides({ ...base, backend: { name: "wasm", threads: 2 } }, { backend: "cpu" }),
    { ...base, backend: { name: "cpu", threads: 2 } },
  );
  assert.deepEqual(applyOverrides({ ...base, backend: "wasm" }, { backend: "cpu" }), {
    ...base,
    backend: "cpu",
  });
  assert.throws(
    () => parseConfig({ ...base, backend: { name: "wasm", threads: 9 } }),
    /backend\.threads: Too big: expected number to be <=8/,
  );
  assert.throws(
    () => parseConfig({ ...base, backend: "gpu" }),
    /backend: expected auto, webgpu, wasm or cpu, or \{ "name": \.\.\., "threads": N \}/,
  );
  await useBackend("wasm");
  await assert.rejects(
    () => useBackend("wasm", 2),
    /Cannot use wasm with 2 thread\(s\): this process started it with 1/,
  );
});

Deno.test("ablate refuses more threads at once than cores", () => {
  assert.throws(
    () => checkCores(2, [2, 2, 1], 2),
    /--workers 2 x 2 wasm threads \(backend\.threads\) = 4 would exceed this machine's 2 cores/,
  );
  checkCores(2, [1, 1], 2);
  checkCores(4, [2], 2); // one cell: one lane
  checkCores(1, [8], 8);
});

Deno.test("a script that trains with wasm threads ends by itself, without Deno.exit", async () => {
  const dir = await Deno.makeTempDir();
  const script = join(dir, "threaded.ts");
  const mod = new URL("../mod.ts", import.meta.url).href;
  await Deno.writeTextFile(
    script,
    `import { builtinRegistry, train } from ${JSON.stringify(mod)};
const config = ${JSON.stringify({ ...ring, backend: { name: "wasm", threads: 2 } })};
const result = await train(config, { registry: builtinRegistry() });
console.log(result.status, result.threads);
`,
  );
  // Idle pthreads held the process open: without the fix this is killed at the deadline.
  const { code, signal, stdout, stderr } = await runScript(script);
  assert.equal(signal, null, `killed at the deadline: ${stderr}`);
  assert.equal(code, 0, stderr);
  assert.equal(stdout.trim(), "ok 2");
});
