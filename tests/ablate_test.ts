import assert from "node:assert/strict";
import { join } from "node:path";
import { readCheckpointState } from "../core/store/run_directory.ts";
import { readResults } from "../core/ablate/results.ts";
import { cellClaim } from "../core/ablate/grid_directory.ts";
import { builtinRegistry } from "../builtins.ts";
import { expandGrid, parseGrid } from "../core/config/grid.ts";
import { lockFile } from "../core/store/file_lock.ts";
import { runGrid } from "../core/ablate/run_grid.ts";
import { runCli } from "./_cli.ts";

const root = new URL("..", import.meta.url).pathname;

const grid = (steps: number) => ({
  name: "tiny-grid",
  base: {
    dataset: "ring-8",
    backend: "cpu",
    architecture: { name: "mlp", options: { hidden: [16], latentDim: 4 } },
    // Checkpoints every 50 steps: a cell killed mid-run resumes from one.
    train: { steps, batchSize: 16, logEvery: 10, checkpointEvery: 50 },
    evaluate: { every: steps, metrics: [{ name: "mode-coverage", options: { samples: 300 } }] },
  },
  axes: {
    loss: ["minimax", "non-saturating", "feature-matching"],
    "discriminator.addons": [[], [{
      name: "minibatch-discrimination",
      options: { kernels: 4, dims: 2 },
    }]],
  },
  seeds: [1, 2],
});

async function writeGrid(steps: number): Promise<{ dir: string; path: string }> {
  const dir = await Deno.makeTempDir();
  const path = join(dir, "grid.json");
  await Deno.writeTextFile(path, JSON.stringify(grid(steps)));
  return { dir, path };
}

async function ablate(args: string[]) {
  const result = await runCli(["ablate", ...args]);
  assert.equal(result.code, 0, result.stderr);
  return result;
}

Deno.test("a grid runs every cell once, writes the summary and report, and a rerun skips all", async () => {
  const { dir, path } = await writeGrid(20);
  const out = join(dir, "out");
  const first = await ablate([path, "--out", out, "--workers", "2"]);
  assert.match(first.stderr, /12 cells, 0 already done, 12 to run on 2 worker/);
  const results = await readResults(join(out, "results.jsonl"));
  assert.equal(results.length, 12);
  assert.deepEqual(new Set(results.map((r) => r.status)), new Set(["ok"]));
  assert.deepEqual(results.map((r) => r.index).sort((a, b) => a - b), [...Array(12).keys()]);
  for (const r of results) {
    assert.ok((await Deno.stat(join(out, "cells", r.cellId, "result.json"))).isFile);
  }
  const markdown = await Deno.readTextFile(join(out, "summary.md"));
  assert.match(
    markdown,
    /^\| loss \| discriminator.addons \| modes \| highQuality \| reverseKL \| n \|/,
  );
  assert.equal(markdown.trim().split("\n").length, 2 + 6);
  assert.match(
    markdown,
    /\| feature-matching \| minibatch-discrimination\(kernels:4;dims:2\) \| [\d.]+ ± [\d.]+ \|/,
  );
  assert.match(first.stdout, /report: {2}.*report.html/);
  const csv = await Deno.readTextFile(join(out, "summary.csv"));
  assert.match(csv, /^loss,discriminator.addons,modes_mean,modes_std,/);
  assert.ok((await Deno.readTextFile(join(out, "report.html"))).includes("<svg"));
  const again = await ablate([path, "--out", out]);
  assert.match(again.stderr, /12 cells, 12 already done, 0 to run/);
  assert.equal((await readResults(join(out, "results.jsonl"))).length, 12);
  // A result of a cell the grid no longer has (an earlier version of it) is not pooled.
  const stale = { ...results[0], cellId: "0123456789abcdef", metrics: { modes: 99 } };
  await Deno.writeTextFile(join(out, "results.jsonl"), JSON.stringify(stale) + "\n", {
    append: true,
  });
  const report = await runCli(["report", out]);
  assert.equal(report.code, 0, report.stderr);
  assert.match(report.stdout, /left out: 1 results of cells not in the current grid/);
  assert.equal(await Deno.readTextFile(join(out, "summary.md")), markdown);
});

Deno.test("the live report exists from the start and is rewritten as each cell finishes", async () => {
  const live = parseGrid({
    ...grid(20),
    axes: { loss: ["minimax", "non-saturating"] },
    seeds: [1],
  });
  const out = await Deno.makeTempDir();
  const atStart: string[] = [];
  await runGrid(live, await expandGrid(live, builtinRegistry()), {
    outDir: out,
    onEvent: (event) => {
      if (event.type === "start") atStart.push(Deno.readTextFileSync(join(out, "report.html")));
    },
  });
  const seeds = (html: string) =>
    [...html.matchAll(/<p class="runs">(.*?)<\/p>/g)].map((m) => m[1].replace(/<[^>]+>/g, ""));
  const tableRows = (html: string) =>
    html.match(/<table id="summary">[\s\S]*?<\/table>/)![0].split("<tr>").length - 2;
  assert.match(atStart[0], /0 of 2 cells finished/);
  assert.deepEqual(seeds(atStart[0]), ["seed 1: pending", "seed 1: pending"]);
  assert.equal(tableRows(atStart[0]), 0);
  assert.match(atStart[1], /1 of 2 cells finished/);
  assert.deepEqual(seeds(atStart[1]), ["seed 1: ok", "seed 1: pending"]);
  assert.equal(tableRows(atStart[1]), 1);
  assert.match(atStart[1], /<table class="strip">/);
  const final = await Deno.readTextFile(join(out, "report.html"));
  assert.deepEqual(seeds(final), ["seed 1: ok", "seed 1: ok"]);
  assert.ok(!final.includes('id="progress"'));
  assert.equal(tableRows(final), 2);
});

Deno.test("killed with SIGKILL and rerun, every cell is done once and the summary matches", async () => {
  const { dir, path } = await writeGrid(150);
  const reference = join(dir, "reference");
  await ablate([path, "--out", reference]);
  const out = join(dir, "out");
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", join(root, "core/cli/main.ts"), "ablate", path, "--out", out],
    stdout: "null",
    stderr: "null",
  }).spawn();
  // Only a guard against hanging: a loaded machine (training jobs beside the suite) is slow.
  const deadline = Date.now() + 300_000;
  // Kill once 3 cells are done and the running one has a checkpoint: it must resume from it.
  const midway = async () => {
    const done = new Set((await readResults(join(out, "results.jsonl"))).map((r) => r.cellId));
    if (done.size < 3) return false;
    for await (const cell of Deno.readDir(join(out, "cells"))) {
      if (!done.has(cell.name) && await readCheckpointState(join(out, "cells", cell.name))) {
        return true;
      }
    }
    return false;
  };
  while (!(await midway().catch(() => false))) {
    assert.ok(Date.now() < deadline, "no cell reached a checkpoint within 5 minutes");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  child.kill("SIGKILL");
  await child.status;
  const before = (await readResults(join(out, "results.jsonl"))).length;
  assert.ok(before >= 3 && before < 12, `${before} cells done when killed`);
  const rerun = await ablate([path, "--out", out]);
  assert.match(rerun.stderr, new RegExp(`12 cells, ${before} already done, ${12 - before} to run`));
  const results = await readResults(join(out, "results.jsonl"));
  assert.equal(results.length, 12);
  assert.equal(new Set(results.map((r) => r.cellId)).size, 12);
  assert.equal(
    await Deno.readTextFile(join(out, "summary.md")),
    await Deno.readTextFile(join(reference, "summary.md")),
  );
});

Deno.test("two runners started together on one grid train each cell once", async () => {
  const { dir, path } = await writeGrid(60);
  const reference = join(dir, "reference");
  await ablate([path, "--out", reference]);
  const out = join(dir, "out");
  const [a, b] = await Promise.all([ablate([path, "--out", out]), ablate([path, "--out", out])]);
  const results = await readResults(join(out, "results.jsonl"));
  assert.equal(results.length, 12);
  assert.equal(new Set(results.map((r) => r.cellId)).size, 12);
  // Between them the runners trained each cell once.
  const trained = (stderr: string) => stderr.match(/^\[\d+\/\d+\] .*: ok in/gm)?.length ?? 0;
  assert.equal(trained(a.stderr) + trained(b.stderr), 12, a.stderr + b.stderr);
  assert.equal(
    await Deno.readTextFile(join(out, "summary.md")),
    await Deno.readTextFile(join(reference, "summary.md")),
  );
});

Deno.test("a grid with a cell that cannot be built is refused before any cell trains", async () => {
  const dir = await Deno.makeTempDir();
  const path = join(dir, "grid.json");
  await Deno.writeTextFile(
    path,
    JSON.stringify({ ...grid(10), axes: { architecture: ["mlp", "dcgan"] }, seeds: [1] }),
  );
  const out = join(dir, "out");
  const { code, stderr } = await runCli(["ablate", path, "--out", out]);
  assert.equal(code, 1, stderr);
  assert.match(stderr, new RegExp(`Invalid config ${path}, cell architecture=dcgan,seed=1:`));
  await assert.rejects(() => Deno.stat(out), Deno.errors.NotFound);
});

Deno.test("two shards run apart and merged give the unsharded summary", async () => {
  const { dir, path } = await writeGrid(20);
  await ablate([path, "--out", join(dir, "all")]);
  const first = await ablate([path, "--out", join(dir, "a"), "--shard", "1/2"]);
  assert.match(first.stderr, /shard 1\/2/);
  assert.match(first.stderr, /6 cells, 0 already done, 6 to run/);
  // The second shard takes its index from a Kubernetes Indexed Job's environment.
  const second = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      join(root, "core/cli/main.ts"),
      "ablate",
      path,
      "--out",
      join(dir, "b"),
      "--shard-count",
      "2",
    ],
    env: { JOB_COMPLETION_INDEX: "1" },
  }).output();
  assert.equal(second.code, 0, new TextDecoder().decode(second.stderr));
  const a = await readResults(join(dir, "a", "results.jsonl"));
  const b = await readResults(join(dir, "b", "results.jsonl"));
  assert.deepEqual(a.map((r) => r.index).sort((x, y) => x - y), [0, 2, 4, 6, 8, 10]);
  assert.deepEqual(b.map((r) => r.index).sort((x, y) => x - y), [1, 3, 5, 7, 9, 11]);
  const merged = join(dir, "merged");
  const report = await runCli([
    "report",
    join(dir, "a"),
    join(dir, "b"),
    join(dir, "a"),
    "--out",
    merged,
  ]);
  assert.equal(report.code, 0, report.stderr);
  assert.equal(
    await Deno.readTextFile(join(merged, "summary.md")),
    await Deno.readTextFile(join(dir, "all", "summary.md")),
  );
  assert.ok((await Deno.stat(join(merged, "report.html"))).isFile);
});

Deno.test("a bad cell stops the grid before anything runs, naming the cell and field", async () => {
  const dir = await Deno.makeTempDir();
  const path = join(dir, "grid.json");
  const bad = grid(10);
  await Deno.writeTextFile(
    path,
    JSON.stringify({ ...bad, axes: { ...bad.axes, "train.dSteps": [1, 0] } }),
  );
  const result = await runCli(["ablate", path, "--out", join(dir, "out")]);
  assert.equal(result.code, 1);
  assert.match(
    result.stderr,
    /Invalid config .*grid.json, cell loss=minimax,addons=none,dSteps=0,seed=1:/,
  );
  assert.match(result.stderr, /train.dSteps: Too small/);
  await assert.rejects(() => Deno.stat(join(dir, "out")), Deno.errors.NotFound);
});

Deno.test("a failing cell marks itself failed and the grid goes on", async () => {
  const dir = await Deno.makeTempDir();
  const plugin = join(dir, "flaky.ts");
  await Deno.writeTextFile(
    plugin,
    `import { definePlugin } from "${join(root, "mod.ts")}";
export default definePlugin({
  kind: "loss",
  name: "flaky",
  description: "fails for seed 2",
  create: ({ tf }) => ({
    generator: ({ fake, step }) => {
      if (step === 5 && Deno.env.get("FLAKY_SEED") !== undefined) throw new Error("flaked");
      return tf.mean(tf.softplus(tf.neg(fake.logits)));
    },
  }),
});
`,
  );
  const path = join(dir, "grid.json");
  const base = grid(10).base;
  await Deno.writeTextFile(
    path,
    JSON.stringify({
      name: "flaky",
      base: { ...base, plugins: ["./flaky.ts"] },
      axes: { "loss.generator": ["non-saturating", "flaky"] },
      seeds: [1],
    }),
  );
  // The plugin reads its own variable: the sandbox allows it only when asked.
  const flags = [path, "--out", join(dir, "out"), "--allow-env=FLAKY_SEED"];
  const output = await runCli(["ablate", ...flags], { env: { FLAKY_SEED: "1" } });
  assert.equal(output.code, 2, output.stderr);
  assert.match(
    output.stderr,
    /1 cell\(s\) failed, 0 diverged \(exit code 2; --exit-zero exits 0\)/,
  );
  const results = await readResults(join(dir, "out", "results.jsonl"));
  assert.deepEqual(results.map((r) => [r.label, r.status]), [
    ["generator=non-saturating,seed=1", "ok"],
    ["generator=flaky,seed=1", "failed"],
  ]);
  assert.equal(results[1].error, 'Plugin loss "flaky" failed in generator: flaked');
  const markdown = await Deno.readTextFile(join(dir, "out", "summary.md"));
  assert.match(markdown, /\| flaky \|.*\| 0 \| 0 \| 1 \|/);
  // A rerun trains nothing and still reports the failure, unless told not to.
  assert.equal((await runCli(["ablate", ...flags])).code, 2);
  assert.equal((await runCli(["ablate", ...flags, "--exit-zero"])).code, 0);
});

Deno.test("a grid with a diverged cell and no failed one exits 3", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(
    join(dir, "nan.ts"),
    `import { definePlugin } from "${join(root, "mod.ts")}";
export default definePlugin({
  kind: "loss",
  name: "nan",
  create: ({ tf }) => ({ generator: ({ fake }) => tf.mul(NaN, tf.mean(fake.logits)) }),
});
`,
  );
  const path = join(dir, "grid.json");
  await Deno.writeTextFile(
    path,
    JSON.stringify({
      name: "nan",
      base: { ...grid(10).base, plugins: ["./nan.ts"] },
      axes: { "loss.generator": ["non-saturating", "nan"] },
      seeds: [1],
    }),
  );
  const output = await runCli(["ablate", path, "--out", join(dir, "out")]);
  assert.equal(output.code, 3, output.stderr);
  assert.match(output.stderr, /0 cell\(s\) failed, 1 diverged \(exit code 3/);
  const results = await readResults(join(dir, "out", "results.jsonl"));
  assert.deepEqual(results.map((r) => r.status), ["ok", "diverged"]);
});

Deno.test("a grid cell whose checkpoint cannot be read starts afresh, saying so", async () => {
  const { dir, path } = await writeGrid(50);
  const out = join(dir, "out");
  await ablate([path, "--out", out]);
  const resultsPath = join(out, "results.jsonl");
  const lines = (await Deno.readTextFile(resultsPath)).trim().split("\n");
  // The last cell as if killed after its checkpoint: no results line, and a torn weights file.
  const last = JSON.parse(lines.at(-1)!);
  await Deno.writeTextFile(resultsPath, lines.slice(0, -1).join("\n") + "\n");
  await Deno.remove(join(out, "cells", last.cellId, "result.json"));
  const weights = join(out, "cells", last.cellId, "checkpoint", "discriminator", "weights.bin");
  await Deno.writeFile(weights, (await Deno.readFile(weights)).subarray(0, 10));
  const rerun = await ablate([path, "--out", out]);
  assert.match(
    rerun.stderr,
    new RegExp(
      `cell ${
        last.label.replace(/[()+]/g, "\\$&")
      }: Cannot read the checkpoint of .*; starting the cell afresh`,
    ),
  );
  const results = await readResults(resultsPath);
  assert.equal(results.length, 12);
  assert.equal(results.at(-1)!.status, "ok");
  assert.deepEqual(results.at(-1)!.metrics, last.metrics);
});

Deno.test("a cell claimed by a runner that then goes away is waited for and trained", async () => {
  const { dir, path } = await writeGrid(20);
  const out = join(dir, "out");
  const cells = await expandGrid(parseGrid(grid(20)), builtinRegistry());
  await Deno.mkdir(join(out, "claims"), { recursive: true });
  // This test plays the other runner: it holds the first cell's claim, then lets go.
  const held = (await lockFile(cellClaim(out, cells[0].id)))!;
  const runner = runCli(["ablate", path, "--out", out]);
  const deadline = Date.now() + 300_000;
  while ((await readResults(join(out, "results.jsonl"))).length < 11) {
    assert.ok(Date.now() < deadline, "the other cells did not finish within 5 minutes");
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  await held.release();
  const { code, stderr } = await runner;
  assert.equal(code, 0, stderr);
  assert.match(stderr, /another runner is training it; waiting for it after the other cells/);
  const results = await readResults(join(out, "results.jsonl"));
  assert.equal(results.length, 12);
  assert.equal(results.at(-1)!.cellId, cells[0].id);
});
