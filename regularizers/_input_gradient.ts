import { type tf, z } from "../deps.ts";
import type { DiscriminatorOutput, LossInputs } from "../core/contract/plugin.ts";

/**
 * ‖∇ₓ D(x)‖² of each example of `x` ([n]): the gradient of D's summed logits, taken inside the
 * player's step so that a penalty on it trains D through D's own backward pass. A conditional D
 * judges x as `labels` (default: the real batch's classes).
 */
export function squaredGradientNorms(
  ops: typeof tf,
  discriminate: LossInputs["discriminate"],
  x: tf.Tensor,
  labels?: tf.Tensor,
): tf.Tensor {
  const gradient = ops.grad((input: tf.Tensor) => ops.sum(discriminate(input, labels).logits))(x);
  return ops.sum(ops.square(ops.reshape(gradient, [x.shape[0], -1])), 1);
}

/** E[(‖∇ₓ D(x)‖ − 1)²] (or of its positive part only, `oneSided`): the 1-Lipschitz penalty. */
export function unitGradientPenalty(
  ops: typeof tf,
  discriminate: LossInputs["discriminate"],
  x: tf.Tensor,
  oneSided: boolean,
): tf.Scalar {
  // The small constant keeps √ differentiable where a gradient is exactly zero.
  const norms = ops.sqrt(ops.add(squaredGradientNorms(ops, discriminate, x), 1e-12));
  const excess = ops.sub(norms, 1);
  return ops.mean(ops.square(oneSided ? ops.relu(excess) : excess));
}

/**
 * Uniform noise of `shape` for a step, the same on a resumed run: drawn from a seed made of the
 * plugin's `base` seed, the step and the draw's index within the step (D may update k times).
 */
export function stepNoise(base: number) {
  let last = { step: 0, draws: 0 };
  return (ops: typeof tf, shape: number[], step: number): tf.Tensor => {
    last = step === last.step ? { step, draws: last.draws + 1 } : { step, draws: 0 };
    return ops.randomUniform(shape, 0, 1, "float32", `${base}:${step}:${last.draws}`);
  };
}

/** The options of `r1` and `r2`. */
export const gradientNormOptions = z.strictObject({
  /** γ: the penalty is γ/2 · E‖∇ₓ D(x)‖². */
  gamma: z.number().nonnegative().default(10),
  /**
   * Lazy regularization (StyleGAN2): apply it every `every` steps only, scaled by `every` so that
   * its average weight is unchanged.
   */
  every: z.int().positive().max(1_000_000).default(1),
});

/**
 * R1's and R2's γ/2 · E‖∇ₓ D(x)‖² on a batch D judged (at its classes, in a conditional run),
 * lazily as `options.every` says (0 between).
 */
export function lazyGradientNormPenalty(
  ops: typeof tf,
  options: z.output<typeof gradientNormOptions>,
  { step, discriminate }: Pick<LossInputs, "step" | "discriminate">,
  { x, labels }: Pick<DiscriminatorOutput, "x" | "labels">,
): tf.Scalar {
  if (step % options.every) return ops.scalar(0);
  const weight = (options.gamma / 2) * options.every;
  return ops.mul(weight, ops.mean(squaredGradientNorms(ops, discriminate, x, labels)));
}
