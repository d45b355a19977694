/**
 * The built-in plugins, registered exactly as a user's plugins are.
 *
 * @module
 */
import dcgan from "./architectures/dcgan.ts";
import improvedGanMnist from "./architectures/improved_gan_mnist.ts";
import mlp from "./architectures/mlp.ts";
import fashionMnist from "./datasets/fashion_mnist.ts";
import gaussian1d from "./datasets/gaussian_1d.ts";
import grid25 from "./datasets/grid_25.ts";
import idx from "./datasets/idx.ts";
import mnist from "./datasets/mnist.ts";
import ring8 from "./datasets/ring_8.ts";
import featureMatching from "./losses/feature_matching.ts";
import hinge from "./losses/hinge.ts";
import relativistic from "./losses/relativistic.ts";
import wasserstein from "./losses/wasserstein.ts";
import minimax from "./losses/minimax.ts";
import nonSaturating from "./losses/non_saturating.ts";
import classifierScore from "./metrics/classifier_score.ts";
import conditionalAccuracy from "./metrics/conditional_accuracy.ts";
import densityCoverage from "./metrics/density_coverage.ts";
import kid from "./metrics/kid.ts";
import precisionRecall from "./metrics/precision_recall.ts";
import frechetDistance from "./metrics/frechet_distance.ts";
import modeCoverage from "./metrics/mode_coverage.ts";
import parzenLl from "./metrics/parzen_ll.ts";
import semiSupervisedError from "./metrics/semi_supervised_error.ts";
import auxiliaryClassifier from "./regularizers/auxiliary_classifier.ts";
import historicalAveraging from "./regularizers/historical_averaging.ts";
import labelSmoothing from "./regularizers/label_smoothing.ts";
import dragan from "./regularizers/dragan.ts";
import gradientPenalty from "./regularizers/gradient_penalty.ts";
import r1 from "./regularizers/r1.ts";
import r2 from "./regularizers/r2.ts";
import batchNorm from "./addons/batch_norm.ts";
import dropout from "./addons/dropout.ts";
import gaussianNoise from "./addons/gaussian_noise.ts";
import virtualBatchNorm from "./addons/virtual_batch_norm.ts";
import minibatchDiscrimination from "./addons/minibatch_discrimination.ts";
import packing from "./addons/packing.ts";
import spectralNorm from "./addons/spectral_norm.ts";
import { loadPluginModules } from "./core/contract/load_plugins.ts";
import type { AnyPlugin } from "./core/contract/plugin.ts";
import { Registry } from "./core/contract/registry.ts";

/**
 * Every built-in plugin, in the order they register.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { BUILTIN_PLUGINS } from "./builtins.ts";
 *
 * assert.ok(BUILTIN_PLUGINS.some((p) => p.name === "minibatch-discrimination"));
 * ```
 */
export const BUILTIN_PLUGINS: readonly AnyPlugin[] = [
  minimax,
  nonSaturating,
  featureMatching,
  hinge,
  wasserstein,
  relativistic,
  minibatchDiscrimination,
  batchNorm,
  virtualBatchNorm,
  gaussianNoise,
  dropout,
  packing,
  spectralNorm,
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
  precisionRecall,
  densityCoverage,
  kid,
  conditionalAccuracy,
  labelSmoothing,
  historicalAveraging,
  r1,
  r2,
  gradientPenalty,
  dragan,
  auxiliaryClassifier,
];

/**
 * A new registry holding every built-in plugin.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { builtinRegistry } from "./builtins.ts";
 *
 * assert.ok(builtinRegistry().list("dataset").some((p) => p.name === "ring-8"));
 * ```
 */
export function builtinRegistry(): Registry {
  return new Registry().register(...BUILTIN_PLUGINS);
}

/**
 * A new registry holding the built-in plugins and those of the modules at `urls` (see
 * `loadPluginModules`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { registryWith } from "./builtins.ts";
 *
 * const url = new URL("./examples/least_squares.ts", import.meta.url).href;
 * const registry = await registryWith([url]);
 * assert.ok(registry.has("loss", "least-squares") && registry.has("loss", "minimax"));
 * ```
 */
export async function registryWith(urls: string[]): Promise<Registry> {
  const registry = builtinRegistry();
  await loadPluginModules(urls, registry);
  return registry;
}
