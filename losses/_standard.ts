import type { tf } from "../deps.ts";
import type { LossInputs } from "../core/contract/plugin.ts";

/** −E[log D(x)] for D's logits l: mean softplus(−l), the cost of calling examples real. */
export function realCrossEntropy(ops: typeof tf, logits: tf.Tensor): tf.Scalar {
  return ops.mean(ops.softplus(ops.neg(logits)));
}

/** −E[log(1 − D(x))] for D's logits l: mean softplus(l), the cost of calling examples fake. */
export function fakeCrossEntropy(ops: typeof tf, logits: tf.Tensor): tf.Scalar {
  return ops.mean(ops.softplus(logits));
}

/**
 * The seed's L0, the discriminator's side of the minimax game: maximise
 * E[log D(x)] + E[log(1 - D(G(z)))], i.e. minimise softplus(-l_real) + softplus(l_fake).
 */
export function standardDiscriminatorLoss(ops: typeof tf, { real, fake }: LossInputs): tf.Scalar {
  return ops.add(realCrossEntropy(ops, real.logits), fakeCrossEntropy(ops, fake.logits));
}
