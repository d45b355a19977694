import assert from "node:assert/strict";
import { tf } from "../../deps.ts";
import { createRng } from "../contract/rng.ts";
import { useBackend } from "./select.ts";

const rng = createRng(3);
const random = (shape: number[]) =>
  tf.sub(tf.tensor(rng.fill(new Float32Array(shape.reduce((a, b) => a * b, 1))), shape), 0.5);

/** Odd lengths (a SIMD tail) and the edge values: ±0, ±∞, NaN. */
function activations(): tf.Tensor {
  const values = [...rng.fill(new Float32Array(37))].map((v) => v - 0.5);
  values.push(0, -0, Infinity, -Infinity, NaN);
  return tf.tensor1d(values);
}

for (const backend of ["wasm", "cpu"] as const) {
  Deno.test(`leaky ReLU and its gradient on ${backend} are tfjs's bit for bit`, async () => {
    await useBackend(backend);
    const x = activations(), dy = random(x.shape);
    const alpha = 0.2;
    const y = tf.leakyRelu(x, alpha);
    // wasm's own LeakyRelu multiplies by a float32 α (gantry's SIMD one too); cpu's by a float64.
    const expectedY = backend === "wasm"
      ? tf.where(tf.less(x, 0), tf.mul(x, alpha), x)
      : tf.leakyRelu(x, alpha);
    assert.deepEqual(await y.data(), await expectedY.data());
    const [dx] = tf.grads((t: tf.Tensor) => tf.leakyRelu(t, alpha))([x], dy);
    const expectedDx = tf.where(tf.greater(x, 0), dy, tf.mul(dy, alpha));
    assert.deepEqual(await dx.data(), await expectedDx.data());
    tf.dispose([x, dy, y, expectedY, dx, expectedDx]);
  });

  Deno.test(`batch norm's input gradient on ${backend} is tfjs's tiled formula bit for bit`, async () => {
    await useBackend(backend);
    const [n, h, w, c] = [3, 5, 4, 6];
    const x = random([n, h, w, c]), dy = random([n, h, w, c]);
    const mean = random([c]),
      variance = tf.abs(random([c])),
      scale = random([c]),
      offset = random([c]);
    const eps = 1e-3;
    const [dx] = tf.grads((t: tf.Tensor) => tf.batchNorm(t, mean, variance, offset, scale, eps))(
      [x],
      dy,
    );
    const rsqrt = tf.reshape(tf.rsqrt(tf.add(variance, tf.scalar(eps))), [1, 1, 1, c]);
    const expected = tf.mul(tf.mul(dy, tf.tile(rsqrt, [n, h, w, 1])), scale);
    assert.deepEqual(await dx.data(), await expected.data());
    const profile = await tf.profile(() =>
      tf.grads((t: tf.Tensor) => tf.batchNorm(t, mean, variance, offset, scale, eps))([x], dy)
    );
    assert.ok(!profile.kernelNames.includes("Tile"), profile.kernelNames.join());
    tf.dispose([x, dy, mean, variance, scale, offset, dx, rsqrt, expected]);
  });
}
