/**
 * The players' optimizers: made from `train.optimizer`, and the learning rate of a step under
 * its `decay`, set on them before each step. They are tfjs's Adam, SGD and momentum (same state,
 * same checkpoints), updating each variable with one fused kernel where the backend has one
 * (wasm: `core/backend/wasm_optimizer_kernels.ts`, bit for bit tfjs's update).
 *
 * @module
 */
import { tf } from "../../deps.ts";
import { FUSED_ADAM, FUSED_MOMENTUM, FUSED_SGD } from "../backend/wasm_optimizer_kernels.ts";
import type { ExperimentConfig } from "../config/schema.ts";
import type { Optimizers } from "../store/optimizer_state.ts";

type OptimizerConfig = ExperimentConfig["train"]["optimizer"];

/**
 * The learning rate at `step`: `lr` until `decay.start`, then linearly down to 0 at `decay.end`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { learningRateAt } from "./optimizers.ts";
 * const optimizer = { lr: 0.004, decay: { start: 100, end: 200 } };
 * assert.equal(learningRateAt(optimizer, 150), 0.002);
 * ```
 */
export function learningRateAt(optimizer: Pick<OptimizerConfig, "lr" | "decay">, step: number) {
  const { lr, decay } = optimizer;
  if (!decay) return lr;
  const remaining = (decay.end - step) / (decay.end - decay.start);
  return lr * Math.min(1, Math.max(0, remaining));
}

/** Sets an optimizer's learning rate (SGD and momentum cache it in a tensor; Adam reads the field). */
export function setLearningRate(optimizer: tf.Optimizer, lr: number): void {
  const settable = optimizer as unknown as {
    learningRate: number;
    setLearningRate?: (lr: number) => void;
  };
  if (settable.learningRate === lr) return;
  if (settable.setLearningRate) settable.setLearningRate(lr);
  else settable.learningRate = lr;
}

/** One optimizer per player, each over its own variables, as `train.optimizer` describes. */
export function createOptimizers(config: OptimizerConfig): Optimizers {
  return { discriminator: createOptimizer(config), generator: createOptimizer(config) };
}

function createOptimizer(o: OptimizerConfig): tf.Optimizer {
  switch (o.name) {
    case "adam":
      return new FusedAdam(o.lr, o.beta1, o.beta2, 1e-8);
    case "sgd":
      return new FusedSgd(o.lr);
    case "momentum":
      return new FusedMomentum(o.lr, o.momentum);
  }
}

type Gradients<O extends tf.Optimizer> = Parameters<O["applyGradients"]>[0];

/** The gradients with their variables, in the order tfjs's optimizers number them. */
function withVariables(
  gradients: Record<string, tf.Tensor> | { name: string; tensor: tf.Tensor }[],
) {
  const list = Array.isArray(gradients)
    ? gradients
    : Object.entries(gradients).map(([name, tensor]) => ({ name, tensor }));
  return list.map(({ name, tensor }) => ({
    gradient: tensor,
    variable: tf.engine().registeredVariables[name],
  }));
}

/** Whether the current backend has the fused kernel. */
const fused = (kernel: string) => tf.getKernel(kernel, tf.getBackend()) !== undefined;

const run = (kernel: string, inputs: tf.NamedTensorMap, attrs = {}) =>
  tf.engine().runKernel(kernel, inputs, attrs) as tf.Tensor | tf.Tensor[];

/** A state variable as tfjs's optimizers keep it: `{ originalName, variable }`, zeros at first. */
interface Slot {
  originalName: string;
  variable: tf.Variable;
}
function slot(slots: Slot[], i: number, variable: tf.Variable, suffix: string): tf.Variable {
  slots[i] ??= {
    originalName: `${variable.name}/${suffix}`,
    variable: tf.tidy(() => tf.zerosLike(variable).variable(false)),
  };
  return slots[i].variable;
}

/** The fields of tfjs's Adam that its update reads (private in its typings). */
interface AdamState {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  accBeta1: tf.Variable;
  accBeta2: tf.Variable;
  accumulatedFirstMoment: Slot[];
  accumulatedSecondMoment: Slot[];
  incrementIterations(): void;
}

class FusedAdam extends tf.AdamOptimizer {
  override applyGradients(gradients: Gradients<tf.AdamOptimizer>): void {
    if (!fused(FUSED_ADAM)) return super.applyGradients(gradients);
    const state = this as unknown as AdamState;
    const { beta1, beta2, epsilon, learningRate: lr } = state;
    tf.tidy(() => {
      const oneMinusAccBeta1 = tf.sub(1, state.accBeta1);
      const oneMinusAccBeta2 = tf.sub(1, state.accBeta2);
      withVariables(gradients).forEach(({ variable, gradient }, i) => {
        const m = slot(state.accumulatedFirstMoment, i, variable, "m");
        const v = slot(state.accumulatedSecondMoment, i, variable, "v");
        if (!gradient) return;
        const inputs = { x: variable, g: gradient, m, v, oneMinusAccBeta1, oneMinusAccBeta2 };
        const [x, m1, v1] = run(FUSED_ADAM, inputs, { beta1, beta2, epsilon, lr }) as tf.Tensor[];
        m.assign(m1);
        v.assign(v1);
        variable.assign(x);
      });
      state.accBeta1.assign(tf.mul(state.accBeta1, beta1));
      state.accBeta2.assign(tf.mul(state.accBeta2, beta2));
    });
    state.incrementIterations();
  }
}

/** The fields of tfjs's SGD and momentum that their updates read. */
interface SgdState {
  c: tf.Scalar;
  m: tf.Scalar;
  accumulations: Slot[];
  incrementIterations(): void;
}

class FusedSgd extends tf.SGDOptimizer {
  override applyGradients(gradients: Gradients<tf.SGDOptimizer>): void {
    if (!fused(FUSED_SGD)) return super.applyGradients(gradients);
    const state = this as unknown as SgdState;
    for (const { variable, gradient } of withVariables(gradients)) {
      if (!gradient) continue;
      tf.tidy(() =>
        variable.assign(run(FUSED_SGD, { x: variable, g: gradient, c: state.c }) as tf.Tensor)
      );
    }
    state.incrementIterations();
  }
}

class FusedMomentum extends tf.MomentumOptimizer {
  override applyGradients(gradients: Gradients<tf.MomentumOptimizer>): void {
    if (!fused(FUSED_MOMENTUM)) return super.applyGradients(gradients);
    const state = this as unknown as SgdState;
    withVariables(gradients).forEach(({ variable, gradient }, i) => {
      const accumulation = slot(state.accumulations, i, variable, "momentum");
      if (!gradient) return;
      tf.tidy(() => {
        const inputs = { x: variable, g: gradient, accumulation, c: state.c, momentum: state.m };
        const [x, a] = run(FUSED_MOMENTUM, inputs) as tf.Tensor[];
        accumulation.assign(a);
        variable.assign(x);
      });
    });
    state.incrementIterations();
  }
}
