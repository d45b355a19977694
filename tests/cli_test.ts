import assert from "node:assert/strict";
import { join } from "node:path";
import { runCli } from "./_cli.ts";

const root = new URL("..", import.meta.url).pathname;

async function writeConfig(dir: string, config: unknown, name = "config.json"): Promise<string> {
  const path = join(dir, name);
  await Deno.writeTextFile(path, JSON.stringify(config));
  return path;
}

const tinyRing = {
  name: "cli-ring",
  dataset: "ring-8",
  architecture: { name: "mlp", options: { hidden: [16], latentDim: 4 } },
  train: { steps: 20, batchSize: 16, logEvery: 10 },
  evaluate: { every: 10, metrics: ["mode-coverage"] },
};

Deno.test("train writes the run directory, prints progress and where results are", async () => {
  const dir = await Deno.makeTempDir();
  const config = await writeConfig(dir, tinyRing);
  const out = join(dir, "run");
  const { code, stdout, stderr } = await runCli([
    "train",
    config,
    "--out",
    out,
    "--backend",
    "cpu",
    "--steps",
    "30",
    "--seed",
    "4",
  ]);
  assert.equal(code, 0, stderr);
  assert.match(stderr, /training cli-ring on cpu/);
  assert.match(
    stderr,
    /step 10\/30 {2}dLoss \d\.\d{4} {2}gLoss .* D\(x\) .* D\(G\(z\)\) .* steps\/s {2}ETA/,
  );
  assert.match(stdout, /^ok: 30 steps in [\d.]+s on cpu; modes=\d/m);
  assert.match(stdout, new RegExp(`samples: ${out}/samples`));
  const result = JSON.parse(await Deno.readTextFile(join(out, "result.json")));
  assert.equal(result.steps, 30);
  const saved = JSON.parse(await Deno.readTextFile(join(out, "config.json")));
  assert.deepEqual([saved.seed, saved.backend, saved.train.steps], [4, "cpu", 30]);
  assert.ok((await Deno.stat(join(out, "samples", "step-000030.png"))).isFile);
});

Deno.test("a bad config exits 1 naming every bad field, and writes nothing", async () => {
  const dir = await Deno.makeTempDir();
  const config = await writeConfig(dir, {
    ...tinyRing,
    loss: "hing",
    train: { steps: 0, batchSize: 16 },
    discriminator: { addons: [{ name: "minibatch-discrimination", options: { kernel: 3 } }] },
  });
  const out = join(dir, "run");
  const first = await runCli(["train", config, "--out", out, "--backend", "cpu"]);
  assert.equal(first.code, 1);
  assert.match(first.stderr, new RegExp(`Invalid config ${config}:`));
  assert.match(first.stderr, /train.steps: Too small/);
  await assert.rejects(() => Deno.stat(out), Deno.errors.NotFound);
  // With the schema fixed, unknown plugin names and options are reported together.
  const second = await runCli([
    "train",
    await writeConfig(dir, {
      ...tinyRing,
      loss: "hing",
      discriminator: { addons: [{ name: "minibatch-discrimination", options: { kernel: 3 } }] },
    }),
    "--out",
    out,
  ]);
  assert.equal(second.code, 1);
  assert.match(
    second.stderr,
    /loss.discriminator: Cannot resolve loss "hing": available losses are/,
  );
  assert.match(second.stderr, /loss.generator\[0\]: Cannot resolve loss "hing"/);
  assert.match(second.stderr, /discriminator.addons\[0\].options: Unrecognized key: "kernel"/);
  await assert.rejects(() => Deno.stat(out), Deno.errors.NotFound);
});

Deno.test("bad files and flags get clear errors", async () => {
  const dir = await Deno.makeTempDir();
  const broken = join(dir, "broken.json");
  await Deno.writeTextFile(broken, "{ nope");
  const parse = await runCli(["train", broken]);
  assert.equal(parse.code, 1);
  assert.match(parse.stderr, new RegExp(`Cannot parse config ${broken}: `));
  const missing = await runCli(["train", join(dir, "missing.json")]);
  assert.match(missing.stderr, /Cannot read config .*missing.json/);
  const steps = await runCli(["train", await writeConfig(dir, tinyRing), "--steps", "many"]);
  assert.equal(steps.code, 1);
  assert.match(steps.stderr, /Invalid --steps "many": expected a whole number/);
  const flag = await runCli(["train", "x.json", "--stepz", "3"]);
  assert.equal(flag.code, 1);
  assert.match(flag.stderr, /stepz/);
});

Deno.test("what can be known before training is refused before anything is written", async () => {
  const dir = await Deno.makeTempDir();
  const out = join(dir, "run");
  // An earlier run in the directory: --overwrite must not remove it for a config that fails.
  const earlier = await runCli(["train", await writeConfig(dir, tinyRing), "--out", out]);
  assert.equal(earlier.code, 0, earlier.stderr);
  const before = await Deno.readTextFile(join(out, "metrics.jsonl"));
  const refused = async (config: unknown, pattern: RegExp) => {
    const path = await writeConfig(dir, config, "bad.json");
    const { code, stderr } = await runCli(["train", path, "--out", out, "--overwrite"]);
    assert.equal(code, 1, stderr);
    assert.match(stderr, pattern);
    assert.equal(await Deno.readTextFile(join(out, "metrics.jsonl")), before);
  };
  await refused(
    { ...tinyRing, evaluate: { every: 10, metrics: ["semi-supervised-error"] } },
    /metric "semi-supervised-error" failed in create: it needs semi-supervised mode/,
  );
  await refused(
    { ...tinyRing, loss: { generator: { name: "feature-matching", options: { layer: 5 } } } },
    /feature-matching" failed in create: option layer 5 is out of range: the discriminator has 1 hidden/,
  );
  await refused(
    { ...tinyRing, architecture: "dcgan" },
    /architecture "dcgan" failed in create: Cannot build dcgan for data of shape \[2\]/,
  );
  const both = await runCli(["train", join(dir, "bad.json"), "--resume", "--overwrite"]);
  assert.equal(both.code, 1);
  assert.match(both.stderr, /--resume and --overwrite contradict each other/);
  for (const command of ["train", "ablate"]) {
    const empty = await runCli([command, join(dir, "bad.json"), "--out", ""]);
    assert.equal(empty.code, 1);
    assert.match(empty.stderr, /Invalid --out "": expected a path/);
  }
});

Deno.test("absurd sizes, bad numbers and long names are refused naming the option and its range", async () => {
  const dir = await Deno.makeTempDir();
  const out = join(dir, "run");
  const refused = async (config: unknown, pattern: RegExp) => {
    const { code, stderr } = await runCli([
      "train",
      await writeConfig(dir, config, "bad.json"),
      "--out",
      out,
    ]);
    assert.equal(code, 1, stderr);
    assert.match(stderr, pattern);
    await assert.rejects(() => Deno.stat(out), Deno.errors.NotFound);
  };
  const huge = 1e12;
  await refused({ ...tinyRing, train: { steps: 2, batchSize: huge } }, /train.batchSize: Too big/);
  await refused({ ...tinyRing, train: { steps: 2, dSteps: huge } }, /train.dSteps: Too big/);
  await refused(
    { ...tinyRing, architecture: { name: "mlp", options: { latentDim: huge, hidden: [huge] } } },
    /architecture.options.hidden\[0\]: Too big[^\n]*\n.*architecture.options.latentDim: Too big/s,
  );
  await refused(
    {
      ...tinyRing,
      discriminator: { addons: [{ name: "minibatch-discrimination", options: { kernels: huge } }] },
    },
    /discriminator.addons\[0\].options.kernels: Too big: expected number to be <=10000/,
  );
  await refused(
    { ...tinyRing, evaluate: { metrics: [{ name: "mode-coverage", options: { samples: huge } }] } },
    /evaluate.metrics\[0\].options.samples: Too big/,
  );
  await refused({ ...tinyRing, name: "x".repeat(300) }, /name: expected at most 100 characters/);
  // JSON's 1e999 is Infinity: shown as such, not as null.
  const path = join(dir, "infinite.json");
  await Deno.writeTextFile(
    path,
    '{ "dataset": "ring-8", "train": { "steps": 2, "batchSize": 1e999 } }',
  );
  const infinite = await runCli(["train", path, "--out", out]);
  assert.match(infinite.stderr, /train.batchSize: .*\(got Infinity\)/);
  const config = await writeConfig(dir, tinyRing);
  for (
    const [flags, message] of [
      [
        ["train", config, "--steps", "-5"],
        /Invalid --steps "-5": expected a whole number from 1 to/,
      ],
      [
        ["train", config, "--seed", "-1"],
        /Invalid --seed "-1": expected a whole number from 0 to 2147483647/,
      ],
      [
        ["ablate", config, "--workers", "-2"],
        /Invalid --workers "-2": expected a whole number from 1 to 1024/,
      ],
      [
        ["ablate", config, "--shard-count", "0"],
        /Invalid --shard-count "0": expected a whole number from 1/,
      ],
      [
        ["sample", dir, "--n", "10000000000"],
        /Invalid --n "10000000000": expected a whole number from 1 to 10000/,
      ],
    ] as const
  ) {
    const { code, stderr } = await runCli([...flags]);
    assert.equal(code, 1, stderr);
    assert.match(stderr, message);
  }
});

Deno.test("--help describes train", async () => {
  const { code, stdout } = await runCli(["train", "--help"]);
  assert.equal(code, 0);
  assert.match(stdout, /Usage: deno task train CONFIG/);
  assert.match(stdout, /--plugin P/);
});

Deno.test("plugins lists every built-in by kind, and a user's module", async () => {
  const { code, stdout } = await runCli(["plugins", "--plugin", "examples/least_squares.ts"]);
  assert.equal(code, 0);
  for (
    const name of [
      "minimax",
      "non-saturating",
      "feature-matching",
      "minibatch-discrimination",
      "batch-norm",
      "mlp",
      "dcgan",
      "label-smoothing",
      "gaussian-1d",
      "ring-8",
      "grid-25",
      "mnist",
      "mode-coverage",
      "least-squares",
    ]
  ) {
    assert.match(stdout, new RegExp(`^  ${name} +\\S`, "m"), name);
  }
  assert.match(stdout, /^loss\n/m);
  assert.match(stdout, /^dataset\n/m);
});

Deno.test("a config's plugins load relative to the config; --plugin relative to the cwd", async () => {
  const dir = await Deno.makeTempDir();
  const out = join(dir, "run");
  const viaConfig = await runCli([
    "train",
    join(root, "examples", "ring_least_squares.json"),
    "--backend",
    "cpu",
    "--steps",
    "4",
    "--out",
    out,
  ], { cwd: dir });
  assert.equal(viaConfig.code, 0, viaConfig.stderr);
  const config = JSON.parse(await Deno.readTextFile(join(out, "config.json")));
  assert.equal(config.loss.generator[0].name, "least-squares");
  const viaFlag = await runCli([
    "train",
    await writeConfig(dir, { ...tinyRing, loss: "least-squares" }),
    "--plugin",
    "examples/least_squares.ts",
    "--backend",
    "cpu",
    "--out",
    join(dir, "run2"),
  ]);
  assert.equal(viaFlag.code, 0, viaFlag.stderr);
  const missing = await runCli(["train", await writeConfig(dir, tinyRing), "--plugin", "nope.ts"]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /Cannot load plugin module file:\/\/.*nope.ts/);
});

Deno.test("a .ts config's default export is the config", async () => {
  const dir = await Deno.makeTempDir();
  const path = join(dir, "config.ts");
  await Deno.writeTextFile(path, `export default ${JSON.stringify(tinyRing)};`);
  const { code, stderr } = await runCli([
    "train",
    path,
    "--backend",
    "cpu",
    "--steps",
    "2",
    "--out",
    join(dir, "run"),
  ]);
  assert.equal(code, 0, stderr);
  const saved = JSON.parse(await Deno.readTextFile(join(dir, "run", "config.json")));
  assert.equal(saved.name, tinyRing.name);
  assert.equal(saved.train.steps, 2);
});

Deno.test("key.path=value overrides set any field of a config or a grid's base; bad ones name the path", async () => {
  const dir = await Deno.makeTempDir();
  const config = await writeConfig(dir, tinyRing);
  // No --out: the renamed run goes to runs/<name> under the working directory.
  const trained = await runCli([
    "train",
    config,
    "name=renamed",
    "train.steps=12",
    "train.optimizer.lr=0.001",
    "architecture.options.hidden=[8,4]",
    "loss.generator=minimax",
    "--backend",
    "cpu",
  ], { cwd: dir });
  assert.equal(trained.code, 0, trained.stderr);
  const saved = JSON.parse(await Deno.readTextFile(join(dir, "runs", "renamed", "config.json")));
  assert.deepEqual(
    [saved.name, saved.train.steps, saved.train.optimizer.lr, saved.architecture.options.hidden],
    ["renamed", 12, 0.001, [8, 4]],
  );
  assert.deepEqual([saved.loss.discriminator.name, saved.loss.generator[0].name], [
    "minimax",
    "minimax",
  ]);

  const refused = async (args: string[], pattern: RegExp) => {
    const out = join(dir, "refused");
    const { code, stderr } = await runCli([...args, "--out", out, "--backend", "cpu"]);
    assert.equal(code, 1, stderr);
    assert.match(stderr, pattern);
    assert.equal(await Deno.stat(out).then(() => true, () => false), false, "nothing written");
  };
  await refused(["train", config, "train.stepz=5"], /train: .*stepz/i);
  await refused(["train", config, "train.steps=many"], /train\.steps: .*number/i);
  await refused(["train", config, "=5"], /Cannot read override "=5": expected key\.path=value/);
  await refused(["train", config, "other.json"], /"other\.json" is neither/);

  const grid = await writeConfig(dir, {
    name: "override-grid",
    base: { ...tinyRing, train: { steps: 4, batchSize: 8 }, evaluate: { every: 4 } },
    axes: { "train.dSteps": [1, 2] },
  }, "grid.json");
  const out = join(dir, "grid");
  const ablated = await runCli(["ablate", grid, "train.steps=6", "--out", out, "--backend", "cpu"]);
  assert.equal(ablated.code, 0, ablated.stderr);
  const cells = (await Deno.readTextFile(join(out, "results.jsonl"))).trim().split("\n")
    .map((line) => JSON.parse(line).cellId);
  const steps = await Promise.all(
    cells.map(async (id: string) =>
      JSON.parse(await Deno.readTextFile(join(out, "cells", id, "config.json"))).train.steps
    ),
  );
  assert.deepEqual(steps, [6, 6]);
  await refused(
    ["ablate", grid, "train.dSteps=3"],
    /Cannot override train\.dSteps: the grid's axis "train\.dSteps" sets it/,
  );
});
