/**
 * Which slice of a grid this runner takes: `--shard i/n`, else a Slurm job array's or a
 * Kubernetes Indexed Job's index.
 *
 * @module
 */
import type { Shard } from "../ablate/run_grid.ts";
import { UsageError } from "../contract/errors.ts";

/** The shard from --shard, else from a Slurm array or a Kubernetes Indexed Job. */
export function resolveShard(
  flag: string | undefined,
  shardCount: number | undefined,
  env: (name: string) => string | undefined,
): Shard | undefined {
  const parse = (index: number, count: number, source: string): Shard => {
    if (
      !(Number.isInteger(index) && Number.isInteger(count) && count >= 1 && index >= 0 &&
        index < count)
    ) {
      throw new UsageError(
        `Invalid shard from ${source}: expected an index from 1 to the count (got ${
          index + 1
        } of ${count})`,
      );
    }
    return { index, count };
  };
  if (flag !== undefined) {
    const match = /^(\d+)\/(\d+)$/.exec(flag);
    if (!match) throw new UsageError(`Invalid --shard ${JSON.stringify(flag)}: expected i/n`);
    return parse(Number(match[1]) - 1, Number(match[2]), "--shard");
  }
  const slurmId = env("SLURM_ARRAY_TASK_ID");
  if (slurmId !== undefined) {
    const count = Number(env("SLURM_ARRAY_TASK_COUNT"));
    const min = Number(env("SLURM_ARRAY_TASK_MIN") ?? 0);
    return parse(Number(slurmId) - min, count, "SLURM_ARRAY_TASK_ID");
  }
  const jobIndex = env("JOB_COMPLETION_INDEX");
  if (jobIndex !== undefined) {
    if (shardCount === undefined) {
      throw new UsageError(
        "JOB_COMPLETION_INDEX is set but the shard count is not: pass --shard-count N or set the grid's shards",
      );
    }
    return parse(Number(jobIndex), shardCount, "JOB_COMPLETION_INDEX");
  }
  return undefined;
}
