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
