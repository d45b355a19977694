/**
 * [IMP] semi-supervised learning: the labeled subset, drawn once, and the supervised part of
 * D's K+1-class loss. The unsupervised part is the run's ordinary D loss applied to
 * log Z(x) = logsumexp of the K class logits (the fake class's logit is fixed at 0, so
 * D(x) = Z/(Z+1) = sigmoid(log Z)).
 *
 * @module
 */
import { tf } from "../../deps.ts";
import type { Examples } from "../contract/plugin.ts";
import type { Rng } from "../contract/rng.ts";

/** The labeled subset of semi-supervised mode. */
export interface LabeledSet {
  /** Indices into the training split, ascending. */
  indices: number[];
  x: tf.Tensor;
  labels: tf.Tensor1D;
  classes: number;
  unsupervisedWeight: number;
}

/**
 * Picks `count` distinct example indices from `labels`: `count / K` per class when `perClass`
 * (throws if a class has too few examples), otherwise uniformly. Sorted ascending.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createRng } from "../contract/rng.ts";
 * import { drawLabeled } from "./semi_supervised.ts";
 * const labels = Int32Array.from([0, 1, 0, 1, 0, 1]);
 * const picked = drawLabeled(labels, 2, 4, true, createRng(1));
 * assert.deepEqual(picked.map((i) => labels[i]).sort(), [0, 0, 1, 1]);
 * ```
 */
export function drawLabeled(
  labels: Int32Array,
  classes: number,
  count: number,
  perClass: boolean,
  rng: Rng,
): number[] {
  if (count > labels.length) {
    throw new Error(`expected at most ${labels.length} labels (the training split's size)`);
  }
  const shuffled = Array.from(labels.keys());
  for (let i = shuffled.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [shuffled[i], shuffled[j]] = [shuffled[j], shuffled[i]];
  }
  if (!perClass) return shuffled.slice(0, count).sort((a, b) => a - b);
  if (count % classes !== 0) {
    throw new Error(`expected a multiple of the ${classes} classes with perClass (got ${count})`);
  }
  const per = count / classes;
  const picked: number[] = [];
  for (let k = 0; k < classes; k++) {
    const members = shuffled.filter((i) => labels[i] === k).slice(0, per);
    if (members.length < per) {
      throw new Error(`class ${k} has ${members.length} training examples, fewer than ${per}`);
    }
    picked.push(...members);
  }
  return picked.sort((a, b) => a - b);
}

/**
 * The supervised cross-entropy of K class logits [n, K] against int32 labels [n]:
 * mean(logsumexp(l) − l_y).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tf } from "../../deps.ts";
 * import { supervisedLoss } from "./semi_supervised.ts";
 * await tf.setBackend("cpu");
 * const loss = supervisedLoss(tf.tensor2d([[0, 0]]), tf.tensor1d([1], "int32"));
 * assert.ok(Math.abs((await loss.data())[0] - Math.log(2)) < 1e-6);
 * ```
 */
export function supervisedLoss(classLogits: tf.Tensor, labels: tf.Tensor): tf.Scalar {
  return tf.tidy(() => {
    const picked = tf.sum(tf.mul(classLogits, tf.oneHot(labels, classLogits.shape[1]!)), 1);
    return tf.mean(tf.sub(tf.logSumExp(classLogits, 1), picked));
  });
}

/**
 * The labeled subset, drawn once from the training split with `rng` (see
 * {@linkcode drawLabeled}); throws when the split cannot give that many labels.
 */
export async function labeledSubset(
  train: Examples,
  classes: number,
  semi: { labels: number; perClass: boolean; unsupervisedWeight: number },
  rng: Rng,
): Promise<LabeledSet> {
  const values = await train.labels!.data() as Int32Array;
  const indices = drawLabeled(values, classes, semi.labels, semi.perClass, rng);
  const index = tf.tensor1d(indices, "int32");
  const labeled = {
    indices,
    x: tf.gather(train.x, index),
    labels: tf.gather(train.labels!, index),
    classes,
    unsupervisedWeight: semi.unsupervisedWeight,
  };
  index.dispose();
  return labeled;
}

/** n labeled examples drawn with replacement from the labeled subset. */
export function sampleLabeled(labeled: LabeledSet, rng: Rng, n: number) {
  const picks = new Int32Array(n);
  for (let i = 0; i < n; i++) picks[i] = rng.int(labeled.indices.length);
  const index = tf.tensor1d(picks, "int32");
  return { x: tf.gather(labeled.x, index), labels: tf.gather(labeled.labels, index) };
}
