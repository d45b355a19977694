import assert from "node:assert/strict";
import { tf } from "../../deps.ts";
import { createRng } from "../contract/rng.ts";
import { useBackend } from "./select.ts";
import { OWN_PRODUCT, ownProductShape, transposeLastTwo } from "./wasm_matmul.ts";
import { type KernelFunc, onHeap } from "./wasm_kernel.ts";
import { aPanelsSize, writePanels } from "./wasm_panels.ts";
import { simdKernels, SUMS_IN_C } from "./wasm_simd.ts";

/**
 * Asserts that `ours` is a·b + bias summed in float32 over k in order, in any rounding of its
 * multiply-adds: within γₖ₊₁·(|bias| + Σₖ|a||b|) of the exact sum (γₙ = n·u / (1 − n·u),
 * u = 2⁻²⁴), which is computed here in float64 from the operands' values.
 */
async function assertWithinRounding(
  ours: tf.Tensor,
  [a, b, bias]: [Float32Array, Float32Array, Float32Array | undefined],
  [m, n, k]: number[],
  label: string,
) {
  const values = await ours.data();
  assert.deepEqual(ours.shape, [m, n], label);
  const gamma = (k + 1) * 2 ** -24 / (1 - (k + 1) * 2 ** -24);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let [exact, scale] = bias ? [bias[j], Math.abs(bias[j])] : [0, 0];
      for (let t = 0; t < k; t++) {
        exact += a[i * k + t] * b[t * n + j];
        scale += Math.abs(a[i * k + t] * b[t * n + j]);
      }
      const value = values[i * n + j];
      if (!(Math.abs(value - exact) <= gamma * scale)) {
        assert.fail(`${label}: (${i}, ${j}) is ${value}, exactly ${exact}, bound ${gamma * scale}`);
      }
    }
  }
}

Deno.test("wasm's own products are the float32 sums to rounding, transposed and with a bias or not", async () => {
  await useBackend("wasm");
  const rng = createRng(13);
  const random = (length: number) => rng.fill(new Float32Array(length));
  // The ring and mlp layers and their gradients, then every remainder of the 4×8 tiles.
  const shapes = [[64, 16, 128], [64, 128, 128], [64, 128, 2], [128, 64, 2], [64, 2, 128]];
  // The mlp's largest, and long sums over k in every kind of tile.
  shapes.push([64, 784, 512], [784, 64, 512], [7, 300, 13]);
  for (let i = 0; i < 24; i++) shapes.push([1 + rng.int(13), 1 + rng.int(40), 1 + rng.int(37)]);
  shapes.push([1, 1, 1], [3, 700, 1], [5, 1, 9]);
  for (const [m, k, n] of shapes) {
    for (const [transposeA, transposeB, biased] of [[0, 0, 1], [0, 0, 0], [1, 0, 0], [0, 1, 1]]) {
      const label = `[${m}, ${k}]·[${k}, ${n}] transposeA ${transposeA} transposeB ${transposeB}`;
      const values = [random(m * k), random(k * n), biased ? random(n) : undefined] as const;
      const products = tf.tidy(() => {
        const [a, b] = [tf.tensor2d(values[0], [m, k]), tf.tensor2d(values[1], [k, n])];
        const bias = values[2] && tf.tensor1d(values[2]);
        const [aIn, bIn] = [transposeA ? tf.transpose(a) : a, transposeB ? tf.transpose(b) : b];
        const attrs = { transposeA: !!transposeA, transposeB: !!transposeB };
        const inputs = {
          a: tf.reshape(aIn, [1, ...aIn.shape]),
          b: tf.reshape(bIn, [1, ...bIn.shape]),
        };
        assert.deepEqual(ownProductShape(inputs, attrs), [m, n, k], label);
        // tf.matMul hands the kernel 2-D operands, tf.fused.matMul a batch of one.
        assert.deepEqual(ownProductShape({ a: aIn, b: bIn }, attrs), [m, n, k], label);
        return [tf.fused.matMul({ a: aIn, b: bIn, bias, ...attrs })]
          .concat(bias ? [] : [tf.matMul(aIn, bIn, attrs.transposeA, attrs.transposeB)]);
      });
      const [fused, plain] = products;
      await assertWithinRounding(fused, [...values], [m, n, k], `${label}, fused.matMul`);
      if (plain) {
        // Both ops reach the same kernel: the same bits.
        assert.deepEqual(await plain.data(), await fused.data(), `${label}, matMul`);
      }
      tf.dispose(products);
    }
  }
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
  const side = Math.ceil(Math.cbrt(OWN_PRODUCT)) + 1;
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
  for (const [inputs, attrs] of cases) assert.equal(ownProductShape(inputs, attrs), undefined);
  assert.deepEqual(ownProductShape({ a: info([1, 4, 4]), b: info([1, 4, 5]) }, plain), [4, 5, 4]);
  assert.deepEqual(ownProductShape({ a: info([4, 4]), b: info([4, 5]) }, plain), [4, 5, 4]);
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

Deno.test("gantry's product kernel summed over k in parts (SUMS_IN_C) has one call's bits", async () => {
  await useBackend("wasm");
  const backend = tf.backend();
  const rng = createRng(5);
  // 4-row and 3-row tiles by 8, 4 and 1 columns; k in three parts.
  for (const [m, n, parts] of [[7, 13, [0, 20, 21, 37]], [8, 8, [0, 1, 64]]] as const) {
    const k = parts.at(-1)!;
    const [lA, b, bias] = [[k, m], [k, n], [n]].map((s) =>
      tf.tensor(rng.fill(new Float32Array(s[0] * (s[1] ?? 1))), s)
    );
    const { outputs, offset, view, memory } = onHeap(backend, [
      [aPanelsSize(m, k)],
      [k * n],
      [m, n],
      [m, n],
    ]);
    const [aPanels, bPanels, whole, summed] = outputs;
    const kernels = simdKernels(memory), floats = new Float32Array(memory.buffer);
    /** Panels of terms [from, to) of aᵀ (as lA) and b, the product's sums over them into c. */
    const run = (c: tf.TensorInfo, [from, to]: number[], biased: number) => {
      writePanels("a", kernels, floats, [offset(lA) + 4 * from * m, offset(aPanels)], [
        to - from,
        m,
      ], "as is");
      writePanels(
        "b",
        kernels,
        floats,
        [offset(b) + 4 * from * n, offset(bPanels)],
        [to - from, n],
        "as is",
      );
      kernels.matMul(
        offset(aPanels),
        offset(bPanels),
        offset(bias),
        offset(c),
        m,
        n,
        to - from,
        biased,
        n,
      );
    };
    run(whole, [0, k], 1);
    for (let p = 0; p + 1 < parts.length; p++) {
      run(summed, [parts[p], parts[p + 1]], p ? SUMS_IN_C : 1);
    }
    const [x, y] = [view(whole), view(summed)];
    assert.ok(x.every((v, i) => Object.is(v, y[i])), `${m}×${n}, parts ${parts}`);
    for (const t of outputs) backend.disposeData(t.dataId);
    tf.dispose([lA, b, bias]);
  }
});
