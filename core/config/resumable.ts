/**
 * Which config changes leave a run's first steps as they were, so that its checkpoint can be
 * resumed with the changed config.
 *
 * @module
 */
import { backendRequest, type ExperimentConfig } from "./schema.ts";

/**
 * Whether `config` trains the first `step` steps exactly as `saved` did: the two may differ in
 * `train.steps` (extending a run), in learning-rate decays that start at or after `step`
 * (annealing a run that has plateaued), in wasm's thread count and in `log`. Anything else
 * changes the steps already taken.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { trainsAlike } from "./resumable.ts";
 * import { parseConfig } from "./schema.ts";
 *
 * const saved = parseConfig({ dataset: "ring-8", train: { steps: 100 } });
 * const longer = parseConfig({ dataset: "ring-8", train: { steps: 500 } });
 * const decayed = parseConfig({
 *   dataset: "ring-8",
 *   train: { steps: 500, optimizer: { decay: { start: 100, end: 500 } } },
 * });
 * assert.ok(trainsAlike(saved, longer, 100) && trainsAlike(saved, decayed, 100));
 * assert.ok(!trainsAlike(saved, decayed, 200));
 * assert.ok(!trainsAlike(saved, { ...longer, seed: 2 }, 100));
 * ```
 */
export function trainsAlike(saved: ExperimentConfig, config: ExperimentConfig, step: number) {
  const rest = (c: ExperimentConfig) =>
    JSON.stringify({
      ...c,
      backend: backendRequest(c.backend).name,
      log: undefined,
      train: { ...c.train, steps: 0, optimizer: { ...c.train.optimizer, decay: undefined } },
    });
  const decays = [saved, config].map((c) => c.train.optimizer.decay);
  const sameDecay = JSON.stringify(decays[0]) === JSON.stringify(decays[1]);
  return rest(saved) === rest(config) &&
    (sameDecay || decays.every((decay) => !decay || decay.start >= step));
}
