import type { tfl } from "../deps.ts";
import type { ArchitectureContext, Networks } from "../core/contract/plugin.ts";

type Symbolic = tfl.SymbolicTensor;

/** Applies a layer to a symbolic tensor (tfjs types it as a union). */
export function applyLayer(layer: tfl.layers.Layer, x: Symbolic): Symbolic {
  return layer.apply(x) as Symbolic;
}

/** What differs between the built-in discriminators' trunks. */
export interface TrunkParts {
  /** The number of hidden layers. */
  count: number;
  /** Applied after the input's add-ons, before the first hidden layer (flatten, input noise). */
  entry?(x: Symbolic): Symbolic;
  /** Hidden layer `index`'s affine or convolutional part. */
  transform(x: Symbolic, index: number): Symbolic;
  /** Its activation; the output is one of D's features. */
  activate(x: Symbolic): Symbolic;
  /** After each activation, before the post-activation add-ons (hidden noise). */
  afterActivation?(x: Symbolic): Symbolic;
  /** Makes the last hidden output, and the last feature, flat (convolutional trunks). */
  flatten?(x: Symbolic): Symbolic;
}

/**
 * D's trunk with every add-on site of the contract: the "input" add-ons, then for each hidden
 * layer its transform, the "pre-activation" add-ons, the activation (a feature) and the
 * "post-activation" add-ons, then the "features" add-ons on the last hidden output. Returns the
 * features and that output, which the architecture's logit layer maps to D's logits.
 */
export function discriminatorTrunk(
  input: Symbolic,
  splice: ArchitectureContext["splice"],
  parts: TrunkParts,
): { features: Symbolic[]; output: Symbolic } {
  const { count } = parts;
  let d = splice("input", input, { index: -1, count });
  if (parts.entry) d = parts.entry(d);
  const features: Symbolic[] = [];
  for (let index = 0; index < count; index++) {
    const site = { index, count };
    d = parts.activate(splice("pre-activation", parts.transform(d, index), site));
    features.push(d);
    if (parts.afterActivation) d = parts.afterActivation(d);
    d = splice("post-activation", d, site);
  }
  if (parts.flatten) {
    d = parts.flatten(d);
    features[count - 1] = parts.flatten(features[count - 1]);
  }
  return { features, output: splice("features", d, { index: count - 1, count }) };
}

/**
 * The Networks every architecture returns. D's outputs are its logit, then every hidden
 * activation (the last being the features that feature matching and minibatch discrimination
 * use), as the engine's contract asks.
 */
export function networks(
  layers: typeof tfl,
  { latentDim, latentDistribution }: Pick<Networks, "latentDim" | "latentDistribution">,
  generator: tfl.LayersModel,
  d: { input: Symbolic; logit: Symbolic; features: Symbolic[] },
): Networks {
  const outputs = [d.logit, ...d.features];
  const discriminator = layers.model({ inputs: d.input, outputs, name: "discriminator" });
  return { latentDim, latentDistribution, generator, discriminator };
}
