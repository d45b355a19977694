import { z } from "../deps.ts";
import { definePlugin } from "../core/contract/plugin.ts";

/**
 * The test error of D's classifier in semi-supervised mode ([IMP] Table 1): the fraction of the
 * dataset's test split whose most likely of D's K class logits is not the label (with the
 * moving average of D's weights when `evaluate.ema` is set). Reports the fraction and the count.
 */
export default definePlugin({
  kind: "metric",
  name: "semi-supervised-error",
  description: "Test error of D's K-class classifier in semi-supervised mode (Salimans 2016)",
  options: z.strictObject({
    /** Test examples classified per batch (memory stays bounded). */
    batchSize: z.int().positive().default(500),
  }),
  create: ({ tf, options, discriminator }) => {
    if (discriminator.logits < 2) {
      throw new Error(
        "it needs semi-supervised mode (config semiSupervised), in which D classifies",
      );
    }
    return {
      async evaluate({ dataset, classify }) {
        if (!classify) throw new Error("no classifier: the run is not in semi-supervised mode");
        const test = dataset.splits?.test;
        if (!test?.labels) throw new Error("semi-supervised-error needs a labeled test split");
        const size = test.x.shape[0];
        let errors = 0;
        for (let start = 0; start < size; start += options.batchSize) {
          const count = Math.min(options.batchSize, size - start);
          const wrong = tf.tidy(() => {
            const x = tf.slice(test.x, start, count);
            const predicted = tf.argMax(classify(x), 1);
            return tf.sum(tf.notEqual(predicted, tf.slice(test.labels!, start, count)));
          });
          errors += (await wrong.data())[0];
          wrong.dispose();
        }
        return { semiSupervisedError: errors / size, testErrors: errors };
      },
    };
  },
});
