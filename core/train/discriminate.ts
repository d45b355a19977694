/**
 * D as the engine and the metrics call it: with virtual batch norm's reference rows in front of
 * every batch, the K class logits reduced to the logit of "real" in semi-supervised mode, and
 * the batches of a step stacked into one call when D scores examples independently.
 *
 * @module
 */
import { tf } from "../../deps.ts";
import type { DiscriminatorOutput } from "../contract/plugin.ts";
import type { Run } from "./build.ts";

/**
 * D on a batch: with the reference batch in front (its rows removed from the outputs), and in
 * semi-supervised mode the K class logits reduced to the logit of "real", log Z(x).
 */
export function discriminate(run: Run, x: tf.Tensor, training: boolean): DiscriminatorOutput {
  const rows = run.reference?.shape[0] ?? 0;
  const input = rows ? tf.concat([run.reference!, x], 0) : x;
  const out = run.networks.discriminator.apply(input, { training }) as tf.Tensor | tf.Tensor[];
  const outputs = (Array.isArray(out) ? out : [out]).map((t) =>
    rows ? tf.slice(t, [rows, ...t.shape.slice(1).map(() => 0)], [-1, ...t.shape.slice(1)]) : t
  );
  const [logits, ...features] = outputs;
  return run.labeled
    ? { x, logits: tf.logSumExp(logits, 1, true), classLogits: logits, features }
    : { x, logits, features };
}

/**
 * D on several batches: one call on them stacked together when D treats examples
 * independently (`run.perExample`), else one call per batch. Either way, one output per batch.
 */
export function discriminateEach(
  run: Run,
  batches: tf.Tensor[],
  training: boolean,
): DiscriminatorOutput[] {
  if (!run.perExample || batches.length < 2) {
    return batches.map((x) => discriminate(run, x, training));
  }
  const sizes = batches.map((x) => x.shape[0]);
  const split = (t: tf.Tensor) => tf.split(t, sizes, 0);
  const { logits, classLogits, features } = discriminate(run, tf.concat(batches, 0), training);
  const [logitsOf, classLogitsOf] = [split(logits), classLogits && split(classLogits)];
  const featuresOf = features.map(split);
  return sizes.map((_, i) => ({
    x: batches[i],
    logits: logitsOf[i],
    ...(classLogitsOf ? { classLogits: classLogitsOf[i] } : {}),
    features: featuresOf.map((f) => f[i]),
  }));
}

/**
 * D's K class logits for a batch of any size. A D that compares the examples of a batch
 * (minibatch discrimination) scores them in batches of `train.batchSize`, the size it was
 * trained on, so its features mean at test time what they meant in training.
 */
export function classifier(run: Run): (x: tf.Tensor) => tf.Tensor {
  const size = run.perExample ? Infinity : run.config.train.batchSize;
  return (x) =>
    tf.tidy(() => {
      const n = x.shape[0];
      if (n <= size) return discriminate(run, x, false).classLogits!;
      const parts: tf.Tensor[] = [];
      for (let start = 0; start < n; start += size) {
        const rows = tf.slice(x, start, Math.min(size, n - start));
        parts.push(discriminate(run, rows, false).classLogits!);
      }
      return tf.concat(parts, 0);
    });
}
