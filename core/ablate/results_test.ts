import assert from "node:assert/strict";
import { join } from "node:path";
import { appendResult, readResults, type ResultLine } from "./results.ts";
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
  assert.deepEqual(summary.rows.map((r) => [r.group, r.n, r.diverged, r.failed]), [
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
