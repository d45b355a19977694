/**
 * A dense layer's product as one kernel: y = a·b (+ bias) on 2-D tensors, either operand
 * transposed. tfjs's `fused.matMul` op, which tfjs-layers' Dense calls, reshapes both operands
 * to 3-D and the result back, and keeps its operands and result through `customGrad`; its
 * gradient reshapes again around every product (a ring MLP step ran 92 Reshape and 88 Identity
 * kernels, each a few µs of tfjs's engine) and computes both operands' gradients whenever one is
 * asked for. On every backend gantry starts this op is one kernel, `GantryMatMul`, that keeps its
 * two operands for the gradient; the gradient is this op again, for each operand the tape asks
 * for (so it has gradients itself, as a penalty on ‖∇ₓD(x)‖ asks), and, for the bias, a Sum.
 * Underneath run the same product kernels as tfjs's path (the backend's `_FusedMatMul` with a
 * bias, `BatchMatMul` without; on wasm gantry's, `wasm_matmul.ts`), on the same operands in the
 * same order, so the numbers are tfjs's bit for bit. For tensors the kernel does not take it is
 * tfjs's `fused.matMul`.
 *
 * @module
 */
import { tf } from "../../deps.ts";
import type { KernelFunc } from "./wasm_kernel.ts";

const KERNEL = "GantryMatMul";

/** Options of {@linkcode matrixProduct}. */
export interface MatrixProductOptions {
  /** Multiplies by aᵀ (default false). */
  transposeA?: boolean;
  /** Multiplies by bᵀ (default false). */
  transposeB?: boolean;
  /** Added to every row of the product: one value per output column. */
  bias?: tf.Tensor;
}

/**
 * a·b (+ bias) for 2-D a and b, in one kernel where the backend has gantry's.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tf } from "../../deps.ts";
 * import { matrixProduct } from "./matrix_product.ts";
 *
 * await tf.setBackend("cpu");
 * const y = matrixProduct(tf.tensor2d([[1, 2]]), tf.tensor2d([[3], [4]]), { bias: tf.tensor1d([5]) });
 * assert.deepEqual(await y.data(), new Float32Array([16]));
 * ```
 */
export function matrixProduct(
  a: tf.Tensor,
  b: tf.Tensor,
  options: MatrixProductOptions = {},
): tf.Tensor {
  const { transposeA = false, transposeB = false, bias } = options;
  // The columns of a matrix as the product reads it: k for a, n for b.
  const columns = (t: tf.Tensor, transposed: boolean) => t.shape[transposed ? 0 : 1];
  const own = tf.getKernel(KERNEL, tf.getBackend()) && a.rank === 2 && b.rank === 2 &&
    a.dtype === "float32" && b.dtype === "float32" &&
    columns(a, transposeA) === b.shape[transposeB ? 1 : 0] &&
    (!bias ||
      (bias.rank === 1 && bias.dtype === "float32" && bias.size === columns(b, transposeB)));
  if (!own) {
    return tf.fused.matMul({
      a: a as tf.Tensor2D,
      b: b as tf.Tensor2D,
      transposeA,
      transposeB,
      bias,
    });
  }
  return tf.engine().runKernel(KERNEL, bias ? { a, b, bias } : { a, b }, {
    transposeA,
    transposeB,
  }) as tf.Tensor;
}

/**
 * The gradients of C = op(a)·op(b), op a transpose where asked, each again a product:
 * tfjs's formulas for `BatchMatMul`.
 */
function productGradients(
  dy: tf.Tensor,
  [a, b]: tf.Tensor[],
  { transposeA, transposeB }: { transposeA: boolean; transposeB: boolean },
): Record<string, () => tf.Tensor> {
  return {
    a: () =>
      transposeA
        ? matrixProduct(b, dy, { transposeA: transposeB, transposeB: true })
        : matrixProduct(dy, b, { transposeB: !transposeB }),
    b: () =>
      transposeB
        ? matrixProduct(dy, a, { transposeA: true, transposeB: transposeA })
        : matrixProduct(a, dy, { transposeA: !transposeA }),
    bias: () => tf.sum(dy, 0),
  };
}

/**
 * Registers the op's kernel for a backend, built on the backend's `BatchMatMul` and
 * `_FusedMatMul` kernel functions as they are then (3-D, a batch of one; call it after replacing
 * them), and the op's gradient; once a backend, and nothing for a backend without them.
 */
export function registerMatrixProduct(backendName: string): void {
  const [plain, fused] = ["BatchMatMul", "_FusedMatMul"].map((name) =>
    tf.getKernel(name, backendName)?.kernelFunc as unknown as KernelFunc | undefined
  );
  if (!plain || !fused || tf.getKernel(KERNEL, backendName)) return;
  const batchOfOne = (t: tf.TensorInfo) => ({ ...t, shape: [1, ...t.shape] });
  const kernelFunc: KernelFunc = ({ inputs: { a, b, bias }, backend, attrs }) => {
    const operands = { a: batchOfOne(a), b: batchOfOne(b) };
    const out = (bias
      ? fused({
        inputs: { ...operands, bias },
        backend,
        attrs: { ...attrs, activation: "linear" },
      })
      : plain({ inputs: operands, backend, attrs })) as tf.TensorInfo;
    return { ...out, shape: out.shape.slice(1) };
  };
  tf.registerKernel({
    kernelName: KERNEL,
    backendName,
    kernelFunc: kernelFunc as unknown as tf.KernelFunc,
  });
  if (tf.getGradient(KERNEL)) return;
  tf.registerGradient({
    kernelName: KERNEL,
    inputsToSave: ["a", "b"],
    gradFunc: (dy, saved, attrs) =>
      productGradients(
        dy as tf.Tensor,
        saved,
        attrs as unknown as { transposeA: boolean; transposeB: boolean },
      ),
  });
}
