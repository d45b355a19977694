import assert from "node:assert/strict";
import { tf, tfl } from "../deps.ts";
import { useBackend } from "../core/backend/select.ts";
import { createRng } from "../core/contract/rng.ts";
import batchNorm from "./batch_norm.ts";

await useBackend("cpu");

Deno.test("batch-norm normalises each hidden layer but the first, with batch statistics", async () => {
  const addon = await batchNorm.create({
    tf,
    layers: tfl,
    options: batchNorm.options!.parse({}),
    rng: createRng(1),
  });
  assert.equal(addon.point, "pre-activation");
  assert.equal(addon.layer({ index: 0, count: 3 }), null);
  const layer = addon.layer({ index: 1, count: 3 })!;
  assert.equal(layer.getClassName(), "BatchNormalization");
  const x = tf.tensor2d([[1, 10], [3, 30], [5, 50]]);
  const y = await (layer.apply(x, { training: true }) as tf.Tensor).data();
  // Column means 3 and 30, variances 8/3 and 800/3: (x - mean) / sqrt(var + 1e-3).
  assert.ok(Math.abs(y[0] - -2 / Math.sqrt(8 / 3 + 1e-3)) < 1e-4, String(y[0]));
  assert.ok(Math.abs(y[5] - 20 / Math.sqrt(800 / 3 + 1e-3)) < 1e-4, String(y[5]));
  const all = await batchNorm.create({
    tf,
    layers: tfl,
    options: batchNorm.options!.parse({ skipFirst: false }),
    rng: createRng(1),
  });
  assert.ok(all.layer({ index: 0, count: 3 }));
});
