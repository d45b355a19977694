/**
 * The built-in plugins, registered exactly as a user's plugins are.
 *
 * @module
 */
import dcgan from "../architectures/dcgan.ts";
import improvedGanMnist from "../architectures/improved_gan_mnist.ts";
import mlp from "../architectures/mlp.ts";
import fashionMnist from "../datasets/fashion_mnist.ts";
import gaussian1d from "../datasets/gaussian_1d.ts";
import grid25 from "../datasets/grid_25.ts";
import idx from "../datasets/idx.ts";
import mnist from "../datasets/mnist.ts";
import ring8 from "../datasets/ring_8.ts";
import featureMatching from "../losses/feature_matching.ts";
import minimax from "../losses/minimax.ts";
import nonSaturating from "../losses/non_saturating.ts";
import classifierScore from "../metrics/classifier_score.ts";
import frechetDistance from "../metrics/frechet_distance.ts";
import modeCoverage from "../metrics/mode_coverage.ts";
import parzenLl from "../metrics/parzen_ll.ts";
import semiSupervisedError from "../metrics/semi_supervised_error.ts";
import historicalAveraging from "../regularizers/historical_averaging.ts";
import labelSmoothing from "../regularizers/label_smoothing.ts";
import batchNorm from "../plugins/batch_norm.ts";
import dropout from "../plugins/dropout.ts";
import gaussianNoise from "../plugins/gaussian_noise.ts";
import virtualBatchNorm from "../plugins/virtual_batch_norm.ts";
import minibatchDiscrimination from "../plugins/minibatch_discrimination.ts";
import type { AnyPlugin } from "./plugin.ts";
import { Registry } from "./registry.ts";

/** Every built-in plugin. */
export const BUILTIN_PLUGINS: readonly AnyPlugin[] = [
  minimax,
  nonSaturating,
  featureMatching,
  minibatchDiscrimination,
  batchNorm,
  virtualBatchNorm,
  gaussianNoise,
  dropout,
  mlp,
  dcgan,
  improvedGanMnist,
  gaussian1d,
  ring8,
  grid25,
  mnist,
  fashionMnist,
  idx,
  modeCoverage,
  semiSupervisedError,
  classifierScore,
  frechetDistance,
  parzenLl,
  labelSmoothing,
  historicalAveraging,
];

/** A new registry holding the built-in plugins. */
export function builtinRegistry(): Registry {
  return new Registry().register(...BUILTIN_PLUGINS);
}
