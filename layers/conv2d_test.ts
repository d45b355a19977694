import assert from "node:assert/strict";
import { tf, tfl } from "../deps.ts";
import { useBackend } from "../core/backend/select.ts";
import { Conv2D, type Conv2DArgs } from "./conv2d.ts";
import { reload } from "./_reload.ts";
import { assertTwins } from "./_twins.ts";

Deno.test("Conv2D is tfjs's Conv2D in numbers, in one kernel on wasm", async () => {
  await useBackend("wasm");
  const init = (seed: number) => tfl.initializers.glorotUniform({ seed });
  const cases: [Conv2DArgs, number[]][] = [
    [{
      filters: 6,
      kernelSize: 5,
      strides: 2,
      padding: "same",
      kernelInitializer: init(1),
      biasInitializer: "randomNormal",
    }, [3, 12, 12, 4]],
    [{ filters: 3, kernelSize: [3, 2], useBias: false, kernelInitializer: init(2) }, [2, 7, 6, 2]],
    // Taken by tfjs's own call: an activation, channels first.
    [{ filters: 2, kernelSize: 3, activation: "relu", kernelInitializer: init(3) }, [2, 6, 6, 1]],
    [{ filters: 2, kernelSize: 2, dataFormat: "channelsFirst", kernelInitializer: init(4) }, [
      1,
      3,
      7,
      7,
    ]],
  ];
  for (const [args, shape] of cases) {
    await assertTwins(new Conv2D(args), tfl.layers.conv2d(args), shape);
  }
  const [ours, theirs] = [
    new Conv2D({ filters: 2, kernelSize: 3 }),
    tfl.layers.conv2d({ filters: 2, kernelSize: 3 }),
  ];
  const kernels = async (layer: tfl.layers.Layer) =>
    (await tf.profile(() => layer.apply(tf.ones([1, 5, 5, 1])) as tf.Tensor)).kernels.map((k) =>
      k.name
    );
  assert.deepEqual(await kernels(ours), ["GantryConv2D"]);
  assert.ok((await kernels(theirs)).includes("FusedConv2D"), "tfjs's runs its fused conv2d");
});

Deno.test("a model with Conv2D saves a plain Conv2D, which tfjs loads with the same outputs", async () => {
  await useBackend("cpu");
  const input = tfl.input({ shape: [4, 4, 1] });
  const output = new Conv2D({ filters: 2, kernelSize: 3, kernelInitializer: "glorotUniform" })
    .apply(input) as tfl.SymbolicTensor;
  const model = tfl.model({ inputs: input, outputs: output });
  const loaded = await reload(model);
  assert.equal(loaded.layers[1].getClassName(), "Conv2D");
  assert.ok(!(loaded.layers[1] instanceof Conv2D), "loaded as tfjs's own Conv2D");
  const x = tf.randomNormal([1, 4, 4, 1], 0, 1, "float32", 6);
  assert.deepEqual(
    await (loaded.predict(x) as tf.Tensor).data(),
    await (model.predict(x) as tf.Tensor).data(),
  );
});
