import assert from "node:assert/strict";
import { tf, tfl } from "../deps.ts";
import { useBackend } from "../core/backend/select.ts";
import type { DiscriminatorOutput, LossInputs, PluginContracts } from "../core/contract/plugin.ts";
import { createRng } from "../core/contract/rng.ts";
import featureMatching from "./feature_matching.ts";
import hinge from "./hinge.ts";
import relativistic from "./relativistic.ts";
import wasserstein from "./wasserstein.ts";
import minimax from "./minimax.ts";
import nonSaturating from "./non_saturating.ts";

await useBackend("cpu");

const output = (logits: number[], features: number[][][] = []): DiscriminatorOutput => ({
  x: tf.zeros([logits.length, 1]),
  logits: tf.tensor2d(logits, [logits.length, 1]),
  features: features.map((rows) => tf.tensor2d(rows)),
});

/** A loss's inputs at step 1 (these losses never call D again). */
const lossInputs = (real: DiscriminatorOutput, fake: DiscriminatorOutput): LossInputs => ({
  real,
  fake,
  step: 1,
  discriminate: () => {
    throw new Error("not called by these losses");
  },
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
  const inputs = lossInputs(output([2, -1]), output([0.5, -3]));
  const expected = (softplus(-2) + softplus(1)) / 2 + (softplus(0.5) + softplus(-3)) / 2;
  for (const plugin of [minimax, nonSaturating, featureMatching]) {
    const loss = await create(plugin as typeof minimax);
    assert.ok(Math.abs(await value(loss.discriminator!(inputs)) - expected) < 1e-6);
  }
});

Deno.test("minimax G loss is -softplus(l_fake) = log(1 - D(G(z))) and saturates", async () => {
  const loss = await create(minimax);
  const fake = [-4, 1];
  const got = await value(loss.generator!(lossInputs(output([0]), output(fake))));
  const expected = fake.map((l) => Math.log(1 - 1 / (1 + Math.exp(-l)))).reduce((a, b) => a + b) /
    2;
  assert.ok(Math.abs(got - expected) < 1e-6, `${got} vs ${expected}`);
  // Where D rejects fakes confidently, the saturating gradient vanishes, the L1 one does not.
  const gradient = async (plugin: typeof minimax) => {
    const generator = (await create(plugin)).generator!;
    const g = tf.grad((l: tf.Tensor) =>
      generator(lossInputs(output([0]), { x: l, logits: l, features: [] }))
    )(tf.tensor2d([-10], [1, 1]));
    return Math.abs((await g.data())[0]);
  };
  assert.ok(await gradient(minimax) < 1e-4);
  assert.ok(await gradient(nonSaturating) > 0.99);
});

Deno.test("non-saturating G loss is softplus(-l_fake) = -log D(G(z))", async () => {
  const loss = await create(nonSaturating);
  const got = await value(loss.generator!(lossInputs(output([0]), output([1, -2]))));
  assert.ok(Math.abs(got - (softplus(-1) + softplus(2)) / 2) < 1e-6);
});

Deno.test("feature matching is ||mean f(x) - mean f(G(z))||² (or L1) on the chosen layer", async () => {
  const real = output([0, 0], [[[9, 9], [9, 9]], [[1, 2], [3, 4]]]);
  const fake = output([0, 0], [[[0, 0], [0, 0]], [[0, 0], [1, 1]]]);
  const inputs = lossInputs(real, fake);
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

Deno.test("hinge, Wasserstein and relativistic losses, by hand", async () => {
  const real = output([2, -1]), fake = output([0.5, -3]);
  const inputs = lossInputs(real, fake);
  const at = async (plugin: typeof minimax, side: "discriminator" | "generator", options = {}) =>
    await value((await create(plugin, options))[side]!(inputs));
  // Hinge: mean relu(1 − l_real) + mean relu(1 + l_fake) = (0 + 2)/2 + (1.5 + 0)/2.
  assert.equal(await at(hinge as typeof minimax, "discriminator"), 1.75);
  assert.equal(await at(hinge as typeof minimax, "generator"), 1.25);
  // Wasserstein: E l_fake − E l_real = −1.25 − 0.5; G: −E l_fake.
  assert.equal(await at(wasserstein as typeof minimax, "discriminator"), -1.75);
  assert.equal(await at(wasserstein as typeof minimax, "generator"), 1.25);
  // Relativistic, standard: pairs (2 − 0.5), (−1 + 3); G swaps the roles.
  const rs = (softplus(-1.5) + softplus(-2)) / 2;
  const rsG = (softplus(1.5) + softplus(2)) / 2;
  const near = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-6, `${a} vs ${b}`);
  near(await at(relativistic as typeof minimax, "discriminator"), rs);
  near(await at(relativistic as typeof minimax, "generator"), rsG);
  // Average: each against the other batch's mean (real mean 0.5, fake mean −1.25).
  const ra = (softplus(-(2 + 1.25)) + softplus(-(-1 + 1.25))) / 2 +
    (softplus(0.5 - 0.5) + softplus(-3 - 0.5)) / 2;
  near(await at(relativistic as typeof minimax, "discriminator", { form: "average" }), ra);
});
