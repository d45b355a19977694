/**
 * Fused optimizer updates for the wasm backend: one kernel per variable where tfjs runs 14
 * (Adam), 4 (momentum) or 2 (SGD), each a SIMD loop (`wasm_simd.ts`) over the wasm heap
 * for the blocks of four floats, and a JavaScript loop for the last few.
 *
 * They are bit for bit tfjs's own updates: the SIMD lanes are IEEE float32, and in JavaScript
 * every operation of tfjs's formula is rounded to float32 (`Math.fround`) in the same order
 * (float32 `+ - * / sqrt` computed in float64 and rounded once are exactly float32's: a double
 * holds more than twice a float's precision), so metrics, checkpoints and resumes do not move.
 * The scalars (β, 1 − β, ε, −lr, 1 − β^t) are float32, as tfjs's scalar tensors are.
 *
 * @module
 */
import { type KernelFunc, onHeap } from "./wasm_kernel.ts";
import { blocksOnThreads } from "./wasm_product_pool.ts";

const f = Math.fround;

/** Kernel names, with the inputs and attributes each takes. */
export const FUSED_ADAM = "GantryFusedAdam";
export const FUSED_MOMENTUM = "GantryFusedMomentum";
export const FUSED_SGD = "GantryFusedSgd";

/**
 * Adam (tfjs's AdamOptimizer.applyGradients for one variable): inputs x, g, m, v and the scalars
 * oneMinusAccBeta1, oneMinusAccBeta2; attributes beta1, beta2, epsilon, lr; outputs x, m, v.
 */
const adam: KernelFunc = ({ inputs, backend, attrs }) => {
  const { beta1, beta2, epsilon, lr } = attrs as Record<string, number>;
  const heap = onHeap(backend, [inputs.x.shape, inputs.m.shape, inputs.v.shape]);
  const { outputs, out: [xs, ms, vs], view, offset } = heap;
  const [x, g, m, v] = [inputs.x, inputs.g, inputs.m, inputs.v].map(view);
  const a1 = view(inputs.oneMinusAccBeta1)[0], a2 = view(inputs.oneMinusAccBeta2)[0];
  const [b1, c1, b2, c2] = [f(beta1), f(1 - beta1), f(beta2), f(1 - beta2)];
  const [eps, step] = [f(epsilon), f(-lr)];
  const blocks = x.length >> 2;
  const pointers = [inputs.x, inputs.g, inputs.m, inputs.v, ...outputs].map(offset);
  blocksOnThreads(heap.memory, blocks, (first, count) => [
    "adam",
    ...pointers.map((p) => p + 16 * first),
    count,
    ...[a1, a2, b1, c1, b2, c2, eps, step],
  ]);
  for (let i = 4 * blocks; i < x.length; i++) {
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
  const heap = onHeap(backend, [inputs.x.shape, inputs.accumulation.shape]);
  const { outputs, out: [xs, accs], view, offset } = heap;
  const [x, g, acc] = [inputs.x, inputs.g, inputs.accumulation].map(view);
  const c = view(inputs.c)[0], mu = view(inputs.momentum)[0];
  const blocks = x.length >> 2;
  const pointers = [inputs.x, inputs.g, inputs.accumulation, ...outputs].map(offset);
  blocksOnThreads(heap.memory, blocks, (first, count) => [
    "momentum",
    ...pointers.map((p) => p + 16 * first),
    count,
    c,
    mu,
  ]);
  for (let i = 4 * blocks; i < x.length; i++) {
    const a = f(f(mu * acc[i]) + g[i]);
    accs[i] = a;
    xs[i] = f(f(c * a) + x[i]);
  }
  return outputs;
};

/** SGD (tfjs's SGDOptimizer): inputs x, g and the scalar c (−lr); output x. */
const sgd: KernelFunc = ({ inputs, backend }) => {
  const heap = onHeap(backend, [inputs.x.shape]);
  const { outputs: [output], out: [xs], view, offset } = heap;
  const [x, g] = [inputs.x, inputs.g].map(view);
  const c = view(inputs.c)[0];
  const blocks = x.length >> 2;
  const pointers = [inputs.x, inputs.g, output].map(offset);
  blocksOnThreads(heap.memory, blocks, (first, count) => [
    "sgd",
    ...pointers.map((p) => p + 16 * first),
    count,
    c,
  ]);
  for (let i = 4 * blocks; i < x.length; i++) xs[i] = f(f(c * g[i]) + x[i]);
  return output;
};

/** The fused kernels by name, for `registerWasmKernels`. */
export const WASM_OPTIMIZER_KERNELS: Record<string, KernelFunc> = {
  [FUSED_ADAM]: adam,
  [FUSED_MOMENTUM]: momentum,
  [FUSED_SGD]: sgd,
};
