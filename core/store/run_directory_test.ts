import assert from "node:assert/strict";
import { join } from "node:path";
import { tf, tfl } from "../../deps.ts";
import { useBackend } from "../backend/select.ts";
import { ConfigError, RunDirectoryError } from "../contract/errors.ts";
import { hashConfig } from "../config/hash.ts";
import { type ExperimentInput, parseConfig } from "../config/schema.ts";
import { saveCheckpoint } from "./checkpoint.ts";
import {
  readMetricsRows,
  readSamplePngs,
  readTrainRows,
  RunDirectory,
  runPaths,
  writeEvaluation,
} from "./run_directory.ts";

const config = (input: Partial<ExperimentInput> = {}) =>
  parseConfig({ dataset: "ring-8", train: { steps: 100 }, ...input });

async function request(input: Partial<ExperimentInput> = {}) {
  const resolved = config(input);
  return { config: resolved, configHash: await hashConfig(resolved) };
}

await useBackend("cpu");

/** A one-layer model: the checkpoints below hold two, as G and D. */
function tinyModel(name: string): tfl.LayersModel {
  const input = tfl.input({ shape: [2] });
  const output = tfl.layers.dense({ units: 2 }).apply(input) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: output, name });
}

/** A run directory as a run checkpointed at `step` leaves it (with tiny networks). */
async function checkpointed(step: number, made = config(), { keepConfig = true } = {}) {
  const dir = await Deno.makeTempDir();
  const networks = {
    latentDim: 2,
    latentDistribution: "normal" as const,
    generator: tinyModel("generator"),
    discriminator: tinyModel("discriminator"),
  };
  const optimizers = { discriminator: tf.train.sgd(0.1), generator: tf.train.sgd(0.1) };
  await saveCheckpoint(
    join(dir, "checkpoint"),
    {
      step,
      configHash: await hashConfig(made),
      ...(keepConfig ? { config: made } : {}),
      rng: { data: [1, 2, 3, 4], noise: [5, 6, 7, 8] },
      latentDim: 2,
      latentDistribution: "normal",
      dataset: { shape: [2], kind: "points" },
    },
    networks,
    optimizers,
  );
  networks.generator.dispose();
  networks.discriminator.dispose();
  await Deno.writeTextFile(join(dir, "config.json"), JSON.stringify(made));
  return dir;
}

const names = (dir: string) => [...Deno.readDirSync(dir)].map((e) => e.name).sort();

Deno.test("a new directory starts afresh; opening creates it with samples/", async () => {
  const dir = join(await Deno.makeTempDir(), "run");
  const plan = await RunDirectory.plan(dir, await request());
  assert.equal(plan.resume, undefined);
  await assert.rejects(() => Deno.stat(dir), Deno.errors.NotFound, "planning writes nothing");
  const directory = await plan.open();
  assert.deepEqual(names(dir), ["samples"]);
  await directory.writeConfig(config());
  await directory.appendMetrics({ step: 10, dLoss: 1, gLoss: 2, dReal: 0.5, dFake: 0.4, modes: 3 });
  const sample = await directory.writeSamples(10, new Uint8Array([1, 2, 3]));
  assert.equal(sample, join(dir, "samples", "step-000010.png"));
  assert.deepEqual(names(dir), ["config.json", "metrics.jsonl", "samples"]);
  assert.deepEqual((await readMetricsRows(dir)).map((row) => row.modes), [3]);
  assert.deepEqual(await readSamplePngs(dir), [{ step: 10, png: new Uint8Array([1, 2, 3]) }]);
  assert.deepEqual(runPaths(dir), {
    samples: join(dir, "samples"),
    metrics: join(dir, "metrics.jsonl"),
    train: join(dir, "train.jsonl"),
    result: join(dir, "result.json"),
    drawn: join(dir, "samples", "drawn.png"),
  });
});

Deno.test("an earlier run is refused in a sentence; overwrite clears its outputs only on open", async () => {
  const dir = await checkpointed(10);
  for (
    const file of ["result.json", "metrics.jsonl", "labeled.json", "eval-mnist.json", "notes.txt"]
  ) {
    await Deno.writeTextFile(join(dir, file), "{}");
  }
  await Deno.mkdir(join(dir, "checkpoint.tmp-1"));
  await Deno.mkdir(join(dir, "samples"));
  await Deno.writeTextFile(join(dir, "samples", "step-000010.png"), "");
  await Deno.writeTextFile(join(dir, "samples", "drawn.png"), "");
  const before = names(dir);
  await assert.rejects(
    async () => await RunDirectory.plan(dir, await request()),
    (error: Error) =>
      error instanceof RunDirectoryError && error instanceof ConfigError &&
      error.runDir === dir &&
      error.message === `${dir} holds a run checkpointed at step 10: resume it (--resume), ` +
          "start it again (--overwrite) or train into another directory (--out)",
  );
  const plan = await RunDirectory.plan(dir, { ...await request(), overwrite: true });
  assert.deepEqual(names(dir), before, "nothing removed before the run is built and opened");
  await plan.open();
  assert.deepEqual(names(dir), ["config.json", "notes.txt", "samples"]);
  assert.deepEqual(names(join(dir, "samples")), ["drawn.png"]);
});

Deno.test("resume extends a run or adds a later decay; other configs and too few steps are refused", async () => {
  const dir = await checkpointed(50);
  const longer = await RunDirectory.plan(dir, {
    ...await request({ train: { steps: 200 } }),
    resume: true,
  });
  assert.equal(longer.resume?.step, 50);
  const annealed = await request({
    train: { steps: 200, optimizer: { decay: { start: 60, end: 200 } } },
  });
  assert.equal((await RunDirectory.plan(dir, { ...annealed, resume: true })).resume?.step, 50);
  const refusals: [Partial<ExperimentInput>, RegExp][] = [
    [{ seed: 2 }, /^Cannot resume: the checkpoint was made with config [0-9a-f]{16}, this config/],
    [{ train: { steps: 100, optimizer: { decay: { start: 40, end: 100 } } } }, /step 50$/],
    [
      { train: { steps: 40 } },
      /^Cannot resume: the checkpoint is at step 50, past train\.steps 40/,
    ],
  ];
  for (const [input, message] of refusals) {
    await assert.rejects(
      async () => await RunDirectory.plan(dir, { ...await request(input), resume: true }),
      (error: Error) => error instanceof RunDirectoryError && message.test(error.message),
      JSON.stringify(input),
    );
  }
});

Deno.test("a checkpoint without its own config trusts config.json only when that made it", async () => {
  const dir = await checkpointed(50, config(), { keepConfig: false });
  const longer = { ...await request({ train: { steps: 200 } }), resume: true };
  assert.equal((await RunDirectory.plan(dir, longer)).resume?.step, 50);
  await Deno.writeTextFile(join(dir, "config.json"), JSON.stringify(config({ seed: 3 })));
  await assert.rejects(() => RunDirectory.plan(dir, longer), /Cannot resume/);
});

Deno.test("a resumed directory keeps metrics.jsonl up to the checkpoint's step", async () => {
  const dir = await checkpointed(20);
  const row = (step: number) => ({ step, dLoss: 1, gLoss: 1, dReal: 0.5, dFake: 0.5, modes: step });
  await Deno.writeTextFile(
    join(dir, "metrics.jsonl"),
    [10, 20, 30].map((step) => JSON.stringify(row(step))).join("\n") + "\n",
  );
  const directory = await (await RunDirectory.plan(dir, { ...await request(), resume: true }))
    .open();
  assert.equal(directory.lastMetricsRow()?.step, 20);
  await directory.appendMetrics(row(25));
  assert.deepEqual((await readMetricsRows(dir)).map((r) => r.step), [10, 20, 25]);
  const path = await writeEvaluation(dir, "mnist", { metrics: { modes: 8 } });
  assert.equal(path, join(dir, "eval-mnist.json"));
  assert.deepEqual(JSON.parse(await Deno.readTextFile(path)), { metrics: { modes: 8 } });
});

Deno.test("a resumed directory cuts train.jsonl back to the checkpoint, torn line and all", async () => {
  const dir = await checkpointed(20);
  const row = (step: number) => ({
    step,
    dLoss: 1,
    gLoss: 1,
    dReal: 0.5,
    dFake: 0.5,
    lr: 0.001,
    stepsPerSecond: 10,
    time: 1e9 + step,
  });
  // A run killed at step 35 as it wrote its row: the line is torn.
  const lines = [10, 20, 30].map((step) => JSON.stringify(row(step)));
  await Deno.writeTextFile(join(dir, "train.jsonl"), lines.join("\n") + '\n{"step":35,"dLo');
  assert.deepEqual((await readTrainRows(dir)).map((r) => r.step), [10, 20, 30]);
  const directory = await (await RunDirectory.plan(dir, { ...await request(), resume: true }))
    .open();
  assert.equal(
    await Deno.readTextFile(join(dir, "train.jsonl")),
    lines.slice(0, 2).join("\n") + "\n",
  );
  await directory.appendTrainRow(row(30));
  assert.deepEqual(await readTrainRows(dir), [row(10), row(20), row(30)]);
});

Deno.test("resume without a checkpoint starts afresh, clearing an earlier run's outputs", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(join(dir, "result.json"), "{}");
  await Deno.writeTextFile(join(dir, "metrics.jsonl"), "");
  const plan = await RunDirectory.plan(dir, { ...await request(), resume: true });
  assert.equal(plan.resume, undefined);
  assert.deepEqual(names(dir), ["metrics.jsonl", "result.json"], "nothing removed before open");
  await plan.open();
  assert.deepEqual(names(dir), ["samples"]);
});

Deno.test("a checkpoint a crash left as checkpoint.old is resumed from, and counts as a run", async () => {
  const dir = await checkpointed(30);
  await Deno.rename(join(dir, "checkpoint"), join(dir, "checkpoint.old"));
  const plan = await RunDirectory.plan(dir, { ...await request(), resume: true });
  assert.equal(plan.resume?.step, 30);
  await assert.rejects(
    async () => await RunDirectory.plan(dir, await request()),
    /holds a run checkpointed at step 30/,
  );
});

Deno.test("an unreadable checkpoint is refused naming its file, or started afresh when asked", async () => {
  const dir = await checkpointed(30);
  const weights = join(dir, "checkpoint", "generator", "weights.bin");
  await Deno.writeFile(weights, new Uint8Array(3));
  await assert.rejects(
    async () => RunDirectory.plan(dir, { ...(await request()), resume: true }),
    (error: Error) =>
      error instanceof RunDirectoryError &&
      error.message.startsWith(
        `Cannot read the checkpoint of ${dir}: ${weights} has 3 bytes; model.json describes 24`,
      ),
  );
  const reported: string[] = [];
  const plan = await RunDirectory.plan(dir, {
    ...(await request()),
    resume: true,
    onUnreadableCheckpoint: (error) => reported.push(error.message),
  });
  assert.equal(plan.resume, undefined);
  assert.equal(reported.length, 1);
  await plan.open();
  // Set aside, not deleted.
  const [aside, ...rest] = names(dir);
  assert.match(aside, /^checkpoint\.unreadable-\d+$/);
  assert.deepEqual(rest, ["config.json", "samples"]);
  assert.ok((await Deno.stat(join(dir, aside, "generator", "weights.bin"))).isFile);
});
