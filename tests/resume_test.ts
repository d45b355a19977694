import assert from "node:assert/strict";
import { join } from "node:path";
import { tf } from "../deps.ts";
import { loadGenerator, readCheckpointState, readTrainRows } from "../core/store/run_directory.ts";
import { builtinRegistry } from "../builtins.ts";
import { parseConfig } from "../core/config/schema.ts";
import { resolveExperiment } from "../core/config/experiment.ts";
import { CLOCK_FIELDS } from "../core/store/run_records.ts";
import { runCli } from "./_cli.ts";

const root = new URL("..", import.meta.url).pathname;

const config = {
  name: "resume",
  dataset: "ring-8",
  backend: "cpu",
  architecture: {
    name: "mlp",
    options: { hidden: [16, 16], latentDim: 4, generatorBatchNorm: true },
  },
  discriminator: {
    addons: ["batch-norm", { name: "minibatch-discrimination", options: { kernels: 4, dims: 2 } }],
  },
  // Logged between checkpoints: a killed run has train.jsonl rows past its checkpoint.
  train: { steps: 400, batchSize: 16, checkpointEvery: 50, logEvery: 10 },
  evaluate: { every: 50, metrics: [{ name: "mode-coverage", options: { samples: 200 } }] },
};

/** A run of `config` trained for 50 steps in a fresh directory: its config file and run dir. */
async function trainedFor50Steps(): Promise<{ dir: string; path: string; out: string }> {
  const dir = await Deno.makeTempDir();
  const path = join(dir, "config.json");
  await Deno.writeTextFile(
    path,
    JSON.stringify({ ...config, train: { ...config.train, steps: 50 } }),
  );
  const out = join(dir, "run");
  assert.equal((await runCli(["train", path, "--out", out])).code, 0);
  return { dir, path, out };
}

/** A run's train.jsonl rows without the clock's fields, each row's text checked as written. */
async function trainRows(runDir: string): Promise<Record<string, number>[]> {
  const lines = (await Deno.readTextFile(join(runDir, "train.jsonl"))).split("\n");
  assert.equal(lines.pop(), "", "train.jsonl does not end with a newline");
  return lines.map((line) => {
    const row = JSON.parse(line);
    for (const field of CLOCK_FIELDS) {
      assert.equal(typeof row[field], "number", `${field} in ${line}`);
      delete row[field];
    }
    return row;
  });
}

/** The values of the trainable weights of a run's checkpointed generator. */
async function trainableWeights(runDir: string): Promise<number[][]> {
  await tf.setBackend("cpu");
  const generator = await loadGenerator(runDir);
  const values = await Promise.all(generator.getWeights(true).map((w) => w.data()));
  generator.dispose();
  return values.map((v) => Array.from(v));
}

Deno.test("killed with SIGKILL and resumed, a run ends exactly as an uninterrupted one", async () => {
  const dir = await Deno.makeTempDir();
  const path = join(dir, "config.json");
  await Deno.writeTextFile(path, JSON.stringify(config));
  const whole = join(dir, "whole");
  const uninterrupted = await runCli(["train", path, "--out", whole]);
  assert.equal(uninterrupted.code, 0, uninterrupted.stderr);

  const broken = join(dir, "broken");
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", join(root, "core/cli/main.ts"), "train", path, "--out", broken],
    stdout: "null",
    stderr: "null",
  }).spawn();
  // Only a guard against hanging: a loaded machine (training jobs beside the suite) is slow.
  const deadline = Date.now() + 300_000;
  // Killed once train.jsonl has logged past a checkpoint at step 100 or later.
  const pastCheckpoint = async () => {
    const checkpoint = (await readCheckpointState(broken).catch(() => undefined))?.step ?? 0;
    const logged = (await readTrainRows(broken).catch(() => [])).at(-1)?.step ?? 0;
    return checkpoint >= 100 && logged > checkpoint;
  };
  while (!(await pastCheckpoint())) {
    assert.ok(Date.now() < deadline, "no checkpoint at step 100 within 5 minutes");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  child.kill("SIGKILL");
  await child.status;
  const killedAt = (await readCheckpointState(broken))!.step;
  assert.ok(killedAt < 400, `killed after the end (${killedAt})`);
  assert.ok((await readTrainRows(broken)).some((row) => row.step > killedAt));
  await assert.rejects(() => Deno.stat(join(broken, "result.json")), Deno.errors.NotFound);

  const resumed = await runCli(["train", path, "--out", broken, "--resume"]);
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.equal(
    await Deno.readTextFile(join(broken, "metrics.jsonl")),
    await Deno.readTextFile(join(whole, "metrics.jsonl")),
  );
  // Every logged step once, in order, with the same numbers but for the clock's.
  const [resumedRows, wholeRows] = await Promise.all([broken, whole].map(trainRows));
  assert.deepEqual(
    wholeRows.map((row) => row.step),
    Array.from({ length: 40 }, (_, i) => 10 * i + 10),
  );
  assert.deepEqual(resumedRows, wholeRows);
  const [a, b] = await Promise.all(
    [whole, broken].map(async (d) => JSON.parse(await Deno.readTextFile(join(d, "result.json")))),
  );
  assert.deepEqual(b.metrics, a.metrics);
  assert.equal(b.steps, 400);
});

Deno.test("resuming with another config is refused, more steps extend a run; a finished run samples", async () => {
  const { dir, path, out } = await trainedFor50Steps();
  const state = await readCheckpointState(out);
  assert.equal(state?.step, 50);
  await Deno.writeTextFile(
    path,
    JSON.stringify({ ...config, seed: 9, train: { ...config.train, steps: 60 } }),
  );
  const refused = await runCli(["train", path, "--out", out, "--resume"]);
  assert.equal(refused.code, 1);
  assert.match(
    refused.stderr + refused.stdout,
    /Cannot resume: the checkpoint was made with config/,
  );
  // A fresh run of that config into the same directory, killed before its first checkpoint, has
  // replaced config.json: the checkpoint still knows which config made it.
  const fresh = resolveExperiment(
    parseConfig(JSON.parse(await Deno.readTextFile(path))),
    builtinRegistry(),
  );
  await Deno.writeTextFile(join(out, "config.json"), JSON.stringify(fresh.config));
  const stale = await runCli(["train", path, "--out", out, "--resume"]);
  assert.equal(stale.code, 1);
  assert.match(stale.stderr, /Cannot resume: the checkpoint was made with config/);
  // A checkpoint from before checkpoints kept their config trusts RUN/config.json only when that
  // is the config that made it.
  const statePath = join(out, "checkpoint", "state.json");
  const { config: made, ...older } = JSON.parse(await Deno.readTextFile(statePath));
  await Deno.writeTextFile(statePath, JSON.stringify(older));
  const untrusted = await runCli(["train", path, "--out", out, "--resume"]);
  assert.equal(untrusted.code, 1);
  assert.match(untrusted.stderr, /Cannot resume: the checkpoint was made with config/);
  await Deno.writeTextFile(join(out, "config.json"), JSON.stringify(made));

  const sampled = await runCli(["sample", out, "--n", "300", "--out", join(dir, "drawn.png")]);
  assert.equal(sampled.code, 0, sampled.stderr);
  assert.match(sampled.stdout, /300 samples from step 50/);
  assert.ok((await Deno.stat(join(dir, "drawn.png"))).size > 1000);
  // Changing only train.steps extends the finished run from its checkpoint.
  const resume = async (train: Record<string, unknown>) => {
    await Deno.writeTextFile(
      path,
      JSON.stringify({ ...config, train: { ...config.train, ...train } }),
    );
    return await runCli(["train", path, "--out", out, "--resume"]);
  };
  const extended = await resume({ steps: 70 });
  assert.equal(extended.code, 0, extended.stderr);
  const rows = (await Deno.readTextFile(join(out, "metrics.jsonl"))).trim().split("\n");
  assert.deepEqual(rows.map((line) => JSON.parse(line).step), [50, 70]);
  assert.equal((await readCheckpointState(out))?.step, 70);
  // Fewer steps than the checkpoint has is refused, not reported as a finished run.
  const behind = await resume({ steps: 60 });
  assert.equal(behind.code, 1);
  assert.match(behind.stderr, /the checkpoint is at step 70, past train\.steps 60/);
  // A learning-rate decay may be added from the checkpoint's step on, not before it.
  const early = await resume({ steps: 90, optimizer: { decay: { start: 60, end: 80 } } });
  assert.equal(early.code, 1);
  assert.match(early.stderr, /add a train\.optimizer\.decay starting at or after step 70/);
  const before = await trainableWeights(out);
  // Decayed to 0 at step 71: steps 71-90 leave the weights alone (BN's running statistics move).
  const annealed = await resume({ steps: 90, optimizer: { decay: { start: 70, end: 71 } } });
  assert.equal(annealed.code, 0, annealed.stderr);
  assert.equal((await readCheckpointState(out))?.step, 90);
  assert.deepEqual(await trainableWeights(out), before);
  const missing = await runCli(["sample", dir]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /Cannot sample .*: it has no checkpoint/);
});

Deno.test("a crash between a checkpoint swap's renames: readers use checkpoint.old, a save tidies", async () => {
  const dir = await Deno.makeTempDir();
  const path = join(dir, "config.json");
  const write = (steps: number) =>
    Deno.writeTextFile(path, JSON.stringify({ ...config, train: { ...config.train, steps } }));
  await write(50);
  const out = join(dir, "run");
  assert.equal((await runCli(["train", path, "--out", out])).code, 0);
  // What a crash leaves: the old checkpoint renamed aside, the new one's temp directory.
  await Deno.rename(join(out, "checkpoint"), join(out, "checkpoint.old"));
  await Deno.mkdir(join(out, "checkpoint.tmp-999999"));
  const sampled = await runCli(["sample", out, "--n", "10"]);
  assert.equal(sampled.code, 0, sampled.stderr);
  assert.match(sampled.stdout, /10 samples from step 50/);
  await write(100);
  const resumed = await runCli(["train", path, "--out", out, "--resume"]);
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.equal((await readCheckpointState(out))?.step, 100);
  const names = [...Deno.readDirSync(out)].map((e) => e.name).filter((n) => n.startsWith("check"));
  assert.deepEqual(names, ["checkpoint"]);
});

Deno.test("a truncated checkpoint is named with its file; resuming a finished run keeps its time", async () => {
  const { path, out } = await trainedFor50Steps();
  const trained = JSON.parse(await Deno.readTextFile(join(out, "result.json")));
  const again = await runCli(["train", path, "--out", out, "--resume"]);
  assert.equal(again.code, 0, again.stderr);
  const resumed = JSON.parse(await Deno.readTextFile(join(out, "result.json")));
  assert.ok(resumed.seconds >= trained.seconds * 0.9, `${resumed.seconds} < ${trained.seconds}`);

  const weights = join(out, "checkpoint", "generator", "weights.bin");
  const bytes = await Deno.readFile(weights);
  await Deno.writeFile(weights, bytes.subarray(0, 100));
  const truncated = new RegExp(
    `Cannot read the checkpoint of ${out}: ${weights} has 100 bytes; model.json describes ` +
      `${bytes.length} \\(the file is truncated or from another model\\)`,
  );
  for (const args of [["sample", out], ["eval", out], ["train", path, "--out", out, "--resume"]]) {
    const { code, stderr } = await runCli(args);
    assert.equal(code, 1, stderr);
    assert.match(stderr, truncated);
  }
  const state = join(out, "checkpoint", "state.json");
  await Deno.writeTextFile(state, (await Deno.readTextFile(state)).slice(0, 40));
  const broken = await runCli(["train", path, "--out", out, "--resume"]);
  assert.equal(broken.code, 1);
  assert.match(broken.stderr, new RegExp(`${state} is not valid JSON .*--overwrite`));
  // --overwrite starts afresh over it.
  assert.equal((await runCli(["train", path, "--out", out, "--overwrite"])).code, 0);
});
