import assert from "node:assert/strict";
import { tf, tfl } from "../deps.ts";
import { useBackend } from "../core/backend/select.ts";
import { createRng } from "../core/contract/rng.ts";
import { VirtualBatchNorm } from "../layers/virtual_batch_norm.ts";
import virtualBatchNorm from "./virtual_batch_norm.ts";

await useBackend("cpu");

Deno.test("virtual-batch-norm asks for a reference batch and normalises before activations", async () => {
  const create = (options: Record<string, unknown>) =>
    virtualBatchNorm.create({
      tf,
      layers: tfl,
      options: virtualBatchNorm.options!.parse(options),
      rng: createRng(1),
    });
  const addon = await create({});
  assert.equal(addon.point, "pre-activation");
  assert.equal(addon.referenceBatch, 100);
  const layer = addon.layer({ index: 0, count: 2 }) as VirtualBatchNorm;
  assert.deepEqual([layer.referenceSize, layer.epsilon], [100, 1e-5]);
  const skipping = await create({ referenceSize: 8, skipFirst: true });
  assert.equal(skipping.referenceBatch, 8);
  assert.equal(skipping.layer({ index: 0, count: 2 }), null);
  assert.ok(skipping.layer({ index: 1, count: 2 }) instanceof VirtualBatchNorm);
  assert.throws(() => virtualBatchNorm.options!.parse({ referenceSize: 0 }));
});
