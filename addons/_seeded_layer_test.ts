import assert from "node:assert/strict";
import { tf, tfl, type z } from "../deps.ts";
import type { Plugin } from "../core/contract/plugin.ts";
import { useBackend } from "../core/backend/select.ts";
import { createRng } from "../core/contract/rng.ts";
import dropout from "./dropout.ts";
import gaussianNoise from "./gaussian_noise.ts";

await useBackend("cpu");

async function draw(layer: tfl.layers.Layer, x: tf.Tensor): Promise<Float32Array> {
  const y = layer.apply(x, { training: true }) as tf.Tensor;
  const values = await y.data() as Float32Array;
  y.dispose();
  return values;
}

for (const plugin of [gaussianNoise, dropout] as Plugin<"addon", z.ZodType>[]) {
  const create = (options: Record<string, unknown>, seed: number) =>
    plugin.create({
      tf,
      layers: tfl,
      options: plugin.options!.parse(options),
      rng: createRng(seed),
    });

  Deno.test(`${plugin.name} splices at the input or after every hidden activation`, async () => {
    const input = await create({ at: "input" }, 1);
    assert.equal(input.point, "input");
    assert.equal(
      input.layer({ index: -1, count: 2 })?.getClassName(),
      "Seeded" + (
        plugin === dropout ? "Dropout" : "GaussianNoise"
      ),
    );
    const hidden = await create({}, 1);
    assert.equal(hidden.point, "post-activation");
    assert.ok(hidden.layer({ index: 0, count: 2 }) && hidden.layer({ index: 1, count: 2 }));
    assert.throws(() => plugin.options!.parse({ at: "both" }));
  });

  Deno.test(`${plugin.name}: a restored state replays the same noise in the same layers`, async () => {
    const addon = await create({}, 1);
    const [first, second] = [0, 1].map((index) => addon.layer({ index, count: 2 })!);
    const x = tf.ones([3, 4]);
    const initial = await draw(first, x);
    const saved = structuredClone(addon.saveState!());
    const after = [await draw(second, x), await draw(first, x)];
    assert.notDeepEqual(after[0], after[1]);
    addon.loadState!(saved);
    assert.deepEqual([await draw(second, x), await draw(first, x)], after);
    assert.throws(() => addon.loadState!({ rng: [1, 2] }), TypeError);
    // The run's seed alone decides the stream.
    const [same, other] = [await create({}, 1), await create({}, 2)];
    assert.deepEqual(await draw(same.layer({ index: 0, count: 1 })!, x), initial);
    assert.notDeepEqual(await draw(other.layer({ index: 0, count: 1 })!, x), initial);
    x.dispose();
  });
}
