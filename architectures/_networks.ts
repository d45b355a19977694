import type { tfl } from "../deps.ts";
import type { Networks } from "../core/plugin.ts";

/** Applies a layer to a symbolic tensor (tfjs types it as a union). */
export function applyLayer(layer: tfl.layers.Layer, x: tfl.SymbolicTensor): tfl.SymbolicTensor {
  return layer.apply(x) as tfl.SymbolicTensor;
}

/**
 * The Networks every architecture returns. D's outputs are its logit, then every hidden
 * activation (the last being the features that feature matching and minibatch discrimination
 * use), as the engine's contract asks.
 */
export function networks(layers: typeof tfl, parts: {
  latentDim: number;
  latentDistribution: Networks["latentDistribution"];
  generator: tfl.LayersModel;
  input: tfl.SymbolicTensor;
  logit: tfl.SymbolicTensor;
  features: tfl.SymbolicTensor[];
}): Networks {
  return {
    latentDim: parts.latentDim,
    latentDistribution: parts.latentDistribution,
    generator: parts.generator,
    discriminator: layers.model({
      inputs: parts.input,
      outputs: [parts.logit, ...parts.features],
      name: "discriminator",
    }),
  };
}
