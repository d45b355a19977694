/**
 * A run's checkpoint, both ways: what of a built run a checkpoint keeps (weights go with the
 * networks, the rest is here), and a checkpoint put back into a freshly built run.
 *
 * @module
 */
import { tf } from "../../deps.ts";
import type { PluginState } from "../contract/plugin.ts";
import { createRng } from "../contract/rng.ts";
import { type Checkpoint, type CheckpointRecord, disposeCheckpoint } from "../store/checkpoint.ts";
import { type Optimizers, setOptimizerWeights } from "../store/optimizer_state.ts";
import type { Run } from "./build.ts";

/** What a checkpoint at `step` records of the run, beside its networks and optimizers. */
export function checkpointRecord(
  run: Run,
  step: number,
  configHash: string,
  seconds: number,
): CheckpointRecord {
  return {
    step,
    configHash,
    seconds,
    config: run.config,
    rng: { data: run.rng.data.state(), noise: run.rng.noise.state() },
    latentDim: run.networks.latentDim,
    latentDistribution: run.networks.latentDistribution,
    dataset: run.dataset.info,
  };
}

/** Every stateful part's state, for a checkpoint. */
export function runState(run: Run): Record<string, PluginState> {
  return Object.fromEntries([...run.stateful].map(([key, part]) => [key, part.saveState!()]));
}

/**
 * Puts a checkpoint's weights, optimizer state, plugin state and random streams into a freshly
 * built run, taking its tensors over (on failure, whatever it had not consumed is freed). The
 * optimizers are left alone when omitted (evaluation needs none).
 */
export async function restoreRun(
  run: Run,
  checkpoint: Checkpoint,
  optimizers?: Optimizers,
): Promise<void> {
  try {
    run.networks.generator.setWeights(checkpoint.generator);
    run.networks.discriminator.setWeights(checkpoint.discriminator);
    tf.dispose([...checkpoint.generator, ...checkpoint.discriminator]);
    if (optimizers) {
      await setOptimizerWeights(optimizers.discriminator, checkpoint.optimizers.discriminator);
      await setOptimizerWeights(optimizers.generator, checkpoint.optimizers.generator);
    } else {
      tf.dispose([
        ...checkpoint.optimizers.discriminator,
        ...checkpoint.optimizers.generator,
      ].map((w) => w.tensor));
    }
    for (const [key, part] of run.stateful) {
      const state = checkpoint.plugins[key];
      if (!state) throw new Error(`the checkpoint has no state for "${key}"`);
      part.loadState!(state);
    }
  } catch (error) {
    // Freeing a tensor twice is harmless.
    disposeCheckpoint(checkpoint);
    throw error;
  }
  run.rng.data = createRng(checkpoint.state.rng.data);
  run.rng.noise = createRng(checkpoint.state.rng.noise);
}
