import assert from "node:assert/strict";
import { tf, tfl } from "../deps.ts";
import { startBackend } from "../core/backend/select.ts";
import { webgpuAdapter } from "../core/backend/webgpu.ts";
import type {
  AnyPlugin,
  DiscriminatorOutput,
  PenaltyInputs,
  Regularizer,
} from "../core/contract/plugin.ts";
import { createRng } from "../core/contract/rng.ts";
import { MinibatchDiscrimination } from "../layers/minibatch_discrimination.ts";
import dragan from "./dragan.ts";
import gradientPenalty from "./gradient_penalty.ts";
import r1 from "./r1.ts";
import r2 from "./r2.ts";

// CI installs lavapipe and sets GANTRY_REQUIRE_WEBGPU; elsewhere a missing adapter skips WebGPU.
const webgpuMissing = !(await webgpuAdapter()) && !Deno.env.get("GANTRY_REQUIRE_WEBGPU");

/** A tiny D, 3 → 5 (leaky ReLU) → 1, with fixed weights. */
function tinyDiscriminator(): tfl.LayersModel {
  const input = tfl.input({ shape: [3] });
  const hidden = tfl.layers.dense({
    units: 5,
    kernelInitializer: tfl.initializers.glorotUniform({ seed: 1 }),
    biasInitializer: tfl.initializers.constant({ value: 0.1 }),
  }).apply(input) as tfl.SymbolicTensor;
  const activated = tfl.layers.leakyReLU({ alpha: 0.2 }).apply(hidden) as tfl.SymbolicTensor;
  const output = tfl.layers.dense({
    units: 1,
    kernelInitializer: tfl.initializers.glorotUniform({ seed: 2 }),
  }).apply(activated) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: output });
}

const REAL = [[0.3, -0.2, 0.5], [1, 0.1, -0.7], [-0.4, 0.8, 0.2]];
const FAKE = [[0.1, 0.4, -0.3], [-0.9, -0.2, 0.6], [0.5, 0.5, 0.5]];

async function create(plugin: AnyPlugin, options: Record<string, unknown> = {}) {
  return await (plugin.create as (context: unknown) => Promise<Regularizer>)({
    tf,
    layers: tfl,
    options: plugin.options!.parse(options),
    rng: createRng(7),
    discriminator: { logits: 1, features: 1 },
  });
}

function inputs(model: tfl.LayersModel, step = 1): PenaltyInputs {
  const discriminate = (x: tf.Tensor): DiscriminatorOutput => ({
    x,
    logits: model.apply(x) as tf.Tensor,
    features: [],
  });
  return {
    real: discriminate(tf.tensor2d(REAL)),
    fake: discriminate(tf.tensor2d(FAKE)),
    step,
    discriminate,
    variables: model.trainableWeights.map((w) => w.read() as tf.Variable),
    ganWeight: 1,
  };
}

const read = async (t: tf.Tensor) => (await t.data())[0];

/** ∇ₓ D(x) of one example by central differences on its inputs: independent of tfjs's tape. */
async function inputGradient(model: tfl.LayersModel, row: number[]): Promise<number[]> {
  const h = 1e-2;
  const at = (x: number[]) => read(model.predict(tf.tensor2d([x])) as tf.Tensor);
  const out: number[] = [];
  for (let i = 0; i < row.length; i++) {
    const up = row.with(i, row[i] + h), down = row.with(i, row[i] - h);
    out.push(((await at(up)) - (await at(down))) / (2 * h));
  }
  return out;
}

const squaredNorm = (v: number[]) => v.reduce((s, x) => s + x * x, 0);

/**
 * d penalty / d (D's first kernel weight), by tfjs's second-order tape and by differences; the
 * three evaluations use `penalties` in turn (fresh plugins, for penalties that draw noise).
 */
async function weightGradient(model: tfl.LayersModel, penalties: (() => tf.Scalar)[]) {
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const kernel = variables[0];
  const [tape, ...differences] = penalties;
  const { grads } = tf.variableGrads(tape, variables);
  const analytic = (await grads[kernel.name].data())[0];
  const original = await kernel.data();
  const h = 1e-2;
  const at = async (delta: number) => {
    kernel.assign(tf.tensor(original.map((v, i) => i === 0 ? v + delta : v), kernel.shape));
    return await read(differences.shift()!());
  };
  const numeric = ((await at(h)) - (await at(-h))) / (2 * h);
  kernel.assign(tf.tensor(original, kernel.shape));
  return { analytic, numeric };
}

const close = (a: number, b: number, tolerance: number, what: string) =>
  assert.ok(Math.abs(a - b) <= tolerance * Math.max(1, Math.abs(b)), `${what}: ${a} vs ${b}`);

for (const backend of ["cpu", "wasm", "webgpu"] as const) {
  Deno.test({
    name: `input-gradient penalties on ${backend}: values and D's gradients match differences`,
    ignore: backend === "webgpu" && webgpuMissing,
  }, async () => {
    await startBackend(backend);
    const model = tinyDiscriminator();
    const realGradients = await Promise.all(REAL.map((row) => inputGradient(model, row)));
    const fakeGradients = await Promise.all(FAKE.map((row) => inputGradient(model, row)));
    const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;

    // R1 and R2: γ/2 · E‖∇ₓD‖² on real and on generated data.
    const r1Penalty = await create(r1, { gamma: 4 });
    close(
      await read(r1Penalty.discriminator!(inputs(model))),
      2 * mean(realGradients.map(squaredNorm)),
      2e-3,
      "R1",
    );
    const r2Penalty = await create(r2, { gamma: 4 });
    close(
      await read(r2Penalty.discriminator!(inputs(model))),
      2 * mean(fakeGradients.map(squaredNorm)),
      2e-3,
      "R2",
    );
    // Lazy: nothing at steps off the interval, `every` times the penalty on it.
    const lazy = await create(r1, { gamma: 4, every: 4 });
    assert.equal(await read(lazy.discriminator!(inputs(model, 3))), 0);
    close(
      await read(lazy.discriminator!(inputs(model, 4))),
      8 * mean(realGradients.map(squaredNorm)),
      2e-3,
      "lazy R1",
    );
    // The second-order gradients that train D.
    for (const plugin of [r1, r2, gradientPenalty, dragan]) {
      // Fresh plugins with one seed draw the same noise at a step: the three calls agree.
      const regularizers = await Promise.all([0, 1, 2].map(() => create(plugin)));
      const { analytic, numeric } = await weightGradient(
        model,
        regularizers.map((regularizer) => () => regularizer.discriminator!(inputs(model))),
      );
      assert.ok(analytic !== 0, `${plugin.name}'s gradient is zero`);
      close(analytic, numeric, 2e-2, `${plugin.name}'s gradient`);
    }
    model.dispose();
  });
}

Deno.test("WGAN-GP is λ·E(‖∇D(x̂)‖−1)² at interpolates; one-sided only above 1; noise replays", async () => {
  await startBackend("cpu");
  const model = tinyDiscriminator();
  // D(x) = w·x is linear with ‖∇‖ = ‖w‖ everywhere: the penalty is λ(‖w‖−1)² at any x̂.
  const linear = tfl.sequential({
    layers: [tfl.layers.dense({
      inputShape: [3],
      units: 1,
      useBias: false,
      kernelInitializer: tfl.initializers.constant({ value: 0.2 }),
    })],
  });
  const norm = Math.sqrt(3 * 0.04);
  const twoSided = await create(gradientPenalty, { lambda: 10 });
  close(await read(twoSided.discriminator!(inputs(linear))), 10 * (norm - 1) ** 2, 1e-5, "GP");
  const oneSided = await create(gradientPenalty, { lambda: 10, oneSided: true });
  assert.equal(await read(oneSided.discriminator!(inputs(linear))), 0);
  // The interpolates' noise depends on the step and the draw, not on history: a resumed run
  // (a fresh plugin) draws the same.
  const first = await read(
    (await create(gradientPenalty)).discriminator!(inputs(model, 9)),
  );
  const again = await read(
    (await create(gradientPenalty)).discriminator!(inputs(model, 9)),
  );
  const other = await read(
    (await create(gradientPenalty)).discriminator!(inputs(model, 10)),
  );
  assert.equal(first, again);
  assert.notEqual(first, other);
  model.dispose();
  linear.dispose();
});

Deno.test("R1 through minibatch discrimination on wasm: the fused closeness steps aside for second order", async () => {
  await startBackend("wasm");
  const input = tfl.input({ shape: [3] });
  const hidden = tfl.layers.dense({
    units: 4,
    kernelInitializer: tfl.initializers.glorotUniform({ seed: 1 }),
  }).apply(input) as tfl.SymbolicTensor;
  const mixed = new MinibatchDiscrimination({ kernels: 2, dims: 2, seed: 3 })
    .apply(hidden) as tfl.SymbolicTensor;
  const output = tfl.layers.dense({
    units: 1,
    kernelInitializer: tfl.initializers.glorotUniform({ seed: 2 }),
  }).apply(mixed) as tfl.SymbolicTensor;
  const model = tfl.model({ inputs: input, outputs: output });
  const regularizers = await Promise.all([0, 1, 2].map(() => create(r1, { gamma: 2 })));
  const { analytic, numeric } = await weightGradient(
    model,
    regularizers.map((regularizer) => () => regularizer.discriminator!(inputs(model))),
  );
  assert.ok(analytic !== 0);
  close(analytic, numeric, 2e-2, "R1's gradient through minibatch discrimination");
  model.dispose();
});
