import assert from "node:assert/strict";
import { tf, type tfl } from "../deps.ts";

/** A layer's output, then the gradients of Σ output · upstream for x and each weight. */
function outputAndGradients(layer: tfl.layers.Layer, x: tf.Tensor): tf.Tensor[] {
  const y = layer.apply(x) as tf.Tensor;
  const upstream = tf.randomNormal(y.shape, 0, 1, "float32", 3);
  const cost = (x: tf.Tensor) => tf.sum(tf.mul(layer.apply(x) as tf.Tensor, upstream)) as tf.Scalar;
  const weights = layer.trainableWeights.map((w) => w.read() as tf.Variable);
  const { grads } = tf.variableGrads(() => cost(x), weights);
  return [y, tf.grad(cost)(x), ...weights.map((w) => grads[w.name])];
}

/**
 * Builds gantry's layer and tfjs's for `inputShape`, gives tfjs's the weights of gantry's, and
 * asserts that on a random x of that shape both give the same output and gradients (for x and
 * each weight), bit for bit: what the tests of gantry's versions of tfjs layers check.
 */
export async function assertTwins(
  ours: tfl.layers.Layer,
  theirs: tfl.layers.Layer,
  inputShape: number[],
): Promise<void> {
  ours.build(inputShape);
  theirs.build(inputShape);
  theirs.setWeights(ours.getWeights());
  const x = tf.randomNormal(inputShape, 0, 1, "float32", 5);
  const [got, expected] = [outputAndGradients(ours, x), outputAndGradients(theirs, x)];
  assert.deepEqual(got.map((t) => t.shape), expected.map((t) => t.shape), `[${inputShape}]`);
  for (let i = 0; i < got.length; i++) {
    assert.deepEqual(await got[i].data(), await expected[i].data(), `[${inputShape}]: ${i}`);
  }
  tf.dispose([x, ...got, ...expected]);
}
