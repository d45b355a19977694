/**
 * D as the engine and the metrics call it: with virtual batch norm's reference rows in front of
 * every batch, the class a conditional D judges each example as, the K class logits reduced to
 * the logit of "real" in semi-supervised mode (split from it with an auxiliary classifier), and
 * the batches of a step stacked into one call when D scores examples independently.
 *
 * @module
 */
import { tf } from "../../deps.ts";
import type { DiscriminatorOutput } from "../contract/plugin.ts";
import type { Run } from "./build.ts";
import { classInput } from "./sample.ts";

/** A batch for D: the examples and, in a conditional run, the int32 classes to judge them as. */
export interface Judged {
  x: tf.Tensor;
  labels?: tf.Tensor;
}

/**
 * D on a batch: with the reference batch in front (its rows removed from the outputs), a
 * projection D given the one-hot classes, and in semi-supervised mode the K class logits
 * reduced to the logit of "real", log Z(x); an auxiliary classifier's K class logits are split
 * from the logit.
 */
export function discriminate(
  run: Run,
  { x, labels }: Judged,
  training: boolean,
): DiscriminatorOutput {
  const { reference, conditional } = run;
  const rows = reference?.x.shape[0] ?? 0;
  const inputs = [rows ? tf.concat([reference!.x, x], 0) : x];
  if (conditional?.discriminator === "projection") {
    if (!labels) throw new Error("A conditional D needs the classes of the batch it judges");
    const classes = rows ? tf.concat([reference!.labels!, labels], 0) : labels;
    inputs.push(classInput(classes, conditional.classes));
  }
  const out = run.networks.discriminator.apply(inputs.length > 1 ? inputs : inputs[0], {
    training,
  }) as tf.Tensor | tf.Tensor[];
  const outputs = (Array.isArray(out) ? out : [out]).map((t) =>
    rows ? tf.slice(t, [rows, ...t.shape.slice(1).map(() => 0)], [-1, ...t.shape.slice(1)]) : t
  );
  const [logits, ...features] = outputs;
  const judged = labels ? { x, labels } : { x };
  if (run.labeled) {
    return { ...judged, logits: tf.logSumExp(logits, 1, true), classLogits: logits, features };
  }
  if (conditional?.discriminator === "auxiliary-classifier") {
    const [logit, classLogits] = tf.split(logits, [1, conditional.classes], 1);
    return { ...judged, logits: logit, classLogits, features };
  }
  return { ...judged, logits, features };
}

/**
 * D on several batches: one call on them stacked together when D treats examples
 * independently (`run.perExample`), else one call per batch. Either way, one output per batch.
 */
export function discriminateEach(
  run: Run,
  batches: Judged[],
  training: boolean,
): DiscriminatorOutput[] {
  if (!run.perExample || batches.length < 2) {
    return batches.map((batch) => discriminate(run, batch, training));
  }
  const sizes = batches.map(({ x }) => x.shape[0]);
  const split = (t: tf.Tensor) => tf.split(t, sizes, 0);
  const stacked = {
    x: tf.concat(batches.map(({ x }) => x), 0),
    labels: run.conditional ? tf.concat(batches.map(({ labels }) => labels!), 0) : undefined,
  };
  const { logits, classLogits, features } = discriminate(run, stacked, training);
  const [logitsOf, classLogitsOf] = [split(logits), classLogits && split(classLogits)];
  const featuresOf = features.map(split);
  return batches.map(({ x, labels }, i) => ({
    x,
    ...(labels ? { labels } : {}),
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
      if (n <= size) return discriminate(run, { x }, false).classLogits!;
      const parts: tf.Tensor[] = [];
      for (let start = 0; start < n; start += size) {
        const rows = tf.slice(x, start, Math.min(size, n - start));
        parts.push(discriminate(run, { x: rows }, false).classLogits!);
      }
      return tf.concat(parts, 0);
    });
}
