import assert from "node:assert/strict";
import { join } from "node:path";
import { appendResult, readResults, type ResultLine } from "./results.ts";
import { builtinRegistry } from "../../builtins.ts";
import { expandGrid, parseGrid } from "../config/grid.ts";
import { summarize, summaryCsv, summaryMarkdown } from "./summary.ts";

const line = (
  label: string,
  index: number,
  status: ResultLine["status"],
  modes?: number,
): ResultLine => ({
  cellId: `id${index}`,
  label,
  overrides: { loss: label.split(",")[0].split("=")[1] },
  seed: Number(label.split("seed=")[1]),
  status,
  seconds: 1,
  backend: "cpu",
  metrics: modes === undefined ? {} : { modes },
  index,
});

Deno.test("the summary pools seeds: mean ± sample std over ok seeds, with counts", () => {
  const summary = summarize([
    line("loss=b,seed=1", 3, "ok", 4),
    line("loss=a,seed=2", 1, "ok", 8),
    line("loss=a,seed=1", 0, "ok", 6),
    line("loss=a,seed=3", 2, "diverged"),
    line("loss=b,seed=2", 4, "failed"),
  ]);
  assert.deepEqual(summary.axes, ["loss"]);
  assert.deepEqual(summary.rows.map((r) => [r.label, r.n, r.diverged, r.failed]), [
    ["loss=a", 2, 1, 0],
    ["loss=b", 1, 0, 1],
  ]);
  assert.deepEqual(summary.rows[0].stats.modes, { mean: 7, std: Math.SQRT2 });
  // One seed has no spread to report: no "± 0".
  assert.deepEqual(summary.rows[1].stats.modes, { mean: 4 });
  assert.equal(
    summaryMarkdown(summary),
    "| loss | modes | n | diverged | failed |\n|---|---|---|---|---|\n" +
      "| a | 7 ± 1.414 | 2 | 1 | 0 |\n| b | 4 | 1 | 0 | 1 |\n",
  );
  assert.equal(
    summaryCsv(summary),
    `loss,modes_mean,modes_std,n,diverged,failed\na,7,${Math.SQRT2},2,1,0\nb,4,,1,0,1\n`,
  );
});

Deno.test("two values of an axis with one name are two rows with labels that tell them apart", async () => {
  const grid = parseGrid({
    name: "optimizers",
    base: { dataset: "ring-8" },
    axes: {
      "train.optimizer": [{ name: "adam", lr: 0.001 }, { name: "adam", lr: 0.01 }, { name: "sgd" }],
    },
    seeds: [1, 2],
  });
  const cells = await expandGrid(grid, builtinRegistry());
  assert.deepEqual(cells.map((cell) => cell.label), [
    "optimizer=adam(lr:0.001),seed=1",
    "optimizer=adam(lr:0.001),seed=2",
    "optimizer=adam(lr:0.01),seed=1",
    "optimizer=adam(lr:0.01),seed=2",
    "optimizer=sgd,seed=1",
    "optimizer=sgd,seed=2",
  ]);
  const summary = summarize(cells.map((cell) => ({
    cellId: cell.id,
    label: cell.label,
    overrides: cell.overrides,
    seed: cell.seed,
    status: "ok",
    seconds: 1,
    backend: "cpu",
    metrics: { modes: cell.index },
    index: cell.index,
  })));
  assert.deepEqual(summary.rows.map((row) => [row.n, row.stats.modes?.mean]), [
    [2, 0.5],
    [2, 2.5],
    [2, 4.5],
  ]);
  assert.match(summaryMarkdown(summary), /\| adam\(lr:0.001\) \| 0.5 ± 0.7071 \| 2 \|/);
  // Results pool by their axis values, never by label: equal labels of different values stay apart.
  const same = (lr: number, index: number): ResultLine => ({
    ...line("optimizer=adam,seed=1", index, "ok", index),
    overrides: { "train.optimizer": { name: "adam", lr } },
  });
  const apart = summarize([same(0.001, 0), same(0.01, 1)]);
  assert.deepEqual(apart.rows.map((row) => row.n), [1, 1]);
});

Deno.test("results.jsonl: whole lines appended; a line torn by a crash is skipped", async () => {
  const path = join(await Deno.makeTempDir(), "results.jsonl");
  assert.deepEqual(await readResults(path), []);
  await appendResult(path, line("loss=a,seed=1", 0, "ok", 1));
  await appendResult(path, line("loss=a,seed=2", 1, "ok", 2));
  await Deno.writeTextFile(path, '{"cellId":"id2","lab', { append: true });
  assert.deepEqual((await readResults(path)).map((r) => r.cellId), ["id0", "id1"]);
  // The next result starts on a line of its own; the torn one stays skipped (its cell reruns).
  await appendResult(path, line("loss=a,seed=4", 3, "ok", 4));
  assert.deepEqual((await readResults(path)).map((r) => r.cellId), ["id0", "id1", "id3"]);
  await Deno.writeTextFile(path, "garbage\n", { append: true });
  await assert.rejects(() => readResults(path), /Cannot parse .*results.jsonl line 5/);
});

Deno.test("a cell that leaves an axis at the base config shows an empty value there", () => {
  const partial: ResultLine = { ...line("loss=x,seed=1", 1, "ok", 3), overrides: { loss: "x" } };
  const full: ResultLine = {
    ...line("loss=a,dSteps=2,seed=1", 0, "ok", 5),
    overrides: { loss: "a", "train.dSteps": 2 },
  };
  assert.equal(
    summaryMarkdown(summarize([full, partial])),
    "| loss | train.dSteps | modes | n | diverged | failed |\n|---|---|---|---|---|---|\n" +
      "| a | 2 | 5 | 1 | 0 | 0 |\n| x |  | 3 | 1 | 0 | 0 |\n",
  );
});
