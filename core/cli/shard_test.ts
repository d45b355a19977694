import assert from "node:assert/strict";
import { resolveShard } from "./shard.ts";

const env = (vars: Record<string, string>) => (name: string) => vars[name];

Deno.test("--shard i/n is 1-based and wins over the environment", () => {
  assert.deepEqual(resolveShard("2/3", undefined, env({ SLURM_ARRAY_TASK_ID: "0" })), {
    index: 1,
    count: 3,
  });
  assert.throws(() => resolveShard("0/3", undefined, env({})), /Invalid shard from --shard/);
  assert.throws(() => resolveShard("4/3", undefined, env({})), /Invalid shard from --shard/);
  assert.throws(() => resolveShard("2of3", undefined, env({})), /expected i\/n/);
  assert.equal(resolveShard(undefined, undefined, env({})), undefined);
});

Deno.test("a Slurm array's task id counts from its minimum", () => {
  const vars = { SLURM_ARRAY_TASK_ID: "5", SLURM_ARRAY_TASK_MIN: "4", SLURM_ARRAY_TASK_COUNT: "4" };
  assert.deepEqual(resolveShard(undefined, undefined, env(vars)), { index: 1, count: 4 });
});

Deno.test("a Kubernetes Indexed Job's index needs a count from --shard-count or the grid", () => {
  assert.deepEqual(resolveShard(undefined, 4, env({ JOB_COMPLETION_INDEX: "3" })), {
    index: 3,
    count: 4,
  });
  assert.throws(
    () => resolveShard(undefined, undefined, env({ JOB_COMPLETION_INDEX: "0" })),
    /pass --shard-count N or set the grid's shards/,
  );
  assert.throws(
    () => resolveShard(undefined, 2, env({ JOB_COMPLETION_INDEX: "2" })),
    /Invalid shard/,
  );
});
