import assert from "node:assert/strict";
import { tf, tfl } from "../deps.ts";
import { useBackend } from "../core/backend/select.ts";
import { Dense, type DenseArgs } from "./dense.ts";
import { reload } from "./_reload.ts";
import { assertTwins } from "./_twins.ts";

Deno.test("Dense is tfjs's Dense in numbers, in one kernel on wasm", async () => {
  await useBackend("wasm");
  const cases: [DenseArgs, number[]][] = [
    [{
      units: 5,
      kernelInitializer: tfl.initializers.glorotUniform({ seed: 1 }),
      biasInitializer: "randomNormal",
    }, [8, 3]],
    [{ units: 4, useBias: false, kernelInitializer: tfl.initializers.glorotUniform({ seed: 2 }) }, [
      6,
      7,
    ]],
    // Taken by tfjs's own call: an input of rank 3, an activation.
    [{ units: 3, kernelInitializer: tfl.initializers.glorotUniform({ seed: 3 }) }, [2, 4, 5]],
    [{
      units: 3,
      activation: "tanh",
      kernelInitializer: tfl.initializers.glorotUniform({ seed: 4 }),
    }, [4, 5]],
  ];
  for (const [args, shape] of cases) {
    await assertTwins(new Dense(args), tfl.layers.dense(args), shape);
  }
  const [ours, theirs] = [new Dense({ units: 2 }), tfl.layers.dense({ units: 2 })];
  const kernels = async (layer: tfl.layers.Layer) =>
    (await tf.profile(() => layer.apply(tf.ones([4, 3])) as tf.Tensor)).kernels.map((k) => k.name);
  assert.deepEqual(await kernels(ours), ["GantryMatMul"]);
  assert.ok(
    (await kernels(theirs)).includes("Reshape"),
    "tfjs's Dense reshapes around its product",
  );
});

Deno.test("a model with Dense saves a plain Dense, which tfjs loads with the same outputs", async () => {
  await useBackend("cpu");
  const input = tfl.input({ shape: [3] });
  const output = new Dense({
    units: 2,
    kernelInitializer: tfl.initializers.glorotUniform({ seed: 6 }),
  })
    .apply(input) as tfl.SymbolicTensor;
  const model = tfl.model({ inputs: input, outputs: output });
  const loaded = await reload(model);
  assert.equal(loaded.layers[1].getClassName(), "Dense");
  assert.ok(!(loaded.layers[1] instanceof Dense), "loaded as tfjs's own Dense");
  const x = tf.tensor2d([[1, -2, 0.5]]);
  assert.deepEqual(
    await (loaded.predict(x) as tf.Tensor).data(),
    await (model.predict(x) as tf.Tensor).data(),
  );
});
