import assert from "node:assert/strict";
import { tf, tfl } from "../deps.ts";
import { useBackend } from "../core/backend/select.ts";
import type { DiscriminatorOutput, LossInputs, PluginContracts } from "../core/contract/plugin.ts";
import { createRng } from "../core/contract/rng.ts";
import featureMatching from "./feature_matching.ts";
import minimax from "./minimax.ts";
import nonSaturating from "./non_saturating.ts";

await useBackend("cpu");

const output = (logits: number[], features: number[][][] = []): DiscriminatorOutput => ({
  logits: tf.tensor2d(logits, [logits.length, 1]),
  features: features.map((rows) => tf.tensor2d(rows)),
});

async function value(loss: tf.Scalar): Promise<number> {
  return (await loss.data())[0];
}

async function create(
  plugin: typeof minimax,
  options: Record<string, unknown> = {},
  discriminator = { logits: 1, features: 2 },
) {
  const parsed = plugin.options ? plugin.options.parse(options) : {};
  return await plugin.create({
    tf,
    layers: tfl,
    options: parsed,
    rng: createRng(1),
    discriminator,
  }) as PluginContracts["loss"];
}

const softplus = (x: number) => Math.log1p(Math.exp(x));

Deno.test("L0: softplus(-l_real) + softplus(l_fake), shared by the three built-in losses", async () => {
  const inputs: LossInputs = { real: output([2, -1]), fake: output([0.5, -3]), step: 1 };
  const expected = (softplus(-2) + softplus(1)) / 2 + (softplus(0.5) + softplus(-3)) / 2;
  for (const plugin of [minimax, nonSaturating, featureMatching]) {
    const loss = await create(plugin as typeof minimax);
    assert.ok(Math.abs(await value(loss.discriminator!(inputs)) - expected) < 1e-6);
  }
});

Deno.test("minimax G loss is -softplus(l_fake) = log(1 - D(G(z))) and saturates", async () => {
  const loss = await create(minimax);
  const fake = [-4, 1];
  const got = await value(loss.generator!({ real: output([0]), fake: output(fake), step: 1 }));
  const expected = fake.map((l) => Math.log(1 - 1 / (1 + Math.exp(-l)))).reduce((a, b) => a + b) /
    2;
  assert.ok(Math.abs(got - expected) < 1e-6, `${got} vs ${expected}`);
  // Where D rejects fakes confidently, the saturating gradient vanishes, the L1 one does not.
  const gradient = async (plugin: typeof minimax) => {
    const generator = (await create(plugin)).generator!;
    const g = tf.grad((l: tf.Tensor) =>
      generator({ real: output([0]), fake: { logits: l, features: [] }, step: 1 })
    )(tf.tensor2d([-10], [1, 1]));
    return Math.abs((await g.data())[0]);
  };
  assert.ok(await gradient(minimax) < 1e-4);
  assert.ok(await gradient(nonSaturating) > 0.99);
});

Deno.test("non-saturating G loss is softplus(-l_fake) = -log D(G(z))", async () => {
  const loss = await create(nonSaturating);
  const got = await value(loss.generator!({ real: output([0]), fake: output([1, -2]), step: 1 }));
  assert.ok(Math.abs(got - (softplus(-1) + softplus(2)) / 2) < 1e-6);
});

Deno.test("feature matching is ||mean f(x) - mean f(G(z))||² (or L1) on the chosen layer", async () => {
  const real = output([0, 0], [[[9, 9], [9, 9]], [[1, 2], [3, 4]]]);
  const fake = output([0, 0], [[[0, 0], [0, 0]], [[0, 0], [1, 1]]]);
  const inputs = { real, fake, step: 1 };
  // Last layer: means (2, 3) vs (0.5, 0.5): 1.5² + 2.5² = 8.5.
  assert.equal(await value((await create(featureMatching)).generator!(inputs)), 8.5);
  assert.equal(
    await value((await create(featureMatching, { reduction: "mean" })).generator!(inputs)),
    4.25,
  );
  // improved-gan's CIFAR-10 loss: mean |gap| = (1.5 + 2.5) / 2.
  assert.equal(
    await value(
      (await create(featureMatching, { distance: "absolute", reduction: "mean" })).generator!(
        inputs,
      ),
    ),
    2,
  );
  assert.equal(
    await value((await create(featureMatching, { layer: 0 })).generator!(inputs)),
    2 * 81,
  );
  // A layer D does not have is refused when the loss is created, before any step.
  await assert.rejects(
    () => create(featureMatching, { layer: 2 }),
    /option layer 2 is out of range: the discriminator has 2 hidden layers \(0 to 1, or -1 to -2/,
  );
  await assert.rejects(() => create(featureMatching, { layer: -3 }), /out of range/);
});
