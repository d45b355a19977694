import assert from "node:assert/strict";
import { tf } from "../../deps.ts";
import { createRng } from "../contract/rng.ts";
import { useBackend } from "./select.ts";
import { SMALL_PRODUCT, smallProduct, transposeLastTwo } from "./wasm_matmul.ts";
import type { KernelFunc } from "./wasm_kernel.ts";

/**
 * XNNPACK's bits for a·b (+ bias): the same product with B widened by zero columns past
 * `SMALL_PRODUCT`, so that wasm's own kernel runs it, cut back to b's columns. Every output
 * column of a product is summed from its own column of B alone, so the extra ones change nothing.
 */
function xnnpackProduct(a: tf.Tensor2D, b: tf.Tensor2D, bias?: tf.Tensor1D): tf.Tensor {
  const [m, k] = a.shape;
  const n = b.shape[1];
  const extra = Math.ceil((SMALL_PRODUCT + 1) / (m * k));
  const wide = tf.concat([b, tf.zeros([k, extra])], 1);
  const wideBias = bias ? tf.concat([bias, tf.zeros([extra])]) : undefined;
  const inputs = { a: tf.reshape(a, [1, m, k]), b: tf.reshape(wide, [1, k, n + extra]) };
  assert.equal(smallProduct(inputs, { transposeA: false, transposeB: false }), undefined);
  const out = tf.fused.matMul({ a, b: wide, bias: wideBias });
  return tf.slice(out, [0, 0], [m, n]);
}

/**
 * Asserts that `ours` and `theirs` (two float32 summations of a·b + bias over k in order, in any
 * rounding of their multiply-adds) agree to the bound both keep to the exact sum: each is within
 * γₖ₊₁·(|bias| + Σₖ|a||b|) of it, γₙ = n·u / (1 − n·u), u = 2⁻²⁴.
 */
async function assertWithinRounding(
  ours: tf.Tensor,
  theirs: tf.Tensor,
  [a, b, bias]: [tf.Tensor2D, tf.Tensor2D, tf.Tensor1D | undefined],
  label: string,
) {
  const [m, k] = a.shape;
  const scale = tf.tidy(() => {
    const sums = tf.matMul(tf.abs(a), tf.abs(b));
    return bias ? tf.add(sums, tf.abs(bias)) : sums;
  });
  const [x, y, s] = await Promise.all([ours.data(), theirs.data(), scale.data()]);
  scale.dispose();
  const u = 2 ** -24, gamma = (k + 1) * u / (1 - (k + 1) * u);
  assert.equal(x.length, m * b.shape[1], label);
  for (let i = 0; i < x.length; i++) {
    // Twice the bound: one for each side; the scale itself is rounded, hence the 1.01.
    if (!(Math.abs(x[i] - y[i]) <= 2.02 * gamma * s[i])) {
      assert.fail(`${label}: element ${i} is ${x[i]}, XNNPACK's ${y[i]}, bound ${gamma * s[i]}`);
    }
  }
}

Deno.test("wasm's small products are XNNPACK's to rounding, transposed and with a bias or not", async () => {
  await useBackend("wasm");
  const rng = createRng(13);
  const random = (shape: [number, number]) =>
    tf.tensor2d(rng.fill(new Float32Array(shape[0] * shape[1])), shape);
  // The ring MLP's layers and their gradients, then every remainder of the 4×8 tiles.
  const shapes = [[64, 16, 128], [64, 128, 128], [64, 128, 2], [128, 64, 2], [64, 2, 128]];
  for (let i = 0; i < 24; i++) shapes.push([1 + rng.int(13), 1 + rng.int(40), 1 + rng.int(37)]);
  shapes.push([1, 1, 1], [3, 700, 1], [5, 1, 9]);
  let differing = 0;
  for (const [m, k, n] of shapes) {
    for (const [transposeA, transposeB, biased] of [[0, 0, 1], [0, 0, 0], [1, 0, 0], [0, 1, 1]]) {
      const label = `[${m}, ${k}]·[${k}, ${n}] transposeA ${transposeA} transposeB ${transposeB}`;
      const a = random([m, k]), b = random([k, n]);
      const bias = biased ? tf.tensor1d(rng.fill(new Float32Array(n))) : undefined;
      const products = tf.tidy(() => {
        const [aIn, bIn] = [transposeA ? tf.transpose(a) : a, transposeB ? tf.transpose(b) : b];
        const attrs = { transposeA: !!transposeA, transposeB: !!transposeB };
        const inputs = {
          a: tf.reshape(aIn, [1, ...aIn.shape]),
          b: tf.reshape(bIn, [1, ...bIn.shape]),
        };
        assert.deepEqual(smallProduct(inputs, attrs), [m, n, k], label);
        // tf.matMul hands the kernel 2-D operands, tf.fused.matMul a batch of one.
        assert.deepEqual(smallProduct({ a: aIn, b: bIn }, attrs), [m, n, k], label);
        return [tf.fused.matMul({ a: aIn, b: bIn, bias, ...attrs }), xnnpackProduct(a, b, bias)]
          .concat(bias ? [] : [tf.matMul(aIn, bIn, attrs.transposeA, attrs.transposeB)]);
      });
      const [fused, theirs, plain] = products;
      await assertWithinRounding(fused, theirs, [a, b, bias], `${label}, fused.matMul`);
      if (plain) {
        // Both ops reach the same kernel: the same bits.
        assert.deepEqual(await plain.data(), await fused.data(), `${label}, matMul`);
      }
      const [x, y] = [await fused.data(), await theirs.data()];
      differing += x.filter((v, i) => v !== y[i]).length;
      tf.dispose([...products, a, b, ...(bias ? [bias] : [])]);
    }
  }
  // Fused multiply-adds round differently from XNNPACK's separate ones, so some outputs differ.
  assert.ok(differing > 0);
});

Deno.test("every tile of wasm's small-product kernel rounds each multiply-add once", async () => {
  await useBackend("wasm");
  // (1 + 2⁻¹²)² = 1 + 2⁻¹¹ + 2⁻²⁴ rounds to 1 + 2⁻¹¹ in float32; added to −(1 + 2⁻¹¹) unrounded
  // it leaves 2⁻²⁴, rounded first 0. 7×13 outputs: 4-row and 3-row tiles by 8, 4 and 1 columns.
  const [m, n] = [7, 13];
  const x = 1 + 2 ** -12;
  for (const [transposeA, transposeB] of [[false, false], [true, false], [false, true]]) {
    const y = tf.tidy(() =>
      tf.fused.matMul({
        a: tf.fill(transposeA ? [1, m] : [m, 1], x),
        b: tf.fill(transposeB ? [n, 1] : [1, n], x),
        bias: tf.fill([n], -(1 + 2 ** -11)),
        transposeA,
        transposeB,
      })
    );
    assert.deepEqual(
      [...await y.data()],
      Array(m * n).fill(2 ** -24),
      `${transposeA} ${transposeB}`,
    );
    y.dispose();
  }
});

Deno.test("wasm's small-product kernel leaves larger, batched, activated and integer products", () => {
  const info = (shape: number[], dtype: tf.DataType = "float32") =>
    ({ dataId: {}, shape, dtype }) as tf.TensorInfo;
  const plain = { transposeA: false, transposeB: false };
  const side = Math.ceil(Math.cbrt(SMALL_PRODUCT)) + 1;
  const cases: [Record<string, tf.TensorInfo>, typeof plain & { activation?: string }][] = [
    [{ a: info([1, side, side]), b: info([1, side, side]) }, plain],
    [{ a: info([2, 4, 4]), b: info([2, 4, 4]) }, plain],
    [{ a: info([1, 4, 4]), b: info([1, 4, 4]) }, { ...plain, activation: "relu" }],
    [{ a: info([1, 4, 4], "int32"), b: info([1, 4, 4], "int32") }, plain],
    [{ a: info([1, 4, 4]), b: info([1, 4, 5]), bias: info([1]) }, plain],
    [{ a: info([1, 4, 0]), b: info([1, 0, 5]) }, plain],
    [{ a: info([1, 1, 4, 4]), b: info([1, 1, 4, 5]) }, plain],
    [{ a: info([4, 4]), b: info([1, 4, 5]) }, plain],
  ];
  for (const [inputs, attrs] of cases) assert.equal(smallProduct(inputs, attrs), undefined);
  assert.deepEqual(smallProduct({ a: info([1, 4, 4]), b: info([1, 4, 5]) }, plain), [4, 5, 4]);
  assert.deepEqual(smallProduct({ a: info([4, 4]), b: info([4, 5]) }, plain), [4, 5, 4]);
});

Deno.test("wasm transposes of the last two axes are wasm's Transpose's, blocks and edges", async () => {
  await useBackend("wasm");
  const backend = tf.backend();
  const transpose = tf.getKernel("Transpose", "wasm")!.kernelFunc as unknown as KernelFunc;
  const cases: [number[], tf.DataType][] = [
    [[1, 1], "float32"],
    [[3, 5], "float32"],
    [[4, 8], "float32"],
    [[9, 6], "float32"],
    [[1, 128, 130], "float32"],
    [[2, 5, 7], "float32"],
    [[6, 9], "int32"],
  ];
  for (const [shape, dtype] of cases) {
    const size = shape.reduce((a, b) => a * b, 1);
    const x = tf.tensor(Array.from({ length: size }, (_, i) => i * 3 - 7), shape, dtype);
    const perm = [...shape.keys()].slice(0, -2).concat([shape.length - 1, shape.length - 2]);
    const ours = transposeLastTwo(transpose, x, backend);
    const swapped = [...shape.slice(0, -2), shape.at(-1)!, shape.at(-2)!];
    assert.deepEqual(ours.shape, swapped, String(shape));
    const [result, expected] = [tf.engine().makeTensorFromTensorInfo(ours), tf.transpose(x, perm)];
    assert.deepEqual(await result.data(), await expected.data(), String(shape));
    tf.dispose([x, result, expected]);
  }
});
