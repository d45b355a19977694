import assert from "node:assert/strict";
import { tf } from "../../deps.ts";
import { createRng } from "../contract/rng.ts";
import { convolution, type ConvolutionOptions } from "./convolution.ts";
import { useBackend } from "./select.ts";

const rng = createRng(31);
const random = (...shape: number[]) =>
  tf.tensor(rng.fill(new Float32Array(shape.reduce((a, b) => a * b, 1))), shape);

type Convolve = (x: tf.Tensor, filter: tf.Tensor, bias?: tf.Tensor) => tf.Tensor;
const ours = ({ strides, pad }: ConvolutionOptions): Convolve => (x, filter, bias) =>
  convolution(x, filter, { strides, pad, bias });
const tfjs = ({ strides, pad }: ConvolutionOptions): Convolve => (x, filter, bias) =>
  tf.fused.conv2d({ x: x as tf.Tensor4D, filter: filter as tf.Tensor4D, strides, pad, bias });

/** The convolution's value and the gradients of Σ value · upstream for x, the filter, the bias. */
function valueAndGradients(convolve: Convolve, operands: tf.Tensor[], upstream: tf.Tensor) {
  const f = (...inputs: tf.Tensor[]) =>
    tf.sum(tf.mul(convolve(inputs[0], inputs[1], inputs[2]), upstream));
  const value = convolve(operands[0], operands[1], operands[2]);
  return [value, ...tf.grads(f)(operands)];
}

/** The names of the kernels `f` runs. */
async function kernelsOf(f: () => tf.Tensor | tf.Tensor[]): Promise<string[]> {
  const profile = await tf.profile(f);
  tf.dispose(profile.result as tf.Tensor[]);
  return profile.kernels.map((k) => k.name);
}

Deno.test("the one-kernel convolution and its gradients are tfjs's bits, on wasm and cpu", async () => {
  for (const backend of ["wasm", "cpu"] as const) {
    await useBackend(backend);
    await assertTfjsBits(backend);
  }
});

/** The op's value and gradients against tfjs's fused conv2d's, on the current backend. */
async function assertTfjsBits(backend: string) {
  const cases: [number[], number[], ConvolutionOptions][] = [
    [[4, 14, 14, 8], [5, 5, 8, 16], { strides: [2, 2], pad: "same" }], // DCGAN's D, narrower
    [[2, 28, 28, 1], [5, 5, 1, 8], { strides: [2, 2], pad: "same" }], // its first layer
    [[3, 9, 7, 3], [3, 2, 3, 5], { strides: [1, 1], pad: "valid" }],
    [[2, 11, 10, 4], [4, 3, 4, 6], { strides: [3, 2], pad: "same" }],
  ];
  for (const [xShape, filterShape, options] of cases) {
    for (const biased of [true, false]) {
      const label =
        `${backend}: x [${xShape}], filter [${filterShape}], ${JSON.stringify(options)}, ` +
        `bias ${biased}`;
      const [got, expected] = tf.tidy(() => {
        const operands = [random(...xShape), random(...filterShape)];
        if (biased) operands.push(random(filterShape[3]));
        const upstream = tfjs(options)(operands[0], operands[1]).shape;
        const dy = random(...upstream);
        return [
          valueAndGradients(ours(options), operands, dy),
          valueAndGradients(tfjs(options), operands, dy),
        ];
      });
      assert.equal(got.length, biased ? 4 : 3);
      for (let i = 0; i < got.length; i++) {
        assert.deepEqual(got[i].shape, expected[i].shape, `${label}, output ${i}`);
        assert.deepEqual(await got[i].data(), await expected[i].data(), `${label}, output ${i}`);
      }
      tf.dispose([...got, ...expected]);
    }
  }
}

Deno.test("wasm's convolution: one kernel forward, only the gradients asked for, and their gradients", async () => {
  await useBackend("wasm");
  const options: ConvolutionOptions = { strides: [2, 2], pad: "same" };
  const [x, filter, bias] = [random(2, 8, 8, 3), random(3, 3, 3, 4), random(4)];
  assert.deepEqual(await kernelsOf(() => convolution(x, filter, { ...options, bias })), [
    "GantryConv2D",
  ]);
  /** The kernels of the gradient with respect to operand `which` (0: x, 1: the filter). */
  const gradientKernels = (convolve: Convolve, which: number) =>
    kernelsOf(() =>
      tf.grad((t: tf.Tensor) => {
        const operands = [x, filter];
        operands[which] = t;
        return tf.sum(convolve(operands[0], operands[1], bias));
      })([x, filter][which])
    );
  const backprop = (names: string[]) => names.filter((n) => n.startsWith("Conv2DBackprop"));
  assert.deepEqual(backprop(await gradientKernels(ours(options), 0)), ["Conv2DBackpropInput"]);
  assert.deepEqual(backprop(await gradientKernels(ours(options), 1)), ["Conv2DBackpropFilter"]);
  // tfjs's fused conv2d computes both for either.
  assert.deepEqual(backprop(await gradientKernels(tfjs(options), 0)), [
    "Conv2DBackpropInput",
    "Conv2DBackpropFilter",
  ]);
  // A penalty on ‖∇ₓ‖², as WGAN-GP's: the filter's gradient through ∇ₓ, against tfjs's ops.
  const penaltyGradient = (convolve: Convolve) =>
    tf.grad((w: tf.Tensor) => {
      const dx = tf.grad((x: tf.Tensor) => tf.sum(tf.square(tf.leakyRelu(convolve(x, w, bias)))))(
        x,
      );
      return tf.sum(tf.square(dx));
    })(filter);
  const [got, expected] = [penaltyGradient(ours(options)), penaltyGradient(tfjs(options))];
  assert.ok((await tf.max(tf.abs(expected)).data())[0] > 0, "the penalty has a gradient");
  assert.deepEqual(await got.data(), await expected.data());
  tf.dispose([x, filter, bias, got, expected]);
});

Deno.test("the convolution leaves tensors its kernel does not take to tfjs's op", async () => {
  await useBackend("wasm");
  const options: ConvolutionOptions = { strides: [1, 1], pad: "valid" };
  // A 3-D image (no batch) is not the kernel's: tfjs's op runs it.
  const kernels = await kernelsOf(() =>
    convolution(tf.ones([2, 2, 1]), tf.ones([2, 2, 1, 1]), options)
  );
  assert.ok(!kernels.includes("GantryConv2D") && kernels.includes("FusedConv2D"), `${kernels}`);
  assert.throws(
    () => convolution(tf.ones([1, 2, 2, 3]), tf.ones([2, 2, 1, 1]), options),
    /depth of input \(3\) must match input depth for filter 1/,
  );
  await useBackend("cpu");
  assert.deepEqual(
    await kernelsOf(() => convolution(tf.ones([1, 2, 2, 1]), tf.ones([2, 2, 1, 1]), options)),
    ["GantryConv2D"],
  );
});
