import { type tf, z } from "../deps.ts";
import { definePlugin, type Metric } from "../core/contract/plugin.ts";
import { cachedClassifier, type ClassifierSource, requireClassifiable } from "./_classifier.ts";

const options = z.strictObject({
  /** Generator samples scored, the classes taken in turn (so balanced). */
  samples: z.int().positive().max(1_000_000).default(10_000),
  /** Samples generated and classified at once. */
  batchSize: z.int().positive().default(500),
});

/** The options of {@linkcode conditionalAccuracyMetric}, defaults filled in. */
export type ConditionalAccuracyOptions = z.output<typeof options>;

/**
 * How often a conditional G draws the class it is asked for: the fraction of its samples, asked
 * for each class in turn, that gantry's domain classifier of the dataset (metrics/_classifier.ts)
 * assigns to that class. 1/K for a G that ignores the class; the classifier's own test accuracy
 * bounds what it can confirm.
 */
export default definePlugin({
  kind: "metric",
  name: "conditional-accuracy",
  description: "Domain classifier's accuracy on a conditional G's samples of each class",
  options,
  create: ({ options, dataset, conditional }) => {
    requireClassifiable("conditional-accuracy", dataset);
    if (!conditional) {
      throw new TypeError(
        "conditional-accuracy needs a conditional G: set conditional in the config",
      );
    }
    return conditionalAccuracyMetric(options);
  },
});

/**
 * The `conditional-accuracy` metric with these options; `classifier` gives the classifier of the
 * evaluated dataset (default: the shared, cached domain classifier).
 */
export function conditionalAccuracyMetric(
  options: ConditionalAccuracyOptions,
  classifier: ClassifierSource<"logits"> = cachedClassifier,
): Metric {
  return {
    async evaluate(context) {
      const { tf, generate } = context;
      const model = await classifier(context);
      const classes = context.dataset.info.numClasses!;
      let correct = 0;
      for (let done = 0; done < options.samples; done += options.batchSize) {
        const n = Math.min(options.batchSize, options.samples - done);
        const hits: tf.Tensor = tf.tidy(() => {
          const asked = tf.tensor1d(
            Int32Array.from({ length: n }, (_, i) => (done + i) % classes),
            "int32",
          );
          const drawn = tf.argMax(model.logits(generate(n, asked)), 1);
          return tf.sum(tf.cast(tf.equal(drawn, asked), "int32"));
        });
        correct += (await hits.data())[0];
        hits.dispose();
      }
      return { conditionalAccuracy: correct / options.samples };
    },
  };
}
