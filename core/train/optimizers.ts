/**
 * The players' optimizers: made from `train.optimizer`, and the learning rate of a step under
 * its `decay`, set on them before each step.
 *
 * @module
 */
import { tf } from "../../deps.ts";
import type { ExperimentConfig } from "../config/schema.ts";
import type { Optimizers } from "../store/optimizer_state.ts";

type OptimizerConfig = ExperimentConfig["train"]["optimizer"];

/**
 * The learning rate at `step`: `lr` until `decay.start`, then linearly down to 0 at `decay.end`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { learningRateAt } from "./optimizers.ts";
 * const optimizer = { lr: 0.004, decay: { start: 100, end: 200 } };
 * assert.equal(learningRateAt(optimizer, 150), 0.002);
 * ```
 */
export function learningRateAt(optimizer: Pick<OptimizerConfig, "lr" | "decay">, step: number) {
  const { lr, decay } = optimizer;
  if (!decay) return lr;
  const remaining = (decay.end - step) / (decay.end - decay.start);
  return lr * Math.min(1, Math.max(0, remaining));
}

/** Sets an optimizer's learning rate (SGD and momentum cache it in a tensor; Adam reads the field). */
export function setLearningRate(optimizer: tf.Optimizer, lr: number): void {
  const settable = optimizer as unknown as {
    learningRate: number;
    setLearningRate?: (lr: number) => void;
  };
  if (settable.learningRate === lr) return;
  if (settable.setLearningRate) settable.setLearningRate(lr);
  else settable.learningRate = lr;
}

/** One optimizer per player, each over its own variables, as `train.optimizer` describes. */
export function createOptimizers(config: OptimizerConfig): Optimizers {
  return { discriminator: createOptimizer(config), generator: createOptimizer(config) };
}

function createOptimizer(o: OptimizerConfig): tf.Optimizer {
  switch (o.name) {
    case "adam":
      return tf.train.adam(o.lr, o.beta1, o.beta2, 1e-8);
    case "sgd":
      return tf.train.sgd(o.lr);
    case "momentum":
      return tf.train.momentum(o.lr, o.momentum);
  }
}
