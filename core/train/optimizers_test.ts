import assert from "node:assert/strict";
import { tf } from "../../deps.ts";
import { learningRateAt, setLearningRate } from "./optimizers.ts";

Deno.test("linear decay: lr through start, then down to 0 at end and after", () => {
  const optimizer = { lr: 0.003, decay: { start: 20, end: 24 } };
  const rates = [1, 20, 21, 22, 23, 24, 30].map((step) => learningRateAt(optimizer, step));
  assert.deepEqual(rates.map((r) => +r.toFixed(6)), [0.003, 0.003, 0.00225, 0.0015, 0.00075, 0, 0]);
  assert.equal(learningRateAt({ lr: 0.003 }, 10 ** 6), 0.003);
});

for (
  const [name, make] of [
    ["sgd", () => tf.train.sgd(1)],
    ["momentum", () => tf.train.momentum(1, 0.9)],
    ["adam", () => tf.train.adam(1)],
  ] as const
) {
  Deno.test(`setLearningRate changes the size of ${name}'s next update`, async () => {
    await tf.setBackend("cpu");
    const x = tf.variable(tf.scalar(1));
    const optimizer = make();
    setLearningRate(optimizer, 0.25);
    // d/dx of x is 1: SGD and momentum's first step move by lr, Adam's by lr too (m̂/√v̂ = 1).
    optimizer.minimize(() => tf.mul(x, 1) as tf.Scalar, false, [x]);
    assert.ok(Math.abs((await x.data())[0] - 0.75) < 1e-5, String(await x.data()));
    optimizer.dispose();
    x.dispose();
  });
}
