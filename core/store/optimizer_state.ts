/**
 * An optimizer's state as a checkpoint keeps it, bit for bit: tfjs's `getWeights` plus Adam's
 * running β powers, which `setWeights` would otherwise recompute.
 *
 * @module
 */
import { tf } from "../../deps.ts";
import type { NamedTensor } from "./tensor_file.ts";

/** The two players' optimizers, each over its own variables. */
export interface Optimizers {
  discriminator: tf.Optimizer;
  generator: tf.Optimizer;
}

/**
 * Adam keeps β1^t and β2^t as running products; `setWeights` recomputes them with pow(), which
 * differs in the last float32 bits, so a resumed run would drift from an uninterrupted one. They
 * are saved under these names and put back by {@linkcode setOptimizerWeights}.
 */
const ADAM_POWERS = ["accBeta1", "accBeta2"] as const;

type AdamPowers = Record<typeof ADAM_POWERS[number], tf.Variable>;

/**
 * An optimizer's state: `getWeights` (its own variables, and fresh tensors the caller frees)
 * and, for Adam, copies of its β powers.
 */
export async function optimizerWeights(optimizer: tf.Optimizer): Promise<NamedTensor[]> {
  const weights = await optimizer.getWeights();
  // Not `instanceof`: tfjs's optimizer classes answer it for any optimizer (duck typing).
  const powers = optimizer as unknown as Partial<AdamPowers>;
  if (!powers.accBeta1 || !powers.accBeta2) return weights;
  return [...weights, ...ADAM_POWERS.map((name) => ({ name, tensor: powers[name]!.clone() }))];
}

/**
 * Restores an optimizer's state saved by {@linkcode optimizerWeights}, exactly; it takes the
 * tensors over.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tf } from "../../deps.ts";
 * import { optimizerWeights, setOptimizerWeights } from "./optimizer_state.ts";
 *
 * await tf.setBackend("cpu");
 * const w = tf.variable(tf.scalar(1));
 * const adam = tf.train.adam(0.1);
 * for (let i = 0; i < 3; i++) adam.minimize(() => tf.square(w) as tf.Scalar, false, [w]);
 * const saved = (await optimizerWeights(adam)).map((w) => ({ ...w, tensor: w.tensor.clone() }));
 * const fresh = tf.train.adam(0.1);
 * await setOptimizerWeights(fresh, saved);
 * const powers = (o: tf.Optimizer) => (o as unknown as { accBeta1: tf.Variable }).accBeta1.data();
 * assert.deepEqual(await powers(fresh), await powers(adam));
 * ```
 */
export async function setOptimizerWeights(
  optimizer: tf.Optimizer,
  weights: NamedTensor[],
): Promise<void> {
  const isPower = (name: string) => (ADAM_POWERS as readonly string[]).includes(name);
  await optimizer.setWeights(weights.filter((w) => !isPower(w.name)));
  for (const { name, tensor } of weights) {
    if (isPower(name)) (optimizer as unknown as AdamPowers)[name as "accBeta1"].assign(tensor);
  }
  // The optimizer's variables share these tensors' buffers (counted references): freeing the
  // tensors leaves the variables whole, and their first update frees the old buffers.
  tf.dispose(weights.map((w) => w.tensor));
}
