import assert from "node:assert/strict";
import { join } from "node:path";
import { tf, tfl } from "../../deps.ts";
import { useBackend } from "../backend/select.ts";
import type { Networks } from "../contract/plugin.ts";
import * as checkpoint from "./checkpoint.ts";
import type { Optimizers } from "./optimizer_state.ts";

await useBackend("cpu");

function dense(name: string, units: number): tfl.LayersModel {
  const input = tfl.input({ shape: [3] });
  const layer = tfl.layers.dense({
    units,
    kernelInitializer: tfl.initializers.glorotUniform({ seed: units }),
  });
  return tfl.model({ inputs: input, outputs: layer.apply(input) as tfl.SymbolicTensor, name });
}

/** Two tiny players, each trained for two Adam steps so that its optimizer has state. */
function players(): { networks: Networks; optimizers: Optimizers } {
  const networks: Networks = {
    latentDim: 3,
    latentDistribution: "normal",
    generator: dense("generator", 3),
    discriminator: dense("discriminator", 1),
  };
  const optimizers = { discriminator: tf.train.adam(0.01), generator: tf.train.adam(0.01) };
  for (
    const [side, model] of [["discriminator", networks.discriminator], [
      "generator",
      networks.generator,
    ]] as const
  ) {
    const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
    for (let i = 0; i < 2; i++) {
      optimizers[side].minimize(
        () => tf.mean(tf.square(model.apply(tf.ones([2, 3])) as tf.Tensor)) as tf.Scalar,
        false,
        variables,
      );
    }
  }
  return { networks, optimizers };
}

const record = (step: number): checkpoint.CheckpointRecord => ({
  step,
  configHash: "0123456789abcdef",
  rng: { data: [1, 2, 3, 4], noise: [5, 6, 7, 8] },
  latentDim: 3,
  latentDistribution: "normal",
  dataset: { shape: [3], kind: "points" },
});

const values = (tensors: tf.Tensor[]) => Promise.all(tensors.map((t) => t.data()));

Deno.test("a checkpoint round-trips weights, optimizer state bit for bit and plugin state by owner", async () => {
  const dir = join(await Deno.makeTempDir(), "checkpoint");
  const { networks, optimizers } = players();
  const average = tf.tensor1d([0.5, -1]);
  const counter = tf.tensor1d([7], "int32");
  await checkpoint.saveCheckpoint(dir, record(40), networks, optimizers, {
    "evaluate.ema": { "0": average, decay: 0.99 },
    "regularizers[0]": { count: counter, name: "h" },
  });
  const loaded = (await checkpoint.loadCheckpoint(dir))!;
  assert.deepEqual(loaded.state.step, 40);
  assert.deepEqual(loaded.state.rng, record(40).rng);
  assert.deepEqual(await values(loaded.generator), await values(networks.generator.getWeights()));
  assert.deepEqual(
    await values(loaded.discriminator),
    await values(networks.discriminator.getWeights()),
  );
  for (const side of ["discriminator", "generator"] as const) {
    const saved = loaded.optimizers[side];
    const own = await optimizers[side].getWeights();
    // getWeights (the step count, both moments), then Adam's running β powers.
    assert.deepEqual(saved.map((w) => w.name), [...own.map((w) => w.name), "accBeta1", "accBeta2"]);
    assert.deepEqual(
      await values(saved.slice(0, own.length).map((w) => w.tensor)),
      await values(own.map((w) => w.tensor)),
    );
    const powers = optimizers[side] as unknown as { accBeta1: tf.Variable };
    assert.deepEqual(await saved.at(-2)!.tensor.data(), await powers.accBeta1.data());
  }
  assert.deepEqual(Object.keys(loaded.plugins), ["evaluate.ema", "regularizers[0]"]);
  assert.equal(loaded.plugins["evaluate.ema"].decay, 0.99);
  assert.deepEqual(
    await (loaded.plugins["evaluate.ema"]["0"] as tf.Tensor).data(),
    await average.data(),
  );
  const count = loaded.plugins["regularizers[0]"].count as tf.Tensor;
  assert.equal(count.dtype, "int32");
  assert.deepEqual([...await count.data()], [7]);
  assert.equal(loaded.plugins["regularizers[0]"].name, "h");
  const generator = (await checkpoint.loadCheckpointGenerator(dir))!;
  assert.equal(generator.name, "generator");
  generator.dispose();
  checkpoint.disposeCheckpoint(loaded);
});

Deno.test("a save replaces the checkpoint whole; a swap's leftover .old is read, then put back", async () => {
  const parent = await Deno.makeTempDir();
  const dir = join(parent, "checkpoint");
  const { networks, optimizers } = players();
  await checkpoint.saveCheckpoint(dir, record(10), networks, optimizers);
  await checkpoint.saveCheckpoint(dir, record(20), networks, optimizers);
  assert.equal((await checkpoint.loadCheckpointState(dir))?.step, 20);
  assert.deepEqual([...Deno.readDirSync(parent)].map((e) => e.name), ["checkpoint"]);
  // A crash between the swap's two renames: only checkpoint.old, and a temp dir, remain.
  await Deno.rename(dir, `${dir}.old`);
  await Deno.mkdir(`${dir}.tmp-99`);
  assert.equal((await checkpoint.loadCheckpointState(dir))?.step, 20);
  await checkpoint.saveCheckpoint(dir, record(30), networks, optimizers);
  assert.deepEqual([...Deno.readDirSync(parent)].map((e) => e.name), ["checkpoint"]);
  assert.equal((await checkpoint.loadCheckpointState(dir))?.step, 30);
  await Deno.mkdir(`${dir}.tmp-1`);
  await checkpoint.removeCheckpoint(dir);
  assert.deepEqual([...Deno.readDirSync(parent)], []);
  assert.equal(await checkpoint.loadCheckpointState(dir), undefined);
  assert.equal(await checkpoint.loadCheckpoint(dir), undefined);
});

Deno.test("a truncated tensor file and an unstorable dtype are refused by name", async () => {
  const dir = join(await Deno.makeTempDir(), "checkpoint");
  const { networks, optimizers } = players();
  const flags = tf.tensor1d([true, false], "bool");
  await assert.rejects(
    () =>
      checkpoint.saveCheckpoint(dir, record(1), networks, optimizers, { "addons[0]": { flags } }),
    /Cannot checkpoint "flags": its dtype is bool/,
  );
  await checkpoint.saveCheckpoint(dir, record(1), networks, optimizers);
  const file = join(dir, "optimizers.bin");
  const bytes = await Deno.readFile(file);
  await Deno.writeFile(file, bytes.slice(0, 12));
  await assert.rejects(
    () => checkpoint.loadCheckpoint(dir),
    new RegExp(
      `optimizers\\.bin: expected ${bytes.length} bytes as state\\.json describes, found 12`,
    ),
  );
});
