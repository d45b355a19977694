/**
 * Minibatch discrimination's closeness ([IMP] sec. 3.2): o_ib = Σ_{j≠i} exp(−‖M_ib − M_jb‖₁) for
 * M ∈ R^{n×B×C}. As tfjs ops it is 7 kernels forward and about 15 backward over [n, n, B, C]
 * tensors (n² B C = 98,304 floats for the demo's batch 64 × 8 kernels × 3 dims), 3.9 of the
 * 7.2 ms of the demo's ring step with minibatch discrimination. On wasm two kernels do it, one
 * each way (the forward one with a registered gradient), in SIMD over the kernels (`wasm_simd.ts`); they round exactly
 * where tfjs's ops do (every sum float32 and in tfjs's order, wasm's own Exp), so the numbers are
 * tfjs's bit for bit. Elsewhere the tfjs ops run.
 *
 * @module
 */
import { tf } from "../../deps.ts";
import { type KernelFunc, onHeap, wasmKernel } from "./wasm_kernel.ts";
import { simdKernels } from "./wasm_simd.ts";

const FORWARD = "GantryMinibatchCloseness";
const BACKWARD = "GantryMinibatchClosenessGrad";

/**
 * The closeness [n, B] of every row of `m` [n, B, C] to the others, per kernel.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tf } from "../../deps.ts";
 * import { minibatchCloseness } from "./minibatch_closeness.ts";
 *
 * await tf.setBackend("cpu");
 * // Two rows at L1 distance 1 + 2 = 3 in one kernel: each is exp(-3) close to the other.
 * const o = minibatchCloseness(tf.tensor3d([[[0, 0]], [[1, 2]]]));
 * assert.ok(Math.abs((await o.data())[0] - Math.exp(-3)) < 1e-7);
 * ```
 */
export function minibatchCloseness(m: tf.Tensor): tf.Tensor {
  // Inside a gradient that will itself be differentiated (an input-gradient penalty's forward
  // pass), tfjs's ops, whose gradients have gradients; the fused kernel's gradient has none.
  const nested = (tf.engine().state as unknown as { gradientDepth: number }).gradientDepth > 1;
  if (nested || !tf.getKernel(FORWARD, tf.getBackend())) return closenessByOps(m);
  const [closeness, e] = tf.engine().runKernel(FORWARD, { m }) as tf.Tensor[];
  e.dispose(); // the tape keeps its own reference for the gradient
  return closeness;
}

function closenessByOps(m: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    // [n, n, B]: L1 distance between every pair of rows, per kernel.
    const distances = tf.sum(tf.abs(tf.sub(tf.expandDims(m, 1), tf.expandDims(m, 0))), 3);
    // The self term j = i contributes exp(0) = 1; the paper's sum excludes it.
    return tf.sub(tf.sum(tf.exp(tf.neg(distances)), 1), 1);
  });
}

/** M [n, B, C] as [n, C, B] in a heap tensor (the caller frees it), for the SIMD loops over B. */
function transposed(backend: tf.KernelBackend, m: tf.TensorInfo) {
  const [n, kernels, dims] = m.shape;
  const { outputs: [mT], out: [to], view } = onHeap(backend, [[n, dims, kernels]]);
  const from = view(m);
  for (let i = 0; i < n; i++) {
    for (let b = 0; b < kernels; b++) {
      for (let c = 0; c < dims; c++) {
        to[(i * dims + c) * kernels + b] = from[(i * kernels + b) * dims + c];
      }
    }
  }
  return mT;
}

/** m [n, B, C] → closeness [n, B] and e = exp(−distances) [n, n, B], kept for the gradient. */
function forward(exp: KernelFunc): KernelFunc {
  return ({ inputs, backend }) => {
    const [n, kernels, dims] = inputs.m.shape;
    const blocks = kernels >> 2;
    const mT = transposed(backend, inputs.m);
    const heap = onHeap(backend, [[n, n, kernels]]);
    const { outputs: [negated], out: [minus], view, offset } = heap;
    simdKernels(heap.memory).closenessDistances(
      offset(mT),
      offset(negated),
      n,
      kernels,
      dims,
      blocks,
    );
    const m = view(mT);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        for (let b = 4 * blocks; b < kernels; b++) {
          let d = 0; // sum over the innermost axis: 0 + |·| + |·| + ..., one rounding each
          for (let c = 0; c < dims; c++) {
            d = Math.fround(
              d +
                Math.abs(
                  Math.fround(m[(i * dims + c) * kernels + b] - m[(j * dims + c) * kernels + b]),
                ),
            );
          }
          minus[(i * n + j) * kernels + b] = -d;
        }
      }
    }
    backend.disposeData(mT.dataId);
    const e = exp({ inputs: { x: negated }, backend }) as tf.TensorInfo;
    backend.disposeData(negated.dataId);
    const sums = onHeap(backend, [[n, kernels]]);
    const [closeness, values] = [sums.out[0], sums.view(e)];
    closeness.fill(0);
    for (let i = 0; i < n; i++) {
      const [from, to] = [
        sums.offset(e) + 4 * i * n * kernels,
        sums.offset(sums.outputs[0]) + 4 * i * kernels,
      ];
      simdKernels(sums.memory).columnSums(from, to, n, kernels, blocks);
      for (let b = 4 * blocks; b < kernels; b++) {
        let s = 0; // sum over j, in order
        for (let j = 0; j < n; j++) s = Math.fround(s + values[(i * n + j) * kernels + b]);
        closeness[i * kernels + b] = s;
      }
    }
    for (let k = 0; k < closeness.length; k++) closeness[k] = Math.fround(closeness[k] - 1);
    return [sums.outputs[0], e];
  };
}

/**
 * dy [n, B], m, e → dm [n, B, C]. tfjs's chain: dD_ijb = −(dy_ib · e_ijb); through |·|, ±dD by
 * the sign of M_ib − M_jb (step(x, −1): −1 at 0); then Σ_j over the first row of each pair plus
 * −Σ_i over the second, each summed in order.
 */
const backward: KernelFunc = ({ inputs, backend }) => {
  const [n, kernels, dims] = inputs.m.shape;
  const blocks = kernels >> 2;
  const mT = transposed(backend, inputs.m);
  const heap = onHeap(backend, [[n, kernels, dims], [n, dims, kernels], [n, dims, kernels]]);
  const { outputs: [output, first, second], out: [dm, asFirst, asSecond], view, offset } = heap;
  asFirst.fill(0);
  asSecond.fill(0);
  simdKernels(heap.memory).closenessGrad(
    offset(mT),
    offset(inputs.dy),
    offset(inputs.e),
    offset(first),
    offset(second),
    n,
    kernels,
    dims,
    blocks,
  );
  const [dy, m, e] = [view(inputs.dy), view(mT), view(inputs.e)];
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      for (let b = 4 * blocks; b < kernels; b++) {
        const dd = -Math.fround(dy[i * kernels + b] * e[(i * n + j) * kernels + b]);
        for (let c = 0; c < dims; c++) {
          const at = (row: number) => (row * dims + c) * kernels + b;
          const g = Math.fround(m[at(i)] - m[at(j)]) > 0 ? dd : -dd;
          asFirst[at(i)] = Math.fround(asFirst[at(i)] + g);
          asSecond[at(j)] = Math.fround(asSecond[at(j)] + g);
        }
      }
    }
  }
  for (let i = 0; i < n; i++) {
    for (let b = 0; b < kernels; b++) {
      for (let c = 0; c < dims; c++) {
        const k = (i * dims + c) * kernels + b;
        dm[(i * kernels + b) * dims + c] = Math.fround(asFirst[k] - asSecond[k]);
      }
    }
  }
  for (const t of [mT, first, second]) backend.disposeData(t.dataId);
  return output;
};

/** Registers the two kernels for wasm and the forward kernel's gradient. */
export function registerMinibatchCloseness(): void {
  tf.registerGradient({
    kernelName: FORWARD,
    inputsToSave: ["m"],
    outputsToSave: [false, true],
    gradFunc: (dy, [m, e]) => ({
      m: () => tf.engine().runKernel(BACKWARD, { dy: (dy as tf.Tensor[])[0], m, e }) as tf.Tensor,
    }),
  });
  for (
    const [kernelName, kernelFunc] of [[FORWARD, forward(wasmKernel("Exp"))], [
      BACKWARD,
      backward,
    ]] as const
  ) {
    tf.registerKernel({
      kernelName,
      backendName: "wasm",
      kernelFunc: kernelFunc as unknown as tf.KernelFunc,
    });
  }
}
