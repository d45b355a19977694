import assert from "node:assert/strict";
import { tf, tfl } from "../deps.ts";
import { useBackend } from "../core/backend.ts";
import { createRng } from "../core/rng.ts";
import labelSmoothing from "./label_smoothing.ts";

await useBackend("cpu");

Deno.test("label smoothing turns L0 into cross-entropy with real target alpha", async () => {
  const regularizer = await labelSmoothing.create({
    tf,
    layers: tfl,
    options: labelSmoothing.options!.parse({ alpha: 0.9 }),
    rng: createRng(1),
  });
  const logits = [2, -1, 0.5];
  const real = { logits: tf.tensor2d(logits, [3, 1]), features: [] };
  const fake = { logits: tf.tensor2d([0], [1, 1]), features: [] };
  const penalty =
    (await regularizer.discriminator!({ real, fake, step: 1, variables: [] }).data())[0];
  const softplus = (x: number) => Math.log1p(Math.exp(x));
  const mean = (f: (l: number) => number) => logits.reduce((s, l) => s + f(l), 0) / logits.length;
  const smoothed = mean((l) => 0.9 * softplus(-l) + 0.1 * softplus(l));
  assert.ok(Math.abs(mean((l) => softplus(-l)) + penalty - smoothed) < 1e-6);
  assert.throws(() => labelSmoothing.options!.parse({ alpha: 1.5 }));
});
