/**
 * What each kind of plugin's `create` returns, and what its hooks receive: losses, add-ons,
 * regularizers, architectures, datasets and metrics, and the state a checkpoint carries.
 *
 * @module
 */
import type { tf, tfl } from "../../deps.ts";
import type { Rng } from "./rng.ts";

/** The discriminator's outputs for one batch. */
export interface DiscriminatorOutput {
  /** The batch D scored: the real or generated examples (a penalty's inputs to differentiate). */
  x: tf.Tensor;
  /**
   * Shape [n, 1]: the logit of "real". For a K+1-class discriminator (semi-supervised mode) it
   * is log Z(x) = logsumexp of the K class logits, so that sigmoid(logit) = Z/(Z+1) = D(x).
   */
  logits: tf.Tensor;
  /**
   * Shape [n, K]: the class logits, in semi-supervised mode and with an auxiliary classifier
   * (`conditional.discriminator: "auxiliary-classifier"`, ACGAN) only.
   */
  classLogits?: tf.Tensor;
  /**
   * In a conditional run, the int32 classes [n] D judged the batch as: the data's labels for the
   * real batch, the classes G was asked for when generated.
   */
  labels?: tf.Tensor;
  /** Every hidden layer's activations, first to last; the last is "the features". */
  features: tf.Tensor[];
}

/** A JSON value (what state.json can hold). */
export type JsonValue =
  | null
  | boolean
  | number
  | string
  | JsonValue[]
  | { [key: string]: JsonValue };

/** A plugin's state between steps: tensors (saved in binary) and JSON values. */
export type PluginState = Record<string, tf.Tensor | JsonValue>;

/**
 * Any plugin's contract may keep state that a checkpoint must carry for a resumed run to equal
 * an uninterrupted one (running averages, random streams). `saveState` returns the plugin's own
 * tensors, which the caller reads and does not dispose; `loadState` receives tensors it owns.
 */
export interface Stateful {
  saveState?(): PluginState;
  loadState?(state: PluginState): void;
}

/** What a loss sees at one step. `real` is computed lazily in the generator's step. */
export interface LossInputs {
  real: DiscriminatorOutput;
  fake: DiscriminatorOutput;
  /**
   * Class labels of the real batch, when the dataset has them; never in semi-supervised mode,
   * where the real batch is the unlabeled data.
   */
  labels?: tf.Tensor;
  /** The training step, counted from 1. */
  step: number;
  /**
   * D on any batch x of the dataset's shape (interpolates, perturbed data), as the step calls it
   * (training mode, the reference batch of virtual batch norm in front, log Z(x) in
   * semi-supervised mode): differentiable in x and in D's weights, so a penalty on ∇ₓD (R1,
   * WGAN-GP) trains D. The output is shaped as `real`'s and `fake`'s. In a conditional run D
   * judges x as the classes `labels` (int32 [n]), by default the real batch's.
   */
  discriminate(x: tf.Tensor, labels?: tf.Tensor): DiscriminatorOutput;
}

/** A loss: either side may be missing. Each returns a scalar to minimise. */
export interface Loss extends Stateful {
  discriminator?(inputs: LossInputs): tf.Scalar;
  generator?(inputs: LossInputs): tf.Scalar;
}

/**
 * Where an add-on splices into the discriminator: on its input, on each hidden layer before
 * or after its activation, or on the last hidden layer's output (the features).
 */
export type AddonPoint = "input" | "pre-activation" | "post-activation" | "features";

/** The place an add-on's layer goes: the hidden layer's index and width. */
export interface AddonSite {
  /** Hidden layer index from 0 ("features": the last hidden layer's index; "input": -1). */
  index: number;
  /** The number of hidden layers in the discriminator. */
  count: number;
}

/** A discriminator add-on: a factory of layers inserted at one kind of point. */
export interface Addon extends Stateful {
  point: AddonPoint;
  /** Returns the layer for this site, or null to leave the site alone. */
  layer(site: AddonSite): tfl.layers.Layer | null;
  /**
   * Asks for a reference batch of this many real examples (virtual batch norm): the engine
   * draws it once with the run's seed, keeps it in the checkpoint, and puts it in front of
   * every batch D sees, removing its rows from D's outputs. Its rows are the first ones.
   */
  referenceBatch?: number;
  /** True when the layer treats each example on its own (see `Networks.perExample`). */
  perExample?: boolean;
  /**
   * Changes D's layers in place once D is built (spectral norm reparametrises its kernels);
   * called before any training or restore.
   */
  wrap?(discriminator: tfl.LayersModel): void;
  /** Frees what the add-on keeps (called when the run ends). */
  dispose?(): void;
  /**
   * D judges this many examples as one (packing): every batch it sees must be a multiple of it
   * (the engine refuses a `train.batchSize` that is not), and its outputs have a row per pack.
   */
  packs?: number;
}

/** What a regularizer sees: the loss inputs plus the player's trainable variables. */
export interface PenaltyInputs extends LossInputs {
  variables: tf.Variable[];
  /**
   * The weight of the GAN loss in this player's cost: `semiSupervised.unsupervisedWeight` in D's
   * cost in semi-supervised mode, else 1. A penalty that reshapes the GAN loss itself (label
   * smoothing) scales with it.
   */
  ganWeight: number;
}

/** A regularizer: a penalty added to one or both players' costs. */
export interface Regularizer extends Stateful {
  discriminator?(inputs: PenaltyInputs): tf.Scalar;
  generator?(inputs: PenaltyInputs): tf.Scalar;
  /**
   * Called before each of a player's updates, outside the gradient tape, with the player's
   * current variables (historical averaging records them here).
   */
  observe?(player: "discriminator" | "generator", variables: tf.Variable[]): void;
  /** Frees the tensors the regularizer keeps (called when the run ends). */
  dispose?(): void;
}

/** A batch from a dataset. */
export interface Batch {
  x: tf.Tensor;
  labels?: tf.Tensor;
}

/** A whole split of a finite dataset, in the dataset's shape and range. */
export interface Examples {
  /** Shape [n, ...info.shape]. */
  x: tf.Tensor;
  /** Shape [n], int32 class indices, when labelled. */
  labels?: tf.Tensor1D;
}

/** What a dataset tells the rest of the run. */
export interface DatasetInfo {
  /** The shape of one example, e.g. [2] or [28, 28, 1]. */
  shape: number[];
  /** "points" for low-dimensional data (scatter plots), "image" for images (grids). */
  kind: "points" | "image";
  /** Value range of the data, e.g. [-1, 1] for images. */
  range?: [number, number];
  /** Number of examples, when finite. */
  size?: number;
  /** Number of classes, when labelled. */
  numClasses?: number;
  /** Mixture components, for mode-coverage metrics. */
  modes?: { means: number[][]; std: number };
  /** A hash of the training data's content (caches, such as domain classifiers, key on it). */
  digest?: string;
  /** Number of held-out test examples, when the dataset has a test split. */
  testSize?: number;
}

/** A dataset: seeded batches of examples. */
export interface Dataset extends Stateful {
  info: DatasetInfo;
  /** Draws n examples of the training split with `rng`. Called inside `tf.tidy`. */
  sample(rng: Rng, n: number): Batch;
  /**
   * A finite dataset's splits: `train` is what `sample` draws from; `test` is held out from
   * training (metrics score on it). The dataset owns these tensors.
   */
  splits?: { train: Examples; test?: Examples };
  dispose?(): void;
}

/** What the architecture builds. */
export interface Networks extends Stateful {
  latentDim: number;
  latentDistribution: "normal" | "uniform";
  /**
   * Maps [n, latentDim] to [n, ...dataset shape]; in a conditional run its inputs are
   * [z, one-hot class [n, K]].
   */
  generator: tfl.LayersModel;
  /**
   * Maps [n, ...dataset shape] to [logits, ...hidden activations]; the logits have
   * `ArchitectureContext.logits` columns. With a projection D (see `Conditioning`) its inputs are
   * [x, one-hot class [n, K]].
   */
  discriminator: tfl.LayersModel;
  /**
   * True when D scores each example independently of the rest of its batch (no batch norm, no
   * minibatch features). If every add-on says so too, the engine runs D once on the batches
   * of a step stacked together, which is faster than one call per batch and gives the same
   * scores. Leave unset when unsure: batches then go through D one by one.
   */
  perExample?: boolean;
}

/**
 * A conditional run's classes and how the networks take them (config `conditional`): G gets a
 * class with its latent vector, as a one-hot vector or a learned embedding of `embeddingDim`;
 * D judges an example as its class by projection (Miyato & Koyama 2018: the logit plus
 * ⟨embed(y), φ(x)⟩, φ the input of D's logit layer) or with K auxiliary class logits after its
 * logit (ACGAN, Odena et al. 2017; a class loss such as `auxiliary-classifier` trains them).
 */
export interface Conditioning {
  classes: number;
  generator: "one-hot" | "embedding";
  embeddingDim: number;
  discriminator: "projection" | "auxiliary-classifier";
}

/** What an architecture's `create` receives beyond the common context. */
export interface ArchitectureContext {
  dataset: DatasetInfo;
  /**
   * Columns of D's logits: 1, K (the dataset's classes) in semi-supervised mode, 1 + K with an
   * auxiliary classifier.
   */
  logits: number;
  /** Set in a conditional run: G, and a projection D, take the class as a second input. */
  conditional?: Conditioning;
  /** Applies every add-on registered for `point` to `x`, in config order. */
  splice(point: AddonPoint, x: tfl.SymbolicTensor, site: AddonSite): tfl.SymbolicTensor;
}

/**
 * What the built discriminator outputs, for the `create` of losses, regularizers and metrics:
 * so that an option D cannot satisfy (a hidden layer it lacks, a classifier it is not) is
 * refused when the run is built, before anything is written or trained.
 */
export interface DiscriminatorShape {
  /**
   * Columns of D's logits: 1, or K (the dataset's classes) in semi-supervised mode. An auxiliary
   * classifier's K class logits are not counted: plugins get them apart, as `classLogits`.
   */
  logits: number;
  /** How many hidden layers' activations D outputs (`DiscriminatorOutput.features`). */
  features: number;
}

/** What a metric sees at an evaluation. */
export interface EvaluationContext {
  tf: typeof tf;
  step: number;
  dataset: Dataset;
  /** A stream for this evaluation, independent of the training stream. */
  rng: Rng;
  /**
   * n generator samples in the dataset's shape; the caller disposes the tensor. A conditional G
   * draws them as the int32 classes `labels` [n], uniformly drawn classes when omitted.
   */
  generate(n: number, labels?: tf.Tensor): tf.Tensor;
  /**
   * D's class logits [n, K] for examples x (inference mode, with the EMA of D's weights when
   * `evaluate.ema` is set); only in semi-supervised mode. The caller disposes the tensor.
   */
  classify?(x: tf.Tensor): tf.Tensor;
}

/** A metric: named numbers from an evaluation. */
export interface Metric extends Stateful {
  evaluate(context: EvaluationContext): Promise<Record<string, number>>;
}
