import assert from "node:assert/strict";
import { createRng } from "./rng.ts";

Deno.test("the same seed gives the same stream, another seed another one", () => {
  const draw = (seed: number) => Array.from({ length: 5 }, createRng(seed).uint32);
  assert.deepEqual(draw(1), draw(1));
  assert.notDeepEqual(draw(1), draw(2));
  assert.notDeepEqual(draw(0), draw(1));
});

Deno.test("a saved state resumes the stream exactly", () => {
  const rng = createRng(42);
  rng.normal();
  const resumed = createRng(rng.state());
  assert.deepEqual([rng.normal(), rng.uniform()], [resumed.normal(), resumed.uniform()]);
});

Deno.test("normal draws have mean 0 and variance 1; uniform fill stays in [-1, 1)", () => {
  const values = createRng(3).fill(new Float32Array(100_000));
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const variance = values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length;
  assert.ok(Math.abs(mean) < 0.02, `mean ${mean}`);
  assert.ok(Math.abs(variance - 1) < 0.02, `variance ${variance}`);
  const uniform = createRng(3).fill(new Float32Array(10_000), "uniform");
  assert.ok(uniform.every((v) => v >= -1 && v < 1));
});

Deno.test("seeds are nonzero (tfjs reads 0 as unseeded) and forks are independent", () => {
  const rng = createRng(9);
  for (let i = 0; i < 10_000; i++) assert.notEqual(rng.seed(), 0);
  const a = createRng(5).fork("data"), b = createRng(5).fork("noise");
  assert.notEqual(a.uint32(), b.uint32());
  assert.equal(createRng(5).fork("data").uint32(), createRng(5).fork("data").uint32());
});
