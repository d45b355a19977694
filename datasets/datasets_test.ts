import assert from "node:assert/strict";
import { tf, tfl } from "../deps.ts";
import { useBackend } from "../core/backend.ts";
import type { AnyPlugin, Dataset } from "../core/plugin.ts";
import { createRng } from "../core/rng.ts";
import gaussian1d from "./gaussian_1d.ts";
import grid25 from "./grid_25.ts";
import mnist from "./mnist.ts";
import ring8 from "./ring_8.ts";

await useBackend("cpu");

async function create(plugin: AnyPlugin, options: Record<string, unknown> = {}): Promise<Dataset> {
  const parsed = plugin.options?.parse(options) ?? {};
  // deno-lint-ignore no-explicit-any
  return await (plugin.create as any)({ tf, layers: tfl, options: parsed, rng: createRng(1) });
}

Deno.test("ring-8 has 8 modes on the unit circle and samples stay within a few std", async () => {
  const ring = await create(ring8);
  const { means, std } = ring.info.modes!;
  assert.equal(means.length, 8);
  assert.equal(std, 0.01);
  for (const [x, y] of means) assert.ok(Math.abs(Math.hypot(x, y) - 1) < 1e-12);
  const points = await ring.sample(createRng(2), 500).x.data() as Float32Array;
  for (let i = 0; i < 500; i++) {
    const radius = Math.hypot(points[2 * i], points[2 * i + 1]);
    assert.ok(Math.abs(radius - 1) < 0.06, `point ${i} at radius ${radius}`);
  }
  const wide = await create(ring8, { radius: 2, std: 0.02 });
  assert.deepEqual(wide.info.modes!.means[0], [2, 0]);
});

Deno.test("grid-25 has means {-4,-2,0,2,4}² and the same seed draws the same batch", async () => {
  const grid = await create(grid25);
  const means = grid.info.modes!.means;
  assert.equal(means.length, 25);
  assert.deepEqual(new Set(means.map(([x]) => x)), new Set([-4, -2, 0, 2, 4]));
  assert.deepEqual(means[0], [-4, -4]);
  const a = await grid.sample(createRng(3), 10).x.data();
  const b = await grid.sample(createRng(3), 10).x.data();
  assert.deepEqual(a, b);
});

Deno.test("gaussian-1d draws from N(mean, std)", async () => {
  const gaussian = await create(gaussian1d, { mean: 4, std: 0.5 });
  assert.deepEqual(gaussian.info.shape, [1]);
  const values = await gaussian.sample(createRng(4), 20_000).x.data() as Float32Array;
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const std = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length);
  assert.ok(Math.abs(mean - 4) < 0.02 && Math.abs(std - 0.5) < 0.02, `${mean} ${std}`);
});

Deno.test("mnist: 10,000 real digits in [-1, 1] with balanced labels, mixed order", async () => {
  const digits = await create(mnist);
  assert.deepEqual(digits.info, {
    shape: [28, 28, 1],
    kind: "image",
    range: [-1, 1],
    size: 10_000,
    numClasses: 10,
  });
  const batch = digits.sample(createRng(5), 2000);
  assert.deepEqual(batch.x.shape, [2000, 28, 28, 1]);
  const pixels = await batch.x.data() as Float32Array;
  let min = Infinity, max = -Infinity, ink = 0;
  for (const p of pixels) {
    min = Math.min(min, p);
    max = Math.max(max, p);
    if (p > 0) ink++;
  }
  assert.deepEqual([min, max], [-1, 1]);
  // About a fifth of an MNIST digit's pixels are ink.
  assert.ok(ink / pixels.length > 0.1 && ink / pixels.length < 0.3);
  const counts = new Array(10).fill(0);
  for (const label of await batch.labels!.data()) counts[label]++;
  assert.ok(counts.every((c) => c > 130 && c < 270), String(counts));
  digits.dispose!();
});
