/**
 * Fused optimizer updates for the wasm backend: one kernel per variable where tfjs runs 14
 * (Adam), 4 (momentum) or 2 (SGD), each a JavaScript loop over the wasm heap.
 *
 * They are bit for bit tfjs's own updates: every operation of tfjs's formula is rounded to
 * float32 (`Math.fround`) in the same order, and float32 `+ - * / sqrt` computed in float64 and
 * rounded once are exactly float32's (a double holds more than twice a float's precision), so
 * metrics, checkpoints and resumes do not move. The scalars (β, 1 − β, ε, −lr, 1 − β^t) are
 * float32, as tfjs's scalar tensors are.
 *
 * @module
 */
import type { tf } from "../../deps.ts";
import type { KernelFunc } from "./wasm_kernel.ts";

/** Kernel names, with the inputs and attributes each takes. */
export const FUSED_ADAM = "GantryFusedAdam";
export const FUSED_MOMENTUM = "GantryFusedMomentum";
export const FUSED_SGD = "GantryFusedSgd";

/** The part of tfjs-backend-wasm's backend the kernels use. */
interface WasmHeap {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array;
}

const f = Math.fround;

/**
 * Allocates one float32 output shaped like each of `like`, then views on the heap: views are
 * taken after every allocation, as one that grows the heap detaches the views made before.
 */
function onHeap(backend: tf.KernelBackend, like: tf.TensorInfo[]) {
  const wasm = backend as unknown as WasmHeap;
  const outputs = like.map((t) => wasm.makeOutput(t.shape, "float32"));
  const view = (t: tf.TensorInfo) => wasm.typedArrayFromHeap(t);
  return { outputs, out: outputs.map(view), view };
}

/**
 * Adam (tfjs's AdamOptimizer.applyGradients for one variable): inputs x, g, m, v and the scalars
 * oneMinusAccBeta1, oneMinusAccBeta2; attributes beta1, beta2, epsilon, lr; outputs x, m, v.
 */
const adam: KernelFunc = ({ inputs, backend, attrs }) => {
  const { beta1, beta2, epsilon, lr } = attrs as Record<string, number>;
  const { outputs, out: [xs, ms, vs], view } = onHeap(backend, [inputs.x, inputs.m, inputs.v]);
  const [x, g, m, v] = [inputs.x, inputs.g, inputs.m, inputs.v].map(view);
  const a1 = view(inputs.oneMinusAccBeta1)[0], a2 = view(inputs.oneMinusAccBeta2)[0];
  const [b1, c1, b2, c2] = [f(beta1), f(1 - beta1), f(beta2), f(1 - beta2)];
  const [eps, step] = [f(epsilon), f(-lr)];
  for (let i = 0; i < x.length; i++) {
    const gi = g[i];
    const mi = f(f(m[i] * b1) + f(gi * c1));
    const vi = f(f(v[i] * b2) + f(f(gi * gi) * c2));
    const mHat = f(mi / a1), vHat = f(vi / a2);
    xs[i] = f(f(f(mHat / f(f(Math.sqrt(vHat)) + eps)) * step) + x[i]);
    ms[i] = mi;
    vs[i] = vi;
  }
  return outputs;
};

/**
 * Momentum without Nesterov (tfjs's MomentumOptimizer): inputs x, g, accumulation and the
 * scalars c (−lr) and momentum; outputs x, accumulation.
 */
const momentum: KernelFunc = ({ inputs, backend }) => {
  const { outputs, out: [xs, accs], view } = onHeap(backend, [inputs.x, inputs.accumulation]);
  const [x, g, acc] = [inputs.x, inputs.g, inputs.accumulation].map(view);
  const c = view(inputs.c)[0], mu = view(inputs.momentum)[0];
  for (let i = 0; i < x.length; i++) {
    const a = f(f(mu * acc[i]) + g[i]);
    accs[i] = a;
    xs[i] = f(f(c * a) + x[i]);
  }
  return outputs;
};

/** SGD (tfjs's SGDOptimizer): inputs x, g and the scalar c (−lr); output x. */
const sgd: KernelFunc = ({ inputs, backend }) => {
  const { outputs: [output], out: [xs], view } = onHeap(backend, [inputs.x]);
  const [x, g] = [inputs.x, inputs.g].map(view);
  const c = view(inputs.c)[0];
  for (let i = 0; i < x.length; i++) xs[i] = f(f(c * g[i]) + x[i]);
  return output;
};

/** The fused kernels by name, for `registerWasmKernels`. */
export const WASM_OPTIMIZER_KERNELS: Record<string, KernelFunc> = {
  [FUSED_ADAM]: adam,
  [FUSED_MOMENTUM]: momentum,
  [FUSED_SGD]: sgd,
};
