/**
 * The training loop: [GAN] Algorithm 1, `dSteps` discriminator updates per generator update,
 * each player with its own optimizer over its own variables, every step inside `tf.tidy`. It
 * touches no file: evaluations and checkpoints are the caller's hooks.
 *
 * @module
 */
import { tf } from "../../deps.ts";
import type { Batch, DiscriminatorOutput, PenaltyInputs } from "../contract/plugin.ts";
import { throwDeviceErrors } from "../backend/webgpu.ts";
import type { Optimizers } from "../store/optimizer_state.ts";
import type { StepStats } from "../store/run_records.ts";
import type { Run } from "./build.ts";
import { discriminate, discriminateEach, type Judged } from "./discriminate.ts";
import { learningRateAt, setLearningRate } from "./optimizers.ts";
import { drawClasses, generateFrom, latent } from "./sample.ts";
import { sampleLabeled, supervisedLoss } from "./semi_supervised.ts";

/** Progress of a run, reported every `train.logEvery` steps. */
export interface Progress extends StepStats {
  /** The learning rate of the step (both players'). */
  lr: number;
  steps: number;
  stepsPerSecond: number;
  etaSeconds: number;
}

/** What the loop calls back; at a step that is not logged, only `onStep`. */
export interface LoopHooks {
  /** After every step. */
  onStep?(step: number): void;
  /**
   * Every `train.logEvery` steps, at evaluations, at checkpoints and at the last step (awaited
   * before the step's evaluation).
   */
  onProgress?(progress: Progress): void | Promise<void>;
  /** Every `evaluate.every` steps and at the last step, with the step's stats. */
  evaluate?(stats: StepStats): Promise<void>;
  /** Every `train.checkpointEvery` steps and at the last step, after any evaluation. */
  checkpoint?(step: number): Promise<void>;
}

/**
 * Trains `run` from step `firstStep` to `train.steps`. Returns early with `diverged` when a loss
 * or a weight turns non-finite at a logged step, before that step's evaluation or checkpoint.
 */
export async function trainSteps(
  run: Run,
  optimizers: Optimizers,
  firstStep: number,
  hooks: LoopHooks = {},
): Promise<{ diverged: boolean }> {
  const { config } = run;
  const { steps, dSteps, logEvery, checkpointEvery } = config.train;
  let lastReport = { time: performance.now(), step: firstStep - 1 };
  for (let step = firstStep; step <= steps; step++) {
    const lr = learningRateAt(config.train.optimizer, step);
    setLearningRate(optimizers.discriminator, lr);
    setLearningRate(optimizers.generator, lr);
    const evaluating = step % config.evaluate.every === 0 || step === steps;
    const checkpointing = step % checkpointEvery === 0 || step === steps;
    const logging = evaluating || checkpointing || step % logEvery === 0;
    // Read back at logged steps: D(x), D(G(z)) and D's cost of its last update, G's cost.
    const kept: tf.Tensor[] = [];
    for (let k = 1; k <= dSteps; k++) {
      observe(run, "discriminator");
      kept.push(...discriminatorStep(run, optimizers.discriminator, step, logging && k === dSteps));
      run.average?.update();
    }
    observe(run, "generator");
    kept.push(...generatorStep(run, optimizers.generator, step, logging));
    // Losses are computed before the step's updates: a NaN gradient shows in the weights first.
    if (logging) kept.push(weightsCheck(run));
    hooks.onStep?.(step);
    if (!logging) continue;
    const [dReal, dFake, dLoss, gLoss, weights] = await Promise.all(
      kept.map(async (t) => (await t.data())[0]),
    );
    tf.dispose(kept);
    throwDeviceErrors();
    const stats: StepStats = { step, dLoss, gLoss, dReal, dFake };
    const now = performance.now();
    const stepsPerSecond = (step - lastReport.step) / ((now - lastReport.time) / 1000);
    lastReport = { time: now, step };
    await hooks.onProgress?.({
      ...stats,
      lr,
      steps,
      stepsPerSecond,
      etaSeconds: (steps - step) / stepsPerSecond,
    });
    if (![dLoss, gLoss, weights].every(Number.isFinite)) return { diverged: true };
    if (evaluating) await hooks.evaluate?.(stats);
    if (checkpointing) await hooks.checkpoint?.(step);
  }
  return { diverged: false };
}

/** Lets the regularizers record a player's variables before its update. */
function observe(run: Run, player: "discriminator" | "generator"): void {
  const variables = run.variables[player];
  for (const regularizer of run.regularizers) {
    if (regularizer.observe) tf.tidy(() => regularizer.observe!(player, variables));
  }
}

/** D's probability of "real": the mean sigmoid of the logit (log Z(x) for K+1 classes). */
function probabilityReal(logits: tf.Tensor): tf.Tensor {
  return tf.mean(tf.sigmoid(logits));
}

/**
 * One update of D on a real and a generated batch (and a labeled one in semi-supervised mode).
 * With `withStats` it returns mean D(x), mean D(G(z)) and D's cost, kept for the caller.
 */
function discriminatorStep(
  run: Run,
  optimizer: tf.Optimizer,
  step: number,
  withStats: boolean,
): tf.Tensor[] {
  const { dataset, labeled } = run;
  const { batchSize } = run.config.train;
  const kept: tf.Tensor[] = [];
  tf.tidy(() => {
    const real = dataset.sample(run.rng.data, batchSize);
    const fake = generatorBatch(run);
    // Outside minimize, so the tape does not record G's forward pass in D's update.
    const fakeX = generateFrom(run, fake.z, fake.labels, true);
    const labeledBatch = labeled && sampleLabeled(labeled, run.rng.data, batchSize);
    const cost = optimizer.minimize(
      () => {
        const [realOut, fakeOut, labeledOut] = discriminateEach(
          run,
          [
            judged(run, real.x, real.labels),
            judged(run, fakeX, fake.labels),
            ...(labeledBatch ? [{ x: labeledBatch.x }] : []),
          ],
          true,
        );
        const ganWeight = labeled?.unsupervisedWeight ?? 1;
        const inputs: PenaltyInputs = {
          real: realOut,
          fake: fakeOut,
          labels: labeled ? undefined : real.labels,
          step,
          discriminate: (x, labels = real.labels) =>
            discriminate(run, judged(run, x, labels), true),
          variables: run.variables.discriminator,
          ganWeight,
        };
        let loss = run.discriminatorLoss(inputs);
        if (labeledBatch) {
          // [IMP]: the supervised cross-entropy plus the weighted unsupervised GAN loss.
          loss = tf.add(
            supervisedLoss(labeledOut.classLogits!, labeledBatch.labels),
            tf.mul(ganWeight, loss),
          );
        }
        for (const regularizer of run.regularizers) {
          if (regularizer.discriminator) loss = tf.add(loss, regularizer.discriminator(inputs));
        }
        if (withStats) {
          kept.push(tf.keep(probabilityReal(inputs.real.logits)));
          kept.push(tf.keep(probabilityReal(inputs.fake.logits)));
        }
        return loss;
      },
      withStats,
      run.variables.discriminator,
    );
    if (cost) kept.push(tf.keep(cost));
  });
  return kept;
}

/**
 * One update of G with the step's generator loss. Real data goes through D only when the loss
 * or a penalty reads it. With `withStats` it returns G's cost, kept for the caller.
 */
function generatorStep(
  run: Run,
  optimizer: tf.Optimizer,
  step: number,
  withStats: boolean,
): tf.Tensor[] {
  const { dataset } = run;
  const { batchSize } = run.config.train;
  const generatorLoss = run.generatorLosses.find((e) => e.until === undefined || step <= e.until)!;
  const kept: tf.Tensor[] = [];
  tf.tidy(() => {
    const generated = generatorBatch(run);
    let batch: Batch | undefined;
    let real: DiscriminatorOutput | undefined;
    const realBatch = () => batch ??= dataset.sample(run.rng.data, batchSize);
    const realOutput = () =>
      real ??= discriminate(run, judged(run, realBatch().x, realBatch().labels), true);
    const cost = optimizer.minimize(
      () => {
        const fake = discriminate(
          run,
          judged(run, generateFrom(run, generated.z, generated.labels, true), generated.labels),
          true,
        );
        const inputs: PenaltyInputs = {
          get real() {
            return realOutput();
          },
          get labels() {
            return realOutput() && (run.labeled ? undefined : realBatch().labels);
          },
          fake,
          step,
          discriminate: (x, labels) =>
            discriminate(
              run,
              judged(run, x, run.conditional && (labels ?? realBatch().labels)),
              true,
            ),
          variables: run.variables.generator,
          ganWeight: 1,
        };
        let loss = generatorLoss.loss(inputs);
        for (const regularizer of run.regularizers) {
          if (regularizer.generator) loss = tf.add(loss, regularizer.generator(inputs));
        }
        return loss;
      },
      withStats,
      run.variables.generator,
    );
    if (cost) kept.push(tf.keep(cost));
  });
  return kept;
}

/** A step's latent vectors and, for a conditional G, the classes drawn for them. */
function generatorBatch(run: Run): { z: tf.Tensor; labels?: tf.Tensor } {
  const { batchSize } = run.config.train;
  const z = latent(run.networks, run.rng.noise, batchSize);
  const { conditional } = run;
  return conditional
    ? { z, labels: drawClasses(conditional.classes, run.rng.noise, batchSize) }
    : { z };
}

/** A batch for D, with its classes in a conditional run only. */
function judged(run: Run, x: tf.Tensor, labels: tf.Tensor | undefined): Judged {
  return run.conditional ? { x, labels } : { x };
}

/**
 * A scalar that is finite only when every weight is: 0·w is NaN where w is not finite.
 * (Pairwise adds: WebGPU's AddN takes few inputs.)
 */
function weightsCheck(run: Run): tf.Tensor {
  return tf.tidy(() =>
    [...run.variables.discriminator, ...run.variables.generator]
      .map((v) => tf.sum(tf.mul(v, 0)))
      .reduce((a, b) => tf.add(a, b))
  );
}
