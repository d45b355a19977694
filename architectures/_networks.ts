import type { tfl } from "../deps.ts";
import type { ArchitectureContext, Conditioning, Networks } from "../core/contract/plugin.ts";
import type { Rng } from "../core/contract/rng.ts";
import { Dense } from "../layers/dense.ts";

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
 * G's input: z [n, latentDim], and in a conditional run the one-hot class [n, K] appended to it,
 * as it is or through a learned embedding. Returns G's inputs and what its first layer reads.
 */
export function generatorInput(
  layers: typeof tfl,
  latentDim: number,
  conditional: Conditioning | undefined,
  rng: Rng,
): { inputs: Symbolic[]; code: Symbolic } {
  const z = layers.input({ shape: [latentDim] });
  if (!conditional) return { inputs: [z], code: z };
  const y = layers.input({ shape: [conditional.classes] });
  const label = conditional.generator === "one-hot" ? y : applyLayer(
    new Dense({
      units: conditional.embeddingDim,
      useBias: false,
      kernelInitializer: layers.initializers.randomNormal({ mean: 0, stddev: 1, seed: rng.seed() }),
    }),
    y,
  );
  return { inputs: [z, y], code: layers.layers.concatenate().apply([z, label]) as Symbolic };
}

/**
 * The Networks every architecture returns. D's outputs are its logit, then every hidden
 * activation (the last being the features that feature matching and minibatch discrimination
 * use), as the engine's contract asks. `output` is what D's logit layer read (φ(x)): a
 * projection D (Miyato & Koyama 2018) takes the one-hot class y as a second input and adds
 * ⟨embed(y), φ(x)⟩ to the logit.
 */
export function networks(
  layers: typeof tfl,
  { latentDim, latentDistribution }: Pick<Networks, "latentDim" | "latentDistribution">,
  generator: tfl.LayersModel,
  d: { input: Symbolic; output: Symbolic; logit: Symbolic; features: Symbolic[] },
  { conditional, rng }: { conditional?: Conditioning; rng: Rng },
): Networks {
  const inputs = [d.input];
  let logit = d.logit;
  if (conditional?.discriminator === "projection") {
    const y = layers.input({ shape: [conditional.classes] });
    const embed = applyLayer(
      new Dense({
        units: d.output.shape[1]!,
        useBias: false,
        kernelInitializer: layers.initializers.glorotUniform({ seed: rng.seed() }),
      }),
      y,
    );
    const projection = layers.layers.dot({ axes: 1 }).apply([embed, d.output]) as Symbolic;
    logit = layers.layers.add().apply([logit, projection]) as Symbolic;
    inputs.push(y);
  }
  const outputs = [logit, ...d.features];
  const discriminator = layers.model({ inputs, outputs, name: "discriminator" });
  return { latentDim, latentDistribution, generator, discriminator };
}
