import assert from "node:assert/strict";
import { tf } from "../../deps.ts";
import { createRng } from "../contract/rng.ts";
import { matrixProduct } from "./matrix_product.ts";
import { useBackend } from "./select.ts";
import { OWN_PRODUCT } from "./wasm_matmul.ts";

const rng = createRng(29);
const random = (...shape: number[]) =>
  tf.tensor(rng.fill(new Float32Array(shape.reduce((a, b) => a * b, 1))), shape);

/** Every product's value and its gradients with respect to a, b and the bias. */
function valueAndGradients(
  product: (a: tf.Tensor, b: tf.Tensor, bias?: tf.Tensor) => tf.Tensor,
  operands: tf.Tensor[],
  upstream: tf.Tensor,
): tf.Tensor[] {
  const f = (...inputs: tf.Tensor[]) => tf.mul(product(inputs[0], inputs[1], inputs[2]), upstream);
  const { value, grads } = tf.valueAndGrads(f)(operands);
  return [value, ...grads];
}

Deno.test("the one-kernel product and its gradients are tfjs's bits, transposed or not, on wasm and cpu", async () => {
  const side = Math.ceil(Math.cbrt(OWN_PRODUCT)) + 8; // past gantry's kernel: XNNPACK's
  const shapes = [[64, 128, 128], [64, 2, 128], [64, 128, 1], [7, 13, 5]];
  await useBackend("cpu");
  await assertTfjsBits("cpu", shapes);
  await useBackend("wasm");
  await assertTfjsBits("wasm", [...shapes, [side, side, side]]);
});

/** Each product's value and gradients against tfjs's fused matMul's, on the current backend. */
async function assertTfjsBits(backend: string, shapes: number[][]) {
  for (const [m, k, n] of shapes) {
    for (
      const [transposeA, transposeB] of [[false, false], [false, true], [true, false], [true, true]]
    ) {
      for (const biased of [true, false]) {
        const label =
          `${backend}: [${m}, ${k}]·[${k}, ${n}] transposeA ${transposeA} transposeB ${transposeB} bias ${biased}`;
        const [ours, theirs] = tf.tidy(() => {
          const a = transposeA ? random(k, m) : random(m, k);
          const b = transposeB ? random(n, k) : random(k, n);
          const operands = biased ? [a, b, random(n)] : [a, b];
          const upstream = random(m, n);
          const options = { transposeA, transposeB };
          return [
            valueAndGradients(
              (a, b, bias) => matrixProduct(a, b, { ...options, bias }),
              operands,
              upstream,
            ),
            valueAndGradients(
              (a, b, bias) =>
                tf.fused.matMul({ a: a as tf.Tensor2D, b: b as tf.Tensor2D, ...options, bias }),
              operands,
              upstream,
            ),
          ];
        });
        for (let i = 0; i < ours.length; i++) {
          assert.deepEqual(ours[i].shape, theirs[i].shape, `${label}, output ${i}`);
          assert.deepEqual(await ours[i].data(), await theirs[i].data(), `${label}, output ${i}`);
        }
        tf.dispose([...ours, ...theirs]);
      }
    }
  }
}

Deno.test("wasm's one-kernel product: one kernel forward, and a gradient that has gradients", async () => {
  await useBackend("wasm");
  const [x, w, bias] = [random(8, 3), random(3, 4), random(4)];
  const profile = await tf.profile(() => matrixProduct(x, w, { bias }));
  assert.deepEqual(profile.kernels.map((k) => k.name), ["GantryMatMul"]);
  tf.dispose(profile.result as tf.Tensor);
  // The gradient of x alone is one product; tfjs's fused matMul computes w's too.
  const products = async (product: (x: tf.Tensor) => tf.Tensor) => {
    const { kernels, result } = await tf.profile(() =>
      tf.grad((x: tf.Tensor) => tf.sum(product(x)))(x)
    );
    tf.dispose(result as tf.Tensor);
    return kernels.filter((k) => ["GantryMatMul", "BatchMatMul", "_FusedMatMul"].includes(k.name))
      .length;
  };
  assert.equal(await products((x) => matrixProduct(x, w, { bias })), 2); // forward, dx
  assert.equal(
    await products((x) => tf.fused.matMul({ a: x as tf.Tensor2D, b: w as tf.Tensor2D, bias })),
    3,
  );
  // A penalty on ‖∇ₓ‖², as WGAN-GP's: the gradient of the gradient, against tfjs's ops.
  const penaltyGradient = (product: (x: tf.Tensor, w: tf.Tensor) => tf.Tensor) =>
    tf.grad((w: tf.Tensor) => {
      const dx = tf.grad((x: tf.Tensor) => tf.sum(tf.square(tf.leakyRelu(product(x, w), 0.2))))(x);
      return tf.sum(tf.square(dx));
    })(w);
  const ours = penaltyGradient((x, w) => matrixProduct(x, w, { bias }));
  const theirs = penaltyGradient((x, w) =>
    tf.fused.matMul({ a: x as tf.Tensor2D, b: w as tf.Tensor2D, bias })
  );
  assert.ok((await tf.max(tf.abs(theirs)).data())[0] > 0, "the penalty has a gradient");
  assert.deepEqual(await ours.data(), await theirs.data());
  tf.dispose([x, w, bias, ours, theirs]);
});

Deno.test("the product leaves tensors its kernel does not take, and tfjs's errors, to tfjs's op", async () => {
  await useBackend("cpu");
  const y = matrixProduct(tf.tensor2d([[1, 2]]), tf.tensor2d([[3, 4]]), { transposeB: true });
  assert.deepEqual(await y.data(), new Float32Array([11]));
  await useBackend("wasm");
  // A batched operand is not the kernel's: tfjs's op runs it.
  const batched = matrixProduct(tf.ones([2, 1, 3]), tf.ones([2, 3, 1]));
  assert.deepEqual(batched.shape, [2, 1, 1]);
  assert.throws(
    () => matrixProduct(tf.ones([2, 3]), tf.ones([2, 3])),
    /inner shapes \(3\) and \(2\)/,
  );
  tf.dispose([y, batched]);
});
