import assert from "node:assert/strict";
import { tf, tfl } from "../../deps.ts";
import { useBackend } from "./select.ts";
import { createRng, type Rng } from "../contract/rng.ts";

type Shape4 = [number, number, number, number];
type Pad = "same" | "valid" | number | tf.backend_util.ExplicitPadding;

/** Max |actual - expected| over max |expected|. */
function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  assert.equal(actual.length, expected.length);
  let scale = 0;
  let diff = 0;
  for (let i = 0; i < expected.length; i++) {
    scale = Math.max(scale, Math.abs(expected[i]));
    diff = Math.max(diff, Math.abs(actual[i] - expected[i]));
  }
  return diff / (scale || 1);
}

function values(rng: Rng, shape: number[]): Float32Array {
  return rng.fill(new Float32Array(shape.reduce((a, b) => a * b, 1)));
}

/** d/dw of sum(conv2d(x, w) * dy) on `backend`: conv2DBackpropFilter(x, dy). */
async function conv2dFilterGrad(
  backend: "wasm" | "cpu",
  x: Float32Array,
  xShape: Shape4,
  w: Float32Array,
  wShape: Shape4,
  dy: Float32Array,
  strides: [number, number],
  pad: Pad,
): Promise<{ shape: number[]; values: Float32Array }> {
  await useBackend(backend);
  const g = tf.tidy(() => {
    const xt = tf.tensor4d(x, xShape);
    const grad = tf.grad((wt: tf.Tensor) => {
      const y = tf.conv2d(xt, wt as tf.Tensor4D, strides, pad);
      return tf.sum(tf.mul(y, tf.tensor(dy, y.shape)));
    });
    return grad(tf.tensor4d(w, wShape));
  });
  const out = { shape: g.shape, values: await g.data() as Float32Array };
  g.dispose();
  return out;
}

/** The output shape of a conv2d, as tfjs computes it. */
function outShape(xShape: Shape4, wShape: Shape4, strides: [number, number], pad: Pad): Shape4 {
  return tf.backend_util.computeConv2DInfo(xShape, wShape, strides, 1, pad).outShape as Shape4;
}

Deno.test("the wasm backend has Conv2DBackpropFilter and every kernel it is built from", async () => {
  await useBackend("wasm");
  const names = new Set(tf.getKernelsForBackend("wasm").map((k) => k.kernelName));
  for (const name of ["Conv2DBackpropFilter", "Transpose", "Conv2D", "Slice", "Fill"]) {
    assert.ok(names.has(name), name);
  }
});

Deno.test("conv2d's filter gradient on wasm equals cpu's on random shapes", async () => {
  const rng = createRng(20240611);
  const explicit: Pad = [[0, 0], [2, 0], [1, 3], [0, 0]];
  const cases: { xShape: Shape4; wShape: Shape4; strides: [number, number]; pad: Pad }[] = [
    // Fixed corners: rows left over past the last window (cut off), a 1×1 kernel, a kernel as
    // large as the image, unequal strides, explicit and numeric padding.
    { xShape: [2, 7, 8, 3], wShape: [2, 2, 3, 4], strides: [2, 2], pad: "valid" },
    { xShape: [3, 6, 5, 2], wShape: [1, 1, 2, 5], strides: [1, 1], pad: "valid" },
    { xShape: [2, 5, 6, 2], wShape: [5, 6, 2, 3], strides: [1, 1], pad: "valid" },
    { xShape: [2, 9, 7, 3], wShape: [3, 2, 3, 2], strides: [2, 1], pad: "same" },
    { xShape: [2, 6, 7, 2], wShape: [3, 4, 2, 3], strides: [2, 2], pad: explicit },
    { xShape: [1, 8, 8, 4], wShape: [3, 3, 4, 2], strides: [2, 2], pad: 1 },
    // DCGAN's second convolution at batch 2: 98 pixels, summed in two parts.
    { xShape: [2, 14, 14, 64], wShape: [5, 5, 64, 128], strides: [2, 2], pad: "same" },
  ];
  for (let i = 0; i < 40; i++) {
    const k = 1 + rng.int(5);
    const s = 1 + rng.int(2);
    const pad: Pad = i % 10 === 9 ? explicit : rng.int(2) ? "same" : "valid";
    const size = Math.max(5 + rng.int(8), k);
    const xShape: Shape4 = [1 + rng.int(8), size, Math.max(5 + rng.int(8), k), 1 + rng.int(6)];
    cases.push({ xShape, wShape: [k, k, xShape[3], 1 + rng.int(6)], strides: [s, s], pad });
  }
  for (const { xShape, wShape, strides, pad } of cases) {
    const x = values(rng, xShape);
    const w = values(rng, wShape);
    const dy = values(rng, outShape(xShape, wShape, strides, pad));
    const label = JSON.stringify({ xShape, wShape, strides, pad });
    const wasm = await conv2dFilterGrad("wasm", x, xShape, w, wShape, dy, strides, pad);
    const cpu = await conv2dFilterGrad("cpu", x, xShape, w, wShape, dy, strides, pad);
    assert.deepEqual(wasm.shape, wShape, label);
    const error = relativeError(wasm.values, cpu.values);
    assert.ok(error < 1e-4, `${label}: relative error ${error}`);
  }
});

Deno.test("the wasm kernel reads windows past a 'ceil' rounding's padding as zeros, as cpu", async () => {
  // ceil((6 - 3 + 2) / 2 + 1) = 4 output rows: the last window needs a row below the padding.
  const rng = createRng(3);
  for (const channels of [2, 5]) {
    const xShape: Shape4 = [2, 6, 6, channels];
    const filterShape: Shape4 = [3, 3, channels, 3];
    const x = values(rng, xShape);
    const dy = values(rng, [2, 4, 4, 3]);
    const attrs = { strides: 2, pad: 1, dataFormat: "NHWC", dimRoundingMode: "ceil", filterShape };
    const run = async (backend: "wasm" | "cpu") => {
      await useBackend(backend);
      const [xt, dyt] = [tf.tensor4d(x, xShape), tf.tensor4d(dy, [2, 4, 4, 3])];
      const g = tf.engine().runKernel("Conv2DBackpropFilter", { x: xt, dy: dyt }, attrs);
      const out = await (g as tf.Tensor).data();
      tf.dispose([xt, dyt, g as tf.Tensor]);
      return out;
    };
    const error = relativeError(await run("wasm"), await run("cpu"));
    assert.ok(error < 1e-4, `${channels} channels: relative error ${error}`);
  }
});

Deno.test("the wasm kernel frees every intermediate and refuses NCHW data", async () => {
  await useBackend("wasm");
  const backend = tf.backend();
  const x = tf.ones([2, 9, 9, 3]);
  const dy = tf.ones([2, 4, 4, 5]);
  const attrs = { strides: 2, pad: "valid", dataFormat: "NHWC", filterShape: [3, 3, 3, 5] };
  const before = backend.numDataIds();
  // 3 channels, and 6 (x twice over).
  for (const channels of [3, 6]) {
    const input = channels === 3 ? x : tf.concat([x, x], 3);
    const filterShape = [3, 3, channels, 5];
    const g = tf.engine().runKernel("Conv2DBackpropFilter", { x: input, dy }, {
      ...attrs,
      filterShape,
    }) as tf.Tensor;
    // Every window of ones against dy of ones: 2 images × 4 × 4 outputs.
    assert.deepEqual([...new Set(await g.data())], [32]);
    g.dispose();
    assert.equal(backend.numDataIds(), before + (input === x ? 0 : 1));
    if (input !== x) input.dispose();
  }
  assert.throws(
    () =>
      tf.engine().runKernel("Conv2DBackpropFilter", { x, dy }, { ...attrs, dataFormat: "NCHW" }),
    /only NHWC/,
  );
  assert.equal(backend.numDataIds(), before);
  tf.dispose([x, dy]);
});

Deno.test("conv2dTranspose's filter gradient on wasm equals cpu's", async () => {
  const rng = createRng(11);
  const cases: { xShape: Shape4; wShape: Shape4; outShape: Shape4; stride: number; pad: Pad }[] = [
    // DCGAN's generator shapes, shrunk in batch: 7×7×8 → 14×14×4 → 28×28×1.
    {
      xShape: [3, 7, 7, 8],
      wShape: [5, 5, 4, 8],
      outShape: [3, 14, 14, 4],
      stride: 2,
      pad: "same",
    },
    {
      xShape: [3, 14, 14, 4],
      wShape: [5, 5, 1, 4],
      outShape: [3, 28, 28, 1],
      stride: 2,
      pad: "same",
    },
    { xShape: [2, 5, 4, 3], wShape: [3, 3, 2, 3], outShape: [2, 7, 6, 2], stride: 1, pad: "valid" },
  ];
  for (const { xShape, wShape, outShape, stride, pad } of cases) {
    const x = values(rng, xShape);
    const w = values(rng, wShape);
    const dy = values(rng, outShape);
    const run = async (backend: "wasm" | "cpu") => {
      await useBackend(backend);
      const g = tf.tidy(() => {
        const xt = tf.tensor4d(x, xShape);
        const dyt = tf.tensor4d(dy, outShape);
        return tf.grad((wt: tf.Tensor) =>
          tf.sum(tf.mul(tf.conv2dTranspose(xt, wt as tf.Tensor4D, outShape, stride, pad), dyt))
        )(tf.tensor4d(w, wShape));
      });
      const out = await g.data();
      g.dispose();
      return out;
    };
    const error = relativeError(await run("wasm"), await run("cpu"));
    assert.ok(error < 1e-4, `${JSON.stringify({ xShape, wShape })}: relative error ${error}`);
  }
});

Deno.test("an SGD step trains conv2d and conv2dTranspose layers on wasm as on cpu", async () => {
  const rng = createRng(5);
  const input = values(rng, [4, 8, 8, 2]);
  const target = values(rng, [4, 8, 8, 1]);
  const step = async (backend: "wasm" | "cpu") => {
    await useBackend(backend);
    const model = tfl.sequential({
      layers: [
        tfl.layers.conv2d({
          inputShape: [8, 8, 2],
          filters: 3,
          kernelSize: 3,
          strides: 2,
          padding: "same",
          activation: "tanh",
        }),
        tfl.layers.conv2dTranspose({ filters: 1, kernelSize: 3, strides: 2, padding: "same" }),
      ],
    });
    // The same starting weights on both backends.
    const init = createRng(9);
    model.setWeights(model.getWeights().map((v) => tf.tensor(values(init, v.shape), v.shape)));
    const before = model.getWeights().map((v) => v.dataSync().slice());
    model.compile({ optimizer: tf.train.sgd(0.5), loss: "meanSquaredError" });
    const [x, y] = [tf.tensor4d(input, [4, 8, 8, 2]), tf.tensor4d(target, [4, 8, 8, 1])];
    await model.trainOnBatch(x, y);
    const after = model.getWeights().map((v) => v.dataSync().slice());
    const names = model.weights.map((v) => v.originalName);
    tf.dispose([x, y]);
    model.dispose();
    return { before, after, names };
  };
  const wasm = await step("wasm");
  const cpu = await step("cpu");
  for (let i = 0; i < wasm.after.length; i++) {
    const changed = wasm.after[i].some((v, j) => v !== wasm.before[i][j]);
    assert.ok(changed, `${wasm.names[i]} did not change on wasm`);
    // The updates, not the weights, so that the tolerance is on the gradient.
    const delta = (r: typeof wasm) => r.after[i].map((v, j) => v - r.before[i][j]);
    const error = relativeError(delta(wasm), delta(cpu));
    assert.ok(error < 1e-4, `${wasm.names[i]}: relative error ${error}`);
  }
  assert.ok(wasm.names.some((name) => /conv2d_transpose.*kernel/i.test(name)), String(wasm.names));
});

Deno.test("wasm's Identity shares its input's buffer instead of copying it", async () => {
  await useBackend("wasm");
  const x = tf.tensor1d([1, 2, 3]);
  const y = tf.clone(x);
  const backend = tf.backend() as unknown as { refCount(id: object): number };
  assert.equal(backend.refCount(x.dataId), 2);
  x.dispose();
  assert.deepEqual(await y.data(), new Float32Array([1, 2, 3]));
  y.dispose();
});

Deno.test("wasm Sum and Mean over a run of adjacent axes are the transposed sums bit for bit", async () => {
  await useBackend("wasm");
  const rng = createRng(11);
  for (const shape of [[6, 5, 4, 7], [64, 14, 14, 64], [9, 3], [2, 3, 5], [16, 16, 8, 3]]) {
    const x = tf.tensor(values(rng, shape), shape);
    const rank = shape.length;
    for (let first = 0; first < rank - 1; first++) {
      for (let end = first + 1; end < rank; end++) {
        const axes = [...Array(end - first).keys()].map((i) => first + i);
        // Moving the reduced axes innermost first is what wasm's own kernels do.
        const perm = [...Array(rank).keys()].filter((a) => !axes.includes(a)).concat(axes);
        const moved = tf.transpose(x, perm);
        const inner = axes.map((_, i) => rank - axes.length + i);
        const pairs = [
          [tf.sum(x, axes), tf.sum(moved, inner)],
          [tf.mean(x, axes), tf.mean(moved, inner)],
          [tf.sum(x, axes.map((a) => a - rank), true), tf.sum(moved, inner)],
        ];
        for (const [ours, theirs] of pairs) {
          assert.deepEqual(await ours.data(), await theirs.data(), `${shape} over ${axes}`);
        }
        assert.deepEqual(pairs[2][0].shape, shape.map((d, i) => (axes.includes(i) ? 1 : d)));
        tf.dispose([moved, ...pairs.flat()]);
      }
    }
    x.dispose();
  }
  const ints = tf.tensor2d([[1, 2], [3, 4]], [2, 2], "int32");
  assert.deepEqual(await tf.sum(ints, 0).data(), new Int32Array([4, 6]));
  ints.dispose();
});

Deno.test("wasm a·bᵀ, swapped to (b·aᵀ)ᵀ for a large b or not, is the plain product bit for bit", async () => {
  await useBackend("wasm");
  const rng = createRng(12);
  // [64, 512]·[784, 512]ᵀ swaps, [2048, 64]·[32, 64]ᵀ transposes b; the others are small
  // products, which gantry's own kernel runs (wasm_matmul_test.ts).
  const shapes = [[64, 512, 784], [2048, 64, 32], [64, 128, 128], [64, 128, 2], [3, 700, 1]];
  for (const [m, k, p] of shapes) {
    const a = tf.tensor2d(values(rng, [m, k]), [m, k]);
    const b = tf.tensor2d(values(rng, [p, k]), [p, k]);
    const transposed = tf.matMul(a, b, false, true);
    const plain = tf.matMul(a, tf.transpose(b));
    assert.deepEqual(transposed.shape, [m, p]);
    assert.deepEqual(await transposed.data(), await plain.data(), `[${m},${k}]·[${p},${k}]ᵀ`);
    tf.dispose([a, b, transposed, plain]);
  }
});

Deno.test("wasm GatherV2 copies float32 rows whole, other gathers and bad indices go to wasm's", async () => {
  await useBackend("wasm");
  const rng = createRng(13);
  for (
    const [shape, picked, indexShape] of [
      [[10, 7], [3, 0, 9, 3], [4]],
      [[5, 3, 4], [4, 1, 1, 0, 2, 2], [2, 3]],
    ] as [number[], number[], number[]][]
  ) {
    const source = values(rng, shape);
    const width = source.length / shape[0];
    const x = tf.tensor(source, shape);
    const index = tf.tensor(picked, indexShape, "int32");
    const rows = tf.gather(x, index);
    assert.deepEqual(rows.shape, [...indexShape, ...shape.slice(1)]);
    const expected = picked.flatMap((r) => [...source.subarray(r * width, (r + 1) * width)]);
    assert.deepEqual(await rows.data(), new Float32Array(expected));
    tf.dispose([x, index, rows]);
  }
  const x = tf.tensor2d([[1, 2, 3], [4, 5, 6]]);
  const columns = tf.gather(x, tf.tensor1d([2, 0], "int32"), 1);
  assert.deepEqual(await columns.data(), new Float32Array([3, 1, 6, 4]));
  assert.throws(
    () => tf.gather(x, tf.tensor1d([1, 2], "int32")),
    /GatherV2: the index value 2 is not in \[0, 1\]/,
  );
  tf.dispose([x, columns]);
});

Deno.test("wasm Tanh is within 2 ulp of tanh, keeps -0, ±∞ and NaN, and its tail is its blocks'", async () => {
  await useBackend("wasm");
  const rng = createRng(14);
  const grid = Array.from({ length: 48_001 }, (_, i) => -12 + i / 2000);
  const tiny = Array.from({ length: 2000 }, () => rng.normal() * 2 ** -rng.int(60));
  const xs = new Float32Array([...grid, ...tiny, 0.625, Math.fround(0.625) - 2 ** -24, 9.1, 30]);
  const x = tf.tensor1d(xs);
  const y = await tf.tanh(x).data();
  const ulp = (v: number) => 2 ** Math.max(Math.floor(Math.log2(Math.abs(v))) - 23, -149);
  let worst = 0;
  xs.forEach((v, i) =>
    worst = Math.max(worst, Math.abs(y[i] - Math.tanh(v)) / ulp(Math.tanh(v) || 1))
  );
  assert.ok(worst <= 2, `worst error ${worst} ulp`);
  const special = await tf.tanh(tf.tensor1d([0, -0, Infinity, -Infinity, NaN, -40])).data();
  assert.ok(Object.is(special[0], 0) && Object.is(special[1], -0), `${special}`);
  assert.deepEqual([...special.subarray(2)], [1, -1, NaN, -1]);
  // 5 elements: the last one through the scratch block, the same as in a block of a larger x.
  const five = xs.subarray(1000, 1005);
  const blocked = await tf.tanh(tf.tensor1d([...five, 0, 0, 0])).data();
  assert.deepEqual(await tf.tanh(tf.tensor1d(five)).data(), blocked.subarray(0, 5));
  tf.dispose(x);
});
