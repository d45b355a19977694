/**
 * Kernel fixes for tfjs-backend-wasm 4.22, registered once when a run picks the wasm backend.
 *
 * Matrix products with `transposeA` or `transposeB` take a slow path in the wasm backend
 * (measured: 20x slower than transposing first, 114 ms vs 6 ms for a 784×128 by 128×512
 * product), and every gradient of a dense layer is such a product. The wrapped kernels
 * transpose explicitly, then run the fast untransposed product.
 *
 * @module
 */
import { tf } from "../deps.ts";

type KernelFunc = (params: {
  inputs: Record<string, tf.TensorInfo>;
  backend: tf.KernelBackend;
  attrs?: Record<string, unknown>;
}) => tf.TensorInfo | tf.TensorInfo[];

let registered = false;

function kernelFunc(name: string): KernelFunc {
  const config = tf.getKernel(name, "wasm");
  if (!config) throw new Error(`tfjs-backend-wasm has no ${name} kernel`);
  return config.kernelFunc as unknown as KernelFunc;
}

/** Swaps the last two axes of `x` with the backend's own Transpose kernel. */
function transposeLastTwo(
  transpose: KernelFunc,
  x: tf.TensorInfo,
  backend: tf.KernelBackend,
): tf.TensorInfo {
  const rank = x.shape.length;
  const perm = [...Array(rank - 2).keys(), rank - 1, rank - 2];
  return transpose({ inputs: { x }, backend, attrs: { perm } }) as tf.TensorInfo;
}

/** Registers gantry's wasm kernels, before the backend starts; later calls do nothing. */
export function registerWasmKernels(): void {
  if (registered) return;
  registered = true;
  const transpose = kernelFunc("Transpose");
  for (const name of ["BatchMatMul", "_FusedMatMul"]) {
    const config = tf.getKernel(name, "wasm")!;
    const original = kernelFunc(name);
    tf.unregisterKernel(name, "wasm");
    // Keeps the original setupFunc, which binds the wasm function when the backend starts.
    tf.registerKernel({
      ...config,
      kernelFunc: (({ inputs, backend, attrs }) => {
        const { transposeA, transposeB } = attrs as { transposeA: boolean; transposeB: boolean };
        if (!transposeA && !transposeB) return original({ inputs, backend, attrs });
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
      }) as KernelFunc as unknown as tf.KernelFunc,
    });
  }
}
