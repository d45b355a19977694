/**
 * tfjs-backend-wasm's matrix products (`BatchMatMul`, `_FusedMatMul`), made faster for the
 * shapes a GAN step runs.
 *
 * - **Products up to {@linkcode OWN_PRODUCT} multiply-adds** (m·n·k: every layer of the grids'
 *   and MNIST's MLPs and their gradients, DCGAN's dense layers) run in gantry's own SIMD kernel
 *   (`wasm_simd.ts`; on the threaded build split between threads, `wasm_product_pool.ts`), which
 *   reads both operands in panels (`wasm_panels.ts`), written first from the operands as stored,
 *   transposed or not (one pass over each: the mlp step took 0.85 of its time with panels, where
 *   the kernel read A column-major and B row-major, both transposed first where they were not).
 *   XNNPACK packs B into its own layout for every new B tensor (it keeps the packed copy while
 *   the tensor lives), which in training is a few calls at most (the weights change every step,
 *   gradients are new), and at the grids' sizes the packing costs as much as the product
 *   (`bench/product_bench.ts`, a new B each call: 2–4x faster here). Both sum each output over
 *   k in order from the bias; gantry's kernel fuses each term's multiply-add (rounded once,
 *   1.2–1.4x faster than a multiply and an add), so its outputs are XNNPACK's to within float32
 *   rounding, not its bits.
 * - **Transposed operands** of larger products: wasm's kernel takes a plain loop for any
 *   transposed product (measured 20x slower: 114 ms against 6 ms for a 784×128 by 128×512
 *   product). The operands are transposed first with wasm's Transpose, or, for a·bᵀ with a large
 *   b, computed as (b·aᵀ)ᵀ, which moves only the smaller tensors. XNNPACK sums in order either
 *   way.
 *
 * @module
 */
import type { tf } from "../../deps.ts";
import { type KernelFunc, onHeap, wasmKernel } from "./wasm_kernel.ts";
import { matMulOnThreads } from "./wasm_product_pool.ts";
import { aPanelsSize, type Stored, writePanels } from "./wasm_panels.ts";
import { simdKernels } from "./wasm_simd.ts";

/**
 * The largest product, in multiply-adds (m·n·k), that gantry's own kernel runs; larger ones (some
 * of the convolutions' im2col products) are XNNPACK's.
 */
export const OWN_PRODUCT = 1 << 26;

interface ProductAttrs {
  transposeA: boolean;
  transposeB: boolean;
  activation?: string;
}

const size = (t: tf.TensorInfo) => t.shape.reduce((a, b) => a * b, 1);
const single = (t: tf.TensorInfo) => t.shape.slice(0, -2).every((d) => d === 1);

/**
 * Swaps the last two axes of `x`: a float32 matrix (or a batch of one) in 4×4 SIMD blocks
 * (`wasm_simd.ts`), the rows and columns past the last whole block here; anything else with the
 * backend's own Transpose kernel, a loop an element, 4x slower on the weights' matrices
 * (`bench/product_bench.ts`).
 */
export function transposeLastTwo(
  transpose: KernelFunc,
  x: tf.TensorInfo,
  backend: tf.KernelBackend,
): tf.TensorInfo {
  const rank = x.shape.length;
  if (x.dtype !== "float32" || !single(x)) {
    const perm = [...Array(rank - 2).keys(), rank - 1, rank - 2];
    return transpose({ inputs: { x }, backend, attrs: { perm } }) as tf.TensorInfo;
  }
  const [rows, cols] = x.shape.slice(-2);
  const heap = onHeap(backend, [[...x.shape.slice(0, -2), cols, rows]]);
  const { outputs: [output], out: [to], view, offset } = heap;
  simdKernels(heap.memory).transpose(offset(x), offset(output), rows, cols, rows);
  const from = view(x);
  const [blockRows, blockCols] = [rows & ~3, cols & ~3];
  for (let r = 0; r < rows; r++) {
    for (let c = r < blockRows ? blockCols : 0; c < cols; c++) {
      to[c * rows + r] = from[r * cols + c];
    }
  }
  return output;
}

/**
 * Whether a·bᵀ is cheaper as (b·aᵀ)ᵀ: a single product (no batch) whose b holds at least as many
 * elements as a and the result together, the elements each way transposes.
 */
function swapsCheaper(a: tf.TensorInfo, b: tf.TensorInfo): boolean {
  const out = size(a) / a.shape.at(-1)! * b.shape.at(-2)!;
  return single(a) && single(b) && size(b) >= size(a) + out;
}

/** a·bᵀ as (b·aᵀ)ᵀ, with the untransposed product. */
function swappedProduct(
  product: KernelFunc,
  transpose: KernelFunc,
  a: tf.TensorInfo,
  b: tf.TensorInfo,
  backend: tf.KernelBackend,
): tf.TensorInfo {
  const aT = transposeLastTwo(transpose, a, backend);
  try {
    const outT = product({
      inputs: { a: b, b: aT },
      backend,
      attrs: { transposeA: false, transposeB: false },
    }) as tf.TensorInfo;
    try {
      return transposeLastTwo(transpose, outT, backend);
    } finally {
      backend.disposeData(outT.dataId);
    }
  } finally {
    backend.disposeData(aT.dataId);
  }
}

/**
 * The product's [m, n, k] when gantry's kernel takes it: float32, one matrix each side (2-D, as
 * `tf.matMul` passes them, or a batch of one, as `tf.fused.matMul` does), no activation, a bias
 * (if any) of n values, at most `OWN_PRODUCT` multiply-adds, k > 0.
 */
export function ownProductShape(
  inputs: Record<string, tf.TensorInfo>,
  attrs: ProductAttrs,
): [number, number, number] | undefined {
  const { a, b, bias, preluActivationWeights } = inputs;
  if (a.dtype !== "float32" || b.dtype !== "float32") return undefined;
  const rank = a.shape.length;
  if (b.shape.length !== rank || (rank !== 2 && rank !== 3) || !single(a) || !single(b)) {
    return undefined;
  }
  if ((attrs.activation ?? "linear") !== "linear" || preluActivationWeights) return undefined;
  const [rows, columns] = [a.shape[rank - 2], a.shape[rank - 1]];
  const [m, k] = attrs.transposeA ? [columns, rows] : [rows, columns];
  const n = b.shape[attrs.transposeB ? rank - 2 : rank - 1];
  if (bias && (bias.shape.length !== 1 || bias.shape[0] !== n)) return undefined;
  return k > 0 && m * n * k <= OWN_PRODUCT ? [m, n, k] : undefined;
}

/**
 * A product in gantry's kernel, which reads both operands in panels (`wasm_panels.ts`): written
 * first from where they are stored, transposed or not.
 */
function ownProduct(
  inputs: Record<string, tf.TensorInfo>,
  backend: tf.KernelBackend,
  transposeA: boolean,
  transposeB: boolean,
  [m, n, k]: [number, number, number],
): tf.TensorInfo {
  const { a, b, bias } = inputs;
  const shape = [...a.shape.slice(0, -2), m, n];
  const heap = onHeap(backend, [[aPanelsSize(m, k)], [k * n], shape]);
  const { outputs: [aPanels, bPanels, out], offset, memory } = heap;
  try {
    const kernels = simdKernels(memory), floats = new Float32Array(memory.buffer);
    const stored = (transposed: boolean): Stored => transposed ? "as is" : "transposed";
    writePanels("a", kernels, floats, [offset(a), offset(aPanels)], [k, m], stored(transposeA));
    const operands = [offset(aPanels), offset(bPanels), bias ? offset(bias) : 0, offset(out)];
    const writeB = { from: offset(b), stored: stored(!transposeB) };
    matMulOnThreads(memory, operands, [m, n, k], bias ? 1 : 0, writeB);
    return out;
  } finally {
    backend.disposeData(aPanels.dataId);
    backend.disposeData(bPanels.dataId);
  }
}

/** The kernel function replacing wasm's `BatchMatMul` or `_FusedMatMul`. */
export function makeMatMul(name: "BatchMatMul" | "_FusedMatMul"): KernelFunc {
  const original = wasmKernel(name);
  const transpose = wasmKernel("Transpose");
  return ({ inputs, backend, attrs }) => {
    const productAttrs = attrs as unknown as ProductAttrs;
    const { transposeA, transposeB } = productAttrs;
    const shape = ownProductShape(inputs, productAttrs);
    if (shape) return ownProduct(inputs, backend, transposeA, transposeB, shape);
    if (!transposeA && !transposeB) return original({ inputs, backend, attrs });
    if (name === "BatchMatMul" && !transposeA && swapsCheaper(inputs.a, inputs.b)) {
      return swappedProduct(original, transpose, inputs.a, inputs.b, backend);
    }
    const a = transposeA ? transposeLastTwo(transpose, inputs.a, backend) : inputs.a;
    const b = transposeB ? transposeLastTwo(transpose, inputs.b, backend) : inputs.b;
    try {
      return original({
        inputs: { ...inputs, a, b },
        backend,
        attrs: { ...attrs, transposeA: false, transposeB: false },
      });
    } finally {
      if (a !== inputs.a) backend.disposeData(a.dataId);
      if (b !== inputs.b) backend.disposeData(b.dataId);
    }
  };
}
