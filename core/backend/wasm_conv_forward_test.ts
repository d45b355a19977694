import assert from "node:assert/strict";
import { tf } from "../../deps.ts";
import { useBackend } from "./select.ts";
import { createRng } from "../contract/rng.ts";

type Shape4 = [number, number, number, number];
type Pad = "same" | "valid" | number | tf.backend_util.ExplicitPadding;
interface Case {
  xShape: Shape4;
  wShape: Shape4;
  strides: [number, number];
  pad: Pad;
  /** conv2d, conv2d with a bias (FusedConv2D), or with a bias and a ReLU (wasm's kernel). */
  form: "plain" | "bias" | "relu";
}

/** The case's output on `backend`, from the same random x, filter and bias. */
async function convolve(backend: "wasm" | "cpu", c: Case, seed: number): Promise<Float32Array> {
  await useBackend(backend);
  const rng = createRng(seed);
  const make = (shape: number[]) =>
    tf.tensor(rng.fill(new Float32Array(shape.reduce((a, b) => a * b, 1))), shape);
  const [x, filter, bias] = [make(c.xShape), make(c.wShape), make([c.wShape[3]])];
  const y = c.form === "plain"
    ? tf.conv2d(x as tf.Tensor4D, filter as tf.Tensor4D, c.strides, c.pad)
    : tf.fused.conv2d({
      x: x as tf.Tensor4D,
      filter: filter as tf.Tensor4D,
      strides: c.strides,
      pad: c.pad,
      bias,
      activation: c.form === "relu" ? "relu" : "linear",
    });
  const out = await y.data() as Float32Array;
  tf.dispose([x, filter, bias, y]);
  return out;
}

Deno.test("wasm conv2d, with a bias or not, equals cpu's on random shapes", async () => {
  const rng = createRng(31);
  const explicit: Pad = [[0, 0], [2, 0], [1, 3], [0, 0]];
  const cases: Case[] = [
    // DCGAN's second convolution at batch 2: 98 output pixels, in two blocks.
    {
      xShape: [2, 14, 14, 64],
      wShape: [5, 5, 64, 128],
      strides: [2, 2],
      pad: "same",
      form: "bias",
    },
    // DCGAN's first convolution, on 1-channel images; then an activation: wasm's own kernel.
    { xShape: [2, 28, 28, 1], wShape: [5, 5, 1, 64], strides: [2, 2], pad: "same", form: "bias" },
    { xShape: [2, 9, 9, 6], wShape: [3, 3, 6, 5], strides: [1, 1], pad: "valid", form: "relu" },
    { xShape: [2, 7, 8, 5], wShape: [3, 2, 5, 9], strides: [2, 1], pad: explicit, form: "plain" },
  ];
  for (let i = 0; i < 30; i++) {
    const k = 1 + rng.int(5), s = 1 + rng.int(2);
    const side = () => Math.max(4 + rng.int(9), k);
    const ci = 1 + rng.int(9);
    cases.push({
      xShape: [1 + rng.int(4), side(), side(), ci],
      wShape: [k, k, ci, 1 + rng.int(13)],
      strides: [s, s],
      pad: i % 10 === 9 ? explicit : i % 3 === 0 ? 1 : rng.int(2) ? "same" : "valid",
      form: rng.int(2) ? "bias" : "plain",
    });
  }
  for (const [i, c] of cases.entries()) {
    const [expected, actual] = [await convolve("cpu", c, i), await convolve("wasm", c, i)];
    assert.equal(actual.length, expected.length);
    const scale = Math.max(...expected.map(Math.abs), 1e-6);
    const error = Math.max(...expected.map((v, j) => Math.abs(v - actual[j])));
    assert.ok(error / scale < 1e-5, `${JSON.stringify(c)}: relative error ${error / scale}`);
  }
});

Deno.test("wasm conv2d frees every intermediate", async () => {
  await useBackend("wasm");
  const backend = tf.backend();
  const x = tf.ones([2, 14, 14, 8]), filter = tf.ones([5, 5, 8, 3]);
  const before = backend.numDataIds();
  const y = tf.conv2d(x as tf.Tensor4D, filter as tf.Tensor4D, 2, "valid");
  // Every window of ones against a filter of ones: 5·5·8 terms.
  assert.deepEqual([...new Set(await y.data())], [200]);
  y.dispose();
  assert.equal(backend.numDataIds(), before);
  tf.dispose([x, filter]);
});
