import type { tf } from "../deps.ts";
import type { LossInputs } from "../core/plugin.ts";

/**
 * The seed's L0, the discriminator's side of the minimax game: maximise
 * E[log D(x)] + E[log(1 - D(G(z)))], i.e. minimise softplus(-l_real) + softplus(l_fake).
 */
export function standardDiscriminatorLoss(
  ops: typeof tf,
  { real, fake }: LossInputs,
): tf.Scalar {
  return ops.add(
    ops.mean(ops.softplus(ops.neg(real.logits))),
    ops.mean(ops.softplus(fake.logits)),
  );
}
