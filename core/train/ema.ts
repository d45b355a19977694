/**
 * An exponential moving average of a model's weights ([IMP] evaluated its MNIST classifier
 * with one): `average ← decay·average + (1 − decay)·weight` after each update, swapped into
 * the model while it is evaluated.
 *
 * @module
 */
import { tf } from "../../deps.ts";
import type { PluginState, Stateful } from "../contract/plugin.ts";

/** A moving average of some variables, saved in checkpoints through {@linkcode Stateful}. */
export interface WeightAverage extends Stateful {
  /** Moves the average towards the variables' current values. */
  update(): void;
  /** Runs `fn` with the averages in the variables, then puts the weights back. */
  withAverage<T>(fn: () => Promise<T>): Promise<T>;
  dispose(): void;
}

/**
 * Starts an average at the variables' current values.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tf } from "../../deps.ts";
 * import { weightAverage } from "./ema.ts";
 * await tf.setBackend("cpu");
 * const w = tf.variable(tf.scalar(0));
 * const average = weightAverage([w], 0.9);
 * w.assign(tf.scalar(10));
 * average.update(); // 0.9·0 + 0.1·10
 * const seen = await average.withAverage(async () => (await w.data())[0]);
 * assert.ok(Math.abs(seen - 1) < 1e-6 && (await w.data())[0] === 10);
 * ```
 */
export function weightAverage(variables: tf.Variable[], decay: number): WeightAverage {
  // A variable made from a tensor shares its buffer until one of the two is assigned.
  let averages = variables.map((v) => tf.variable(v, false));
  return {
    update() {
      tf.tidy(() => {
        averages.forEach((average, i) =>
          average.assign(tf.add(tf.mul(decay, average), tf.mul(1 - decay, variables[i])))
        );
      });
    },
    async withAverage(fn) {
      const saved = variables.map((v) => v.clone());
      variables.forEach((v, i) => v.assign(averages[i]));
      try {
        return await fn();
      } finally {
        variables.forEach((v, i) => v.assign(saved[i]));
        tf.dispose(saved);
      }
    },
    saveState: () => Object.fromEntries(averages.map((a, i) => [String(i), a])),
    loadState(state: PluginState) {
      const loaded = variables.map((_, i) => state[String(i)]);
      if (!loaded.every((t) => t instanceof tf.Tensor)) {
        throw new Error("the checkpoint's weight average has missing tensors");
      }
      tf.dispose(averages);
      averages = (loaded as tf.Tensor[]).map((t) => {
        const v = tf.variable(t, false);
        t.dispose();
        return v;
      });
    },
    dispose: () => tf.dispose(averages),
  };
}
