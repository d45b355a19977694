import assert from "node:assert/strict";
import { join } from "node:path";
import { builtinRegistry } from "../../builtins.ts";
import { ConfigError, RunDirectoryError } from "../contract/errors.ts";
import { train } from "./train.ts";

const registry = builtinRegistry();
const tiny = { dataset: "ring-8", backend: "cpu" as const, train: { steps: 4, batchSize: 8 } };

Deno.test("a bad config rejects train's promise, naming the field, and writes nothing", async () => {
  const outDir = join(await Deno.makeTempDir(), "run");
  const pending = train({ ...tiny, train: { steps: 0 } }, { registry, outDir, source: "t.json" });
  assert.ok(pending instanceof Promise);
  await assert.rejects(
    pending,
    (error: Error) =>
      error instanceof ConfigError &&
      /^Invalid config t\.json:\n {2}- train\.steps: /.test(error.message),
  );
  await assert.rejects(() => Deno.stat(outDir), Deno.errors.NotFound);
});

Deno.test("a config that cannot be built is reported before the directory's earlier run", async () => {
  const outDir = join(await Deno.makeTempDir(), "run");
  assert.equal((await train(tiny, { registry, outDir })).status, "ok");
  // ring-8 has no labels: semi-supervised mode cannot be built on it.
  const unbuildable = { ...tiny, semiSupervised: { labels: 10 } };
  await assert.rejects(
    () => train(unbuildable, { registry, outDir }),
    (error: Error) =>
      !(error instanceof RunDirectoryError) && /semiSupervised: .*no labeled training split/
        .test(error.message),
  );
  await assert.rejects(() => train(tiny, { registry, outDir }), RunDirectoryError);
});

Deno.test("training waits for a promise onProgress returns before its next step", async () => {
  const events: string[] = [];
  const result = await train({ ...tiny, train: { ...tiny.train, logEvery: 2 } }, {
    registry,
    onStep: (step) => events.push(`step ${step}`),
    onProgress: async ({ step }) => {
      events.push(`progress ${step}`);
      await new Promise((resolve) => setTimeout(resolve, 5));
      events.push(`waited ${step}`);
    },
  });
  assert.equal(result.status, "ok");
  assert.deepEqual(events, [
    "step 1",
    "step 2",
    "progress 2",
    "waited 2",
    "step 3",
    "step 4",
    "progress 4",
    "waited 4",
  ]);
});
